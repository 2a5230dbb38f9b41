"""What the team does with a message: check, send now, schedule, cancel, test."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.accounts.models import AuditEntry

from . import templating
from .audience import materialise
from .models import Message, Send


class CannotSend(ValueError):
    pass


def check_message(message):
    """Raise templating.BadTemplate naming each bad merge field (at save time)."""
    problems = templating.check(message.subject, where=_("Objet")) + templating.check(message.body, where=_("Texte"))
    if problems:
        raise templating.BadTemplate(problems)


@transaction.atomic
def send_now(message, *, actor):
    from .tasks import deliver

    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status not in (Message.Status.DRAFT, Message.Status.SCHEDULED):
        raise CannotSend(_("Ce message a déjà été envoyé ou annulé."))
    check_message(message)
    message.status = Message.Status.SENDING
    message.started_at = timezone.now()
    message.save(update_fields=["status", "started_at"])
    count = materialise(message)
    AuditEntry.objects.create(actor=actor, action="message.sent", target_type="message", target_id=str(message.pk),
                              data={"recipients": count})  # fmt: skip
    for _n in range(max(1, settings.MESSAGING_PARALLEL_TASKS)):
        transaction.on_commit(lambda: deliver.delay(message.pk))
    return count


@transaction.atomic
def schedule(message, *, at, actor):
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status not in (Message.Status.DRAFT, Message.Status.SCHEDULED):
        raise CannotSend(_("Ce message a déjà été envoyé ou annulé."))
    if at <= timezone.now():
        raise CannotSend(_("Choisissez une date à venir."))
    check_message(message)
    message.status, message.scheduled_at = Message.Status.SCHEDULED, at
    message.save(update_fields=["status", "scheduled_at"])
    AuditEntry.objects.create(actor=actor, action="message.scheduled", target_type="message",
                              target_id=str(message.pk), data={"at": at.isoformat()})  # fmt: skip


@transaction.atomic
def cancel(message, *, actor):
    """Stop a scheduled message, or what remains of one being sent."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status not in (Message.Status.SCHEDULED, Message.Status.SENDING, Message.Status.DRAFT):
        raise CannotSend(_("Ce message est déjà terminé."))
    message.status = Message.Status.CANCELLED
    message.finished_at = timezone.now()
    message.save(update_fields=["status", "finished_at"])
    AuditEntry.objects.create(actor=actor, action="message.cancelled", target_type="message",
                              target_id=str(message.pk))  # fmt: skip


def forget_erased_contact(sender, contact_ids, **kwargs):
    """An erased person gets nothing more: their sends still waiting are dropped, and no
    send keeps their address or number (the counts of each message stay)."""
    sends = Send.objects.filter(contact_id__in=contact_ids)
    sends.filter(status__in=[Send.Status.PENDING, Send.Status.CLAIMED]).update(status=Send.Status.DROPPED)
    sends.update(to="", error=_("personne effacée à sa demande"))
