"""Election-bound retention: people who came only from an electoral-list import (no
consent, no sign-up, no contribution, not completed by another source) are erased once
the last election date plus a grace period has passed. A dry run lists them; the
campaign's admins are warned 7 days ahead; every purge is in the audit log."""

import datetime as dt

from django.core.mail import send_mail
from django.db.models import BigIntegerField, Exists, OuterRef, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.accounts.models import AuditEntry, Role, User

from . import gdpr
from .models import Contact, CrmSettings, ImportJob, Interaction

WARN_DAYS = 7
# Timeline lines that show a legal basis of the person's own: they signed up, took part.
OWN_ACTS = [Interaction.Kind.SIGNED_UP, Interaction.Kind.CONTRIBUTION]


def purge_date(settings=None):
    settings = settings or CrmSettings.current()
    if not settings.election_dates:
        return None
    return max(settings.election_dates) + dt.timedelta(days=settings.election_grace_days)


def electoral_only():
    """Contacts whose data came only from electoral-list imports."""
    other_jobs = ImportJob.objects.filter(electoral_list=False).values("pk")
    completed_elsewhere = (
        Interaction.objects.filter(contact=OuterRef("pk"), kind=Interaction.Kind.UPDATED_BY_IMPORT)
        .annotate(job=Cast(KT("data__import"), BigIntegerField()))
        .filter(job__in=other_jobs)
    )
    own_acts = Interaction.objects.filter(contact=OuterRef("pk"), kind__in=OWN_ACTS)
    consented = Q(consent_email=True) | Q(consent_sms=True) | Q(consent_phone=True) | Q(consent_door=True)
    return (
        Contact.objects.filter(erased_at__isnull=True, import_job__electoral_list=True)
        .exclude(consented)
        .exclude(Exists(completed_elsewhere))
        .exclude(Exists(own_acts))
    )


def apply_election_retention(*, dry_run=True, today=None, actor=None):
    """{"purge_on", "due", "count", "ids"}: what goes (dry run) or went."""
    today = today or timezone.localdate()
    settings = CrmSettings.current()
    when = purge_date(settings)
    people = electoral_only()
    report = {"purge_on": when.isoformat() if when else None, "due": bool(when and today >= when)}
    ids = list(people.values_list("pk", flat=True))
    report["count"] = len(ids)
    if dry_run or not report["due"]:
        report["ids"] = ids[:1000]
        return report
    gdpr.erase_contacts(ids, actor=actor, reason="election retention")
    AuditEntry.objects.create(
        actor=actor, action="contacts.election_purge", target_type="contacts", target_id="",
        data={"count": len(ids), "purge_on": report["purge_on"]},
    )  # fmt: skip
    report["ids"] = ids[:1000]
    return report


def warn_admins(*, today=None):
    """Seven days before the purge, tell the campaign's admins what will go (once)."""
    today = today or timezone.localdate()
    settings = CrmSettings.current()
    when = purge_date(settings)
    if when is None or not (when - dt.timedelta(days=WARN_DAYS) <= today < when):
        return False
    if settings.election_warning_sent_on and settings.election_warning_sent_on >= when - dt.timedelta(days=WARN_DAYS):
        return False
    count = electoral_only().count()
    admins = list(User.objects.filter(role=Role.ADMIN, is_active=True).values_list("email", flat=True))
    if admins:
        send_mail(
            _("Effacement prévu le %(date)s des données de la liste électorale") % {"date": when.strftime("%d/%m/%Y")},
            _("%(n)d personnes connues seulement par la liste électorale (sans accord ni participation) seront "
              "effacées le %(date)s, comme le prévoit la durée de conservation liée à l'élection. La liste est "
              "consultable avec : manage.py apply_election_retention --campaign <slug> --dry-run")
            % {"n": count, "date": when.strftime("%d/%m/%Y")},
            None, admins,
        )  # fmt: skip
    settings.election_warning_sent_on = today
    settings.save(update_fields=["election_warning_sent_on"])
    AuditEntry.objects.create(action="contacts.election_purge_warning", data={"count": count, "purge_on": str(when)})
    return True
