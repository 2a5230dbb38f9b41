"""E-mail campaigns through the real sendgrid client, pointed at a fake SendGrid on 127.0.0.1."""

import json

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from crm.gdpr import erase_contact
from crm.messaging import templating
from crm.messaging.audience import audience, materialise
from crm.messaging.email import deliver_email, read_unsubscribe_token
from crm.messaging.models import Message, MessagingSettings, Send
from crm.messaging.services import check_message, send_now
from crm.models import ConsentEvent, Contact, Interaction, Segment, Tag
from tests.conftest import host_of
from tests.fakes import FakeProviders, SendGridKeys


@pytest.fixture
def fake(settings):
    server = FakeProviders()
    settings.SENDGRID_API_URL = server.url
    settings.SENDGRID_API_KEY = "SG.test"
    settings.MESSAGING_RETRY_SECONDS = 0.01
    settings.SENDGRID_REQUESTS_PER_SECOND = 0
    yield server
    server.close()


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def newsletter(subject="Bonjour {{ first_name }}", body="Chère {{ first_name }}, rendez-vous à **{{ city }}** !",
               tag="Lettre"):  # fmt: skip
    segment = Segment.objects.create(name=f"Tag {tag}", filters={"tags": [tag]})
    return Message.objects.create(channel="email", name="Lettre n°1", subject=subject, body=body, segment=segment)


def person(first, email, tag="Lettre", **fields):
    c = Contact.objects.create(first_names=first, birth_name="Test", email=email, **fields)
    c.tags.add(Tag.objects.get_or_create(name=tag)[0])
    return c


def test_unknown_merge_fields_are_refused_when_the_message_is_saved(campaign):
    with tenant_context(campaign):
        message = newsletter(body="Bonjour {{ prenom }} et {{ first_name }", subject="{{ city }}")
        with pytest.raises(templating.BadTemplate) as error:
            check_message(message)
        assert "« {{ prenom }} »" in str(error.value) and "accolades" in str(error.value)


