"""The rights of the people in the base (GDPR): see everything held, be erased and
stay erased, and be forgotten after a period without contact.

Each campaign is the data controller. Erasure keeps the contact row, emptied of
personal data, so totals and results still add up; the person's e-mail addresses and
phone numbers survive only as salted hashes in the suppression list, which every
import and every send checks.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from campaigns.accounts.models import AuditEntry

from .importing.rows import value_hash
from .models import ConsentEvent, Contact, CrmSettings, ImportedRow, Interaction, SuppressionEntry
from .signals import contact_erased


def export_contact(contact, *, actor):
    """Everything the campaign holds about one person, as JSON-ready data."""
    household = contact.household
    address = household.address if household else None
    data = {
        "contact": {
            "id": contact.pk,
            "birth_name": contact.birth_name,
            "usage_name": contact.usage_name,
            "first_names": contact.first_names,
            "sex": contact.sex,
            "birth_date": contact.birth_date.isoformat() if contact.birth_date else None,
            "email": contact.email,
            "other_emails": contact.other_emails,
            "phone": contact.phone,
            "other_phones": contact.other_phones,
            "custom_fields": contact.custom_fields,
            "source": contact.source,
            "support_level": contact.support_level,
            "opinion_notes": contact.opinion_notes,
            "consents": {
                "email": contact.consent_email,
                "sms": contact.consent_sms,
                "phone": contact.consent_phone,
                "door": contact.consent_door,
            },
            "last_contacted_at": contact.last_contacted_at.isoformat() if contact.last_contacted_at else None,
            "created": contact.created.isoformat(),
            "updated": contact.updated.isoformat(),
        },
        "address": {
            "line1": address.line1,
            "dwelling": household.label,
            "postal_code": address.postal_code,
            "city": address.city,
            "polling_station": address.polling_station_code,
            "point": list(address.point.coords) if address.point else None,
        }
        if address
        else None,
        "tags": sorted(contact.tags.values_list("name", flat=True)),
        "consent_log": [
            {"channel": e.channel, "granted": e.granted, "at": e.at.isoformat(), "source": e.source}
            for e in contact.consent_events.order_by("at")
        ],
        "timeline": [
            {"kind": i.kind, "at": i.at.isoformat(), "summary": i.summary, "data": i.data}
            for i in contact.interactions.order_by("at")
        ],
    }
    AuditEntry.objects.create(
        actor=actor, action="contact.exported", target_type="contact", target_id=str(contact.pk), data={}
    )
    return data


def identity(name_key, birth_date):
    """What the suppression list keeps of a person known by name and birth date only,
    as a voter file knows most people: folded birth name, first first-name and birth
    date ("" without a birth date: a name alone is too common). The import computes
    the same in SQL (merge.SQL_IDENTITY)."""
    return f"{name_key}|{birth_date.isoformat()}" if name_key and birth_date else ""


def suppression_hashes(emails=(), phones=(), identities=(), *, salt=None):
    """[(kind, hash)] the suppression list holds of these values. `salt`: the campaign's
    (CrmSettings.suppression_salt), read here when not given."""
    salt = salt or CrmSettings.current().suppression_salt
    return (
        [("email", value_hash(salt, e.strip().lower())) for e in emails if e]
        + [("phone", value_hash(salt, p)) for p in phones if p]
        + [("identity", value_hash(salt, i)) for i in identities if i]
    )


def _suppression_query(email, phone):
    wanted = suppression_hashes([email] if email else [], [phone] if phone else [])
    if not wanted:
        return None
    query = Q()
    for kind, digest in wanted:
        query |= Q(kind=kind, value_hash=digest)
    return query


def is_suppressed(*, email="", phone=""):
    """True if this address or number belongs to an erased person. Every channel asks."""
    query = _suppression_query(email, phone)
    return query is not None and SuppressionEntry.objects.filter(query).exists()


def lift_suppression(*, email="", phone=""):
    """The person came back on their own (signed up again): their own new request is a
    legal basis, so imports and sends may reach them again."""
    query = _suppression_query(email, phone)
    return SuppressionEntry.objects.filter(query).delete()[0] if query is not None else 0


def erase_contact(contact, *, actor, reason="request"):
    """Remove a person's personal data for good; keep an anonymous row for the totals."""
    erase_contacts([contact.pk], actor=actor, reason=reason)
    contact.refresh_from_db()
    return contact


