from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from campaigns.tenancy import each_campaign

from .models import Message, Send


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver(message_id):
    """Send what remains of a message. Safe to run twice at once or again after a
    crash: recipients are claimed row by row (crm/messaging/email.py)."""
    from .email import deliver_email, release_stale_claims
    from .sms import deliver_sms

    message = Message.objects.get(pk=message_id)
    if message.status != Message.Status.SENDING:
        return 0
    release_stale_claims(message)
    handed = deliver_email(message) if message.channel == Message.Channel.EMAIL else deliver_sms(message)
    finish_if_done(message)
    return handed


def finish_if_done(message):
    open_sends = Send.objects.filter(message=message, status__in=[Send.Status.PENDING, Send.Status.CLAIMED])
    if not open_sends.exists():
        Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
            status=Message.Status.SENT, finished_at=timezone.now()
        )


@shared_task
def dispatch_messages():
    """Runs in one campaign: start scheduled messages that are due, and resume sends
    left half-done by a worker that died."""
    from .services import send_now

    now = timezone.now()
    for message in Message.objects.filter(status=Message.Status.SCHEDULED, scheduled_at__lte=now):
        send_now(message, actor=None)
    for message in Message.objects.filter(status=Message.Status.SENDING):
        if Send.objects.filter(Q(status=Send.Status.PENDING) | Q(status=Send.Status.CLAIMED), message=message).exists():
            deliver.delay(message.pk)
        else:
            finish_if_done(message)


@shared_task
def dispatch_messages_everywhere():
    """Every minute (celery beat): each campaign's due and interrupted messages."""
    for _campaign in each_campaign():
        dispatch_messages.delay()