def test_only_opted_in_people_not_suppressed_are_sent_once_each(campaign, fake):
    with tenant_context(campaign):
        yes = [person(n, f"{n.lower()}@exemple.fr", consent_email=True) for n in ("Zoé", "Anaïs", "Léon")]
        person("Sans", "sans@exemple.fr")  # never asked
        person("Refus", "refus@exemple.fr", consent_email=False)
        person("Vide", "", consent_email=True)
        bounced = person("Rejet", "rejet@exemple.fr", consent_email=True)
        Contact.objects.filter(pk=bounced.pk).update(email_bounced_at="2026-11-01T00:00Z")
        gone = person("Effacée", "effacee@exemple.fr", consent_email=True)
        erase_contact(gone, actor=None)
        person("Revenue", "Effacee@exemple.fr", consent_email=True)  # same address, back under another row
        message = newsletter()
        eligible, excluded = audience(message)
        assert sorted(eligible.values_list("email", flat=True)) == sorted(c.email for c in yes)
        assert excluded == {"no_address": 1, "no_consent": 2, "bounced": 1, "suppressed": 1}

        assert send_now(message, actor=None) == 3
        assert deliver_email(message) == 3
        assert deliver_email(message) == 0  # run again: nothing new
        [request] = fake.mail_requests()
        assert sorted(fake.recipients()) == sorted(c.email for c in yes)
        p = next(p for p in request["personalizations"] if p["to"][0]["email"] == "anaïs@exemple.fr")
        html = next(c["value"] for c in request["content"] if c["type"] == "text/html")
        text = next(c["value"] for c in request["content"] if c["type"] == "text/plain")
        assert templating.fill(request["subject"], p["substitutions"]) == "Bonjour Anaïs"
        assert "<strong>" in html and "Chère Anaïs" in templating.fill(text, p["substitutions"])
        unsubscribe = p["headers"]["List-Unsubscribe"].strip("<>")
        assert p["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe in templating.fill(text, p["substitutions"])
        assert read_unsubscribe_token(unsubscribe.rstrip("/").rsplit("/", 1)[1])[0] == campaign.schema_name
        assert Send.objects.filter(message=message, status="sent").count() == 3
        assert Interaction.objects.filter(kind="message", contact__in=yes).count() == 3


def test_someone_erased_while_a_message_goes_out_is_not_sent_it_and_no_send_keeps_their_address(campaign, fake):
    with tenant_context(campaign):
        stays, leaves = person("Zoé", "zoe@exemple.fr", consent_email=True), person("Léa", "lea@exemple.fr",
                                                                                     consent_email=True)  # fmt: skip
        earlier = newsletter()
        send_now(earlier, actor=None)
        deliver_email(earlier)
        message = Message.objects.create(channel="email", name="n°2", subject="Re", body="Re", segment=earlier.segment)
        assert send_now(message, actor=None) == 2  # recipients chosen, not sent yet
        erase_contact(leaves, actor=None)
        assert deliver_email(message) == 1
        assert fake.recipients() == ["zoe@exemple.fr", "lea@exemple.fr", "zoe@exemple.fr"]
        theirs = Send.objects.filter(contact=leaves)
        assert {(s.message_id, s.status) for s in theirs} == {(earlier.pk, "sent"), (message.pk, "dropped")}
        assert not Send.objects.filter(to__icontains="lea").exists()
        assert Send.objects.get(message=message, contact=stays).status == "sent"


def test_recipients_go_in_batches_of_a_thousand(campaign, fake):
    with tenant_context(campaign):
        tag = Tag.objects.create(name="Lettre")
        people = Contact.objects.bulk_create(
            [Contact(first_names=f"P{i}", email=f"p{i}@exemple.fr", consent_email=True) for i in range(2500)]
        )
        tag.contacts.add(*people)
        message = newsletter()
        send_now(message, actor=None)
        deliver_email(message)
        assert [len(r["personalizations"]) for r in fake.mail_requests()] == [1000, 1000, 500]
        assert len(set(fake.recipients())) == 2500


def test_429_and_500_are_retried_but_400_is_not(campaign, fake):
    with tenant_context(campaign):
        person("Zoé", "zoe@exemple.fr", consent_email=True)
        message = newsletter()
        send_now(message, actor=None)
        fake.fail_next(429, 500)
        assert deliver_email(message) == 1
        assert len(fake.mail_requests()) == 1 and Send.objects.get(message=message).status == "sent"

        other = Message.objects.create(channel="email", name="n°2", subject="Re", body="Re", segment=message.segment)
        send_now(other, actor=None)
        fake.fail_next(400)
        assert deliver_email(other) == 0
        assert len(fake.mail_requests()) == 1  # the 400 was not tried again
        assert Send.objects.get(message=other).status == "failed" and "400" in Send.objects.get(message=other).error


def test_unsubscribe_link_works_without_an_account_and_the_next_send_skips_them(campaign, fake):
    with tenant_context(campaign):
        zoe = person("Zoé", "zoe@exemple.fr", consent_email=True)
        person("Léon", "leon@exemple.fr", consent_email=True)
        message = newsletter()
        send_now(message, actor=None)
        deliver_email(message)
    link = next(p for p in fake.mail_requests()[0]["personalizations"] if p["to"][0]["email"] == "zoe@exemple.fr")
    path = "/" + link["headers"]["List-Unsubscribe"].strip("<>").split("/", 3)[3]
    client = Client(HTTP_HOST=host_of(campaign))
    page = client.get(path)
    assert page.status_code == 200 and "zoe@exemple.fr" in page.content.decode()
    done = client.post(path, {"List-Unsubscribe": "One-Click"})
    # An opt-out covers every channel and action of the campaign.
    assert done.status_code == 200 and "ne vous contacterons plus" in done.content.decode()
    assert client.get(path[:-5] + "xxxx/").status_code == 404  # tampered link
    with tenant_context(campaign):
        zoe_now = Contact.objects.get(pk=zoe.pk)
        assert (zoe_now.consent_email, zoe_now.consent_sms, zoe_now.consent_phone) == (False, False, False)
        assert ConsentEvent.objects.filter(contact=zoe, channel="email", granted=False).exists()
        second = Message.objects.create(channel="email", name="n°2", subject="Re", body="Re", segment=message.segment)
        send_now(second, actor=None)
        deliver_email(second)
    assert fake.recipients()[-1:] == ["leon@exemple.fr"] and fake.recipients().count("zoe@exemple.fr") == 1


def test_event_webhook_checks_the_signature_and_applies_each_event_once(campaign, fake):
    keys = SendGridKeys()
    with tenant_context(campaign):
        settings_row = MessagingSettings.current()
        settings_row.sendgrid_webhook_key = keys.public
        settings_row.save()
        people = [person(n, f"{n.lower()}@exemple.fr", consent_email=True) for n in ("Zoé", "Léon", "Inès")]
        message = newsletter()
        send_now(message, actor=None)
        deliver_email(message)
        sends = {s.contact_id: s.pk for s in Send.objects.filter(message=message)}
    zoe, leon, ines = people

    def event(kind, contact, **extra):
        return {"event": kind, "sg_event_id": f"{kind}-{contact.pk}", "send": str(sends[contact.pk]),
                "campaign": campaign.schema_name, "email": contact.email, "timestamp": 1764400000, **extra}  # fmt: skip

    payload = json.dumps([event("delivered", zoe), event("open", zoe), event("bounce", leon, type="bounce"),
                          event("spamreport", ines)])  # fmt: skip
    client = Client(HTTP_HOST=host_of(campaign))
    url = "/messages/sendgrid/events/"
    assert client.post(url, payload, content_type="application/json").status_code == 403  # unsigned
    forged = payload.replace("delivered", "dropped")
    assert client.post(url, forged, content_type="application/json", headers=keys.headers(payload)).status_code == 403
    assert (
        client.post(url, payload, content_type="application/json", headers=SendGridKeys().headers(payload)).status_code
        == 403
    )
    ok = client.post(url, payload, content_type="application/json", headers=keys.headers(payload))
    assert ok.status_code == 200 and ok.json() == {"applied": 4}
    replay = client.post(url, payload, content_type="application/json", headers=keys.headers(payload))
    assert replay.json() == {"applied": 0}
    with tenant_context(campaign):
        status = dict(Send.objects.filter(message=message).values_list("contact_id", "status"))
        assert status == {zoe.pk: "opened", leon.pk: "bounced", ines.pk: "spam"}
        assert Contact.objects.get(pk=leon.pk).email_bounced_at is not None
        assert Contact.objects.get(pk=ines.pk).consent_email is False
        # A spam report is an opt-out of everything, logged once per channel (the replay added nothing).
        events = ConsentEvent.objects.filter(contact=ines, granted=False)
        assert sorted(events.values_list("channel", flat=True)) == ["door", "email", "phone", "sms"]
    assert client.post(url, "pas du json", content_type="application/json",
                       headers=keys.headers("pas du json")).status_code == 400  # fmt: skip


def test_a_timed_out_request_is_not_sent_again_blindly(campaign, fake, settings):
    """SendGrid may have accepted a request that timed out: the recipients stay claimed
    until its "processed" events confirm them, so nobody is mailed twice."""
    keys = SendGridKeys()
    settings.SENDGRID_TIMEOUT_SECONDS = 0.3
    with tenant_context(campaign):
        ms = MessagingSettings.current()
        ms.sendgrid_webhook_key = keys.public
        ms.save()
        people = [person(n, f"{n.lower()}@exemple.fr", consent_email=True) for n in ("Zoé", "Léon")]
        message = newsletter()
        send_now(message, actor=None)
        fake.delay = 1.0
        assert deliver_email(message) == 0
        assert set(Send.objects.filter(message=message).values_list("status", flat=True)) == {"claimed"}
        fake.delay = 0
        assert deliver_email(message) == 0  # claimed rows are not taken again
        sends = dict(Send.objects.filter(message=message).values_list("contact_id", "pk"))
    assert len(fake.mail_requests()) == 1
    # SendGrid did accept it: its processed events arrive and settle the rows.
    events = [{"event": "processed", "sg_event_id": f"p{c.pk}", "send": str(sends[c.pk]),
               "campaign": campaign.schema_name} for c in people]  # fmt: skip
    payload = json.dumps(events)
    client = Client(HTTP_HOST=host_of(campaign))
    client.post("/messages/sendgrid/events/", payload, content_type="application/json", headers=keys.headers(payload))
    with tenant_context(campaign):
        from crm.messaging.email import release_stale_claims

        assert release_stale_claims(message, older_than=0) == 0
        assert set(Send.objects.filter(message=message).values_list("status", flat=True)) == {"sent"}
        assert deliver_email(message) == 0
    assert len(fake.mail_requests()) == 1


def test_cancel_while_sending_stops_after_the_batch_in_flight(committed, settings):
    import threading

    from django.db import connection

    from crm.messaging.services import cancel

    fake = FakeProviders()
    settings.SENDGRID_API_URL, settings.SENDGRID_REQUESTS_PER_SECOND = fake.url, 0
    campaign = committed.campaign().campaign
    with tenant_context(campaign):
        tag = Tag.objects.create(name="Lettre")
        tag.contacts.add(*Contact.objects.bulk_create(
            [Contact(first_names=f"P{i}", email=f"p{i}@exemple.fr", consent_email=True) for i in range(3000)]
        ))  # fmt: skip
        message = newsletter()
        # What send_now does, without queueing delivery (a session worker could take it).
        message.status = Message.Status.SENDING
        message.save()
        materialise(message)

    def cancel_on_first_request(path, body):
        # The team presses "cancel" while the first batch is at SendGrid (another connection).
        def press():
            connection.set_tenant(campaign)
            cancel(Message.objects.get(pk=message.pk), actor=None)
            connection.close()

        if len(fake.mail_requests()) == 1:
            t = threading.Thread(target=press)
            t.start()
            t.join()

    fake.on_request = cancel_on_first_request
    try:
        with tenant_context(campaign):
            assert deliver_email(message) == 1000
            assert Message.objects.get(pk=message.pk).status == "cancelled"
            assert Send.objects.filter(message=message, status="pending").count() == 2000
        assert len(fake.mail_requests()) == 1
    finally:
        fake.close()