# People erased per transaction by erase_contacts.
ERASE_CHUNK = 2000


def erase_contacts(ids, *, actor, reason="request"):
    """Erase these people (those not erased yet), ERASE_CHUNK at a time, each chunk in
    one transaction of a fixed number of statements. One by one, with a score of
    statements each, a retention or election purge took 8 ms a person: more than two
    hours for a town's electoral list. Returns how many were erased."""
    ids = list(ids)
    return sum(_erase_chunk(ids[i : i + ERASE_CHUNK], actor, reason) for i in range(0, len(ids), ERASE_CHUNK))


@transaction.atomic
def _erase_chunk(ids, actor, reason):
    people = Contact.objects.filter(pk__in=ids, erased_at__isnull=True).select_for_update()
    found = list(people.values_list("pk", "email", "other_emails", "phone", "other_phones", "name_key", "birth_date"))
    ids = [pk for pk, *_values in found]
    if not ids:
        return 0
    emails = [e for _pk, email, others, *_rest in found for e in (email, *others)]
    phones = [p for _pk, _email, _others, phone, others, *_rest in found for p in (phone, *others)]
    identities = [identity(key, born) for *_rest, key, born in found]
    SuppressionEntry.objects.bulk_create(
        [SuppressionEntry(kind=kind, value_hash=digest, reason=reason)
         for kind, digest in set(suppression_hashes(emails, phones, identities))],
        ignore_conflicts=True,  # kept as they were: the first erasure's reason stays
    )  # fmt: skip
    Contact.tags.through.objects.filter(contact_id__in=ids).delete()
    ConsentEvent.objects.filter(contact_id__in=ids).delete()
    ImportedRow.objects.filter(contact_id__in=ids).delete()  # a later file's row is read, and suppressed
    Interaction.objects.filter(contact_id__in=ids).update(summary="", data={}, actor=None)
    now = timezone.now()
    Contact.objects.filter(pk__in=ids).update(
        birth_name="",
        usage_name="",
        first_names="",
        sex="",
        birth_date=None,
        email="",
        phone="",
        other_emails=[],
        other_phones=[],
        household=None,
        custom_fields={},
        source="",
        import_job=None,
        consent_email=None,
        consent_sms=None,
        consent_phone=None,
        consent_door=None,
        opinion_notes="",
        name_key="",
        search_text="",
        erased_at=now,
        updated=now,
    )
    Interaction.objects.bulk_create(
        [Interaction(contact_id=pk, kind=Interaction.Kind.ERASED, summary="") for pk in ids]
    )
    contact_erased.send(sender=Contact, contact_ids=ids)
    AuditEntry.objects.bulk_create(
        [AuditEntry(actor=actor, action="contact.erased", target_type="contact", target_id=str(pk),
                    data={"reason": reason}) for pk in ids]
    )  # fmt: skip
    return len(ids)


# What the person did themselves on the campaign's site: as good a sign they are still
# with the campaign as a door opened or a call answered.
OWN_ACTIVITY = (Interaction.Kind.CONTRIBUTION, Interaction.Kind.SIGNED_UP)


def inactive_contacts(months, *, now=None):
    """People with no contact (visit, call, message), nothing done on the site and no
    new data for `months`."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=round(months * 30.44))
    recent = Interaction.objects.filter(Q(is_contact=True) | Q(kind__in=OWN_ACTIVITY),
                                        contact=OuterRef("pk"), at__gte=cutoff)  # fmt: skip
    return (
        Contact.objects.filter(erased_at__isnull=True, created__lt=cutoff, updated__lt=cutoff)
        .filter(Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lt=cutoff))
        .exclude(Exists(recent))
    )


def apply_retention(*, dry_run=True, actor=None, now=None):
    """Erase the people kept past the campaign's retention period. With dry_run, only
    say who would go. Returns (count, ids)."""
    months = CrmSettings.current().retention_months
    if not months:
        return 0, []
    ids = list(inactive_contacts(months, now=now).values_list("pk", flat=True))
    if not dry_run:
        erase_contacts(ids, actor=actor, reason=f"retention {months} months")
        AuditEntry.objects.create(
            actor=actor, action="contacts.retention_purge", target_type="contact", data={"count": len(ids)}
        )
    return len(ids), ids
