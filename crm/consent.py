"""Consent and opt-outs, the same rules for every path (staff pages, API, field
answers, the citizen's profile, unsubscribe links, STOP answers):

- an opt-out (an unsubscribe link, a STOP, a spam complaint, a request staff record)
  applies to every channel and every action of the campaign at once; declining one
  channel (a profile box unticked, "no SMS" at the door) declines that channel only;
- undoing an opt-out needs a recorded reason and the person's new consent;
- staff can opt someone out without anything being sent to them;
- every change goes to the consent log with its source, actor and reason.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from .models import Channel, ConsentEvent, Interaction

ALL_CHANNELS = [c.value for c in Channel]


class ConsentRefused(ValueError):
    pass


def _field(channel):
    return f"consent_{Channel(channel).value}"


@transaction.atomic
def opt_out(contact, *, source, actor=None, reason=""):
    """Withdraw consent on every channel at once; logged per channel that changes."""
    changed = []
    for channel in ALL_CHANNELS:
        field = _field(channel)
        if getattr(contact, field) is not False:
            setattr(contact, field, False)
            changed.append(field)
        ConsentEvent.objects.create(contact=contact, channel=channel, granted=False, source=source, actor=actor,
                                    reason=reason)  # fmt: skip
    if changed:
        contact.save(update_fields=[*changed, "updated"])
    Interaction.objects.create(contact=contact, kind=Interaction.Kind.CONSENT, actor=actor,
                               summary=_("Opposition : plus aucun contact (%(source)s)") % {"source": source},
                               data={"source": source, "reason": reason})  # fmt: skip
    return changed


@transaction.atomic
def withdraw(contact, channel, *, source, actor=None, reason=""):
    """Decline one channel (the person's preference, not a request to stop everything)."""
    field = _field(channel)
    if getattr(contact, field) is False:
        return False
    setattr(contact, field, False)
    contact.save(update_fields=[field, "updated"])
    ConsentEvent.objects.create(contact=contact, channel=channel, granted=False, source=source, actor=actor,
                                reason=reason)  # fmt: skip
    return True


@transaction.atomic
def grant(contact, channel, *, source, actor=None, reason="", new_consent=False):
    """Give consent on one channel. After an opt-out, only with a reason and the
    person's new consent (both recorded)."""
    field = _field(channel)
    if getattr(contact, field) is False:
        if not reason.strip():
            raise ConsentRefused(_("Cette personne s'est opposée : indiquez pourquoi vous levez l'opposition."))
        if not new_consent:
            raise ConsentRefused(_("Lever une opposition demande le nouvel accord de la personne."))
    if getattr(contact, field) is True:
        return False
    setattr(contact, field, True)
    contact.save(update_fields=[field, "updated"])
    ConsentEvent.objects.create(contact=contact, channel=channel, granted=True, source=source, actor=actor,
                                reason=reason.strip())  # fmt: skip
    return True
