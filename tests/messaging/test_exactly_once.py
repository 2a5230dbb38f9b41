"""A worker killed (SIGKILL) in the middle of a 5,000-recipient send, then restarted:
every recipient reaches the fake SendGrid exactly once."""

import collections
import signal

from django_tenants.utils import tenant_context

from crm.messaging.audience import materialise
from crm.messaging.models import Message, MessagingSettings, Send
from crm.messaging.tasks import deliver
from crm.models import Contact, Segment, Tag
from tests.conftest import host_of, start_celery_worker, wait_for
from tests.fakes import FakeProviders, SendGridKeys

QUEUE = "messaging-kill-test"


def message_being_sent(campaign, keys, people):
    """An e-mail to `people` consenting contacts, its recipients listed and its status
    "sending": what send_now does, except that the test queues delivery itself (to a
    worker of its own). SendGrid's webhook key of the campaign is `keys`."""
    with tenant_context(campaign):
        ms = MessagingSettings.current()
        ms.sendgrid_webhook_key = keys.public
        ms.save()
        tag = Tag.objects.create(name="Lettre")
        contacts = Contact.objects.bulk_create(
            [Contact(first_names=f"P{i}", email=f"p{i}@exemple.fr", consent_email=True) for i in range(people)]
        )
        tag.contacts.add(*contacts)
        segment = Segment.objects.create(name="Lettre", filters={"tags": ["Lettre"]})
        message = Message.objects.create(channel="email", name="Appel", subject="Bonjour", body="Venez !",
                                         segment=segment, status=Message.Status.SENDING)  # fmt: skip
        materialise(message)
    return message


def test_killed_worker_restarted_sends_each_recipient_exactly_once(committed, asgi_server):
    campaign = committed.campaign().campaign
    keys = SendGridKeys()
    message = message_being_sent(campaign, keys, 5000)

    # A slow SendGrid that, like the real one, reports each accepted recipient as "processed".
    fake = FakeProviders(delay=0.8)
    fake.webhook = (f"http://127.0.0.1:{asgi_server}/messages/sendgrid/events/", host_of(campaign), keys)
    env = {"SENDGRID_API_URL": fake.url, "SENDGRID_REQUESTS_PER_SECOND": "0", "MESSAGING_CLAIM_TIMEOUT": "4"}
    worker = start_celery_worker("kill-test-worker", queue=QUEUE, **env)
    try:
        with tenant_context(campaign):
            deliver.apply_async((message.pk,), queue=QUEUE)
        wait_for(lambda: len(fake.mail_requests()) >= 2, timeout=60, what="two batches at the fake")
        worker.send_signal(signal.SIGKILL)  # mid-request: SendGrid has the batch, we have no answer
        worker.wait(timeout=10)
        with tenant_context(campaign):
            assert Send.objects.filter(message=message, status="pending").exists()

        worker = start_celery_worker("kill-test-worker-2", queue=QUEUE, **env)
        with tenant_context(campaign):
            deliver.apply_async((message.pk,), queue=QUEUE, countdown=5)  # what the every-minute dispatcher does

            def finished():
                return Message.objects.get(pk=message.pk).status == Message.Status.SENT

            wait_for(finished, timeout=120, what="the message to finish")
    finally:
        worker.kill()
        worker.wait(timeout=10)
        fake.close()
    counts = collections.Counter(fake.recipients())
    assert len(counts) == 5000
    assert set(counts.values()) == {1}, [e for e, n in counts.items() if n > 1][:5]
    with tenant_context(campaign):
        assert Send.objects.filter(message=message).exclude(status="sent").count() == 0
