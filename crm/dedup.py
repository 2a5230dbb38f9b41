"""Finding and merging duplicate contacts."""

from dataclasses import dataclass

from django.db import connection, transaction

from campaigns.accounts.models import AuditEntry

from .models import ConsentEvent, Contact, ImportedRow, Interaction

NEAR_DUPLICATE_SIMILARITY = 0.6


@dataclass(frozen=True)
class DuplicatePair:
    keep_id: int
    other_id: int
    reason: str  # "email", "phone", "name_birth_date" or "similar_name_same_address"
    similarity: float = 1.0


def find_duplicates(limit=500):
    """Pairs of contacts that are probably one person, surest first."""

    def same(condition):
        return f"""SELECT a.id, b.id FROM crm_contact a JOIN crm_contact b ON a.id < b.id AND {condition}
                    WHERE a.erased_at IS NULL AND b.erased_at IS NULL ORDER BY a.id, b.id LIMIT %s"""  # noqa: S608

    queries = [
        ("email", same("a.email <> '' AND a.email = b.email")),
        ("email", _among_others("email")),
        ("phone", same("a.phone <> '' AND a.phone = b.phone")),
        ("phone", _among_others("phone")),
        ("name_birth_date", same("a.name_key <> '' AND a.name_key = b.name_key AND a.birth_date = b.birth_date")),
    ]
    pairs, seen = [], set()
    with connection.cursor() as cursor:
        for reason, query in queries:
            cursor.execute(query, [limit])
            for keep, other in cursor.fetchall():
                if (keep, other) not in seen:
                    seen.add((keep, other))
                    pairs.append(DuplicatePair(keep, other, reason))
        # Near duplicates: similar names (trigrams) in the same building.
        cursor.execute(
            """SELECT a.id, b.id, similarity(a.search_text, b.search_text)
                 FROM crm_contact a
                 JOIN crm_household ha ON ha.id = a.household_id
                 JOIN crm_household hb ON hb.address_id = ha.address_id
                 JOIN crm_contact b ON b.household_id = hb.id AND a.id < b.id
                WHERE a.erased_at IS NULL AND b.erased_at IS NULL
                  AND similarity(a.search_text, b.search_text) >= %s
                ORDER BY 3 DESC LIMIT %s""",
            [NEAR_DUPLICATE_SIMILARITY, limit],
        )
        for keep, other, similarity in cursor.fetchall():
            if (keep, other) not in seen:
                seen.add((keep, other))
                pairs.append(DuplicatePair(keep, other, "similar_name_same_address", round(similarity, 2)))
    return pairs[:limit]


def _among_others(kind):
    """Pairs of people one of whom has, among its other e-mails (phones), the other's
    e-mail (phone) or one of its other ones."""
    others = f"other_{kind}s"
    return f"""WITH o AS (SELECT id, unnest({others}) AS value FROM crm_contact
                           WHERE NOT ({others} = '{{}}') AND erased_at IS NULL)
               SELECT DISTINCT LEAST(o.id, c.id), GREATEST(o.id, c.id) FROM o JOIN crm_contact c
                   ON c.id <> o.id AND c.erased_at IS NULL AND c.{kind} = o.value
               UNION
               SELECT LEAST(o.id, p.id), GREATEST(o.id, p.id) FROM o JOIN o p ON p.value = o.value AND o.id < p.id
               ORDER BY 1, 2 LIMIT %s"""  # noqa: S608


FILL_FIELDS = ("birth_name", "usage_name", "first_names", "sex", "email", "phone", "opinion_notes")


@transaction.atomic
def merge_contacts(keep, other, *, actor):
    """Fold `other` into `keep`: every interaction, tag and consent record moves over,
    blank fields are filled, other addresses and numbers are kept. `other` goes."""
    if keep.pk == other.pk:
        raise ValueError("A contact cannot be merged with itself.")
    keep = Contact.objects.select_for_update().get(pk=keep.pk)
    other = Contact.objects.select_for_update().get(pk=other.pk)
    snapshot = {
        "id": other.pk,
        "name": str(other),
        "email": other.email,
        "phone": other.phone,
        "source": other.source,
    }
    for field in FILL_FIELDS:
        if not getattr(keep, field) and getattr(other, field):
            setattr(keep, field, getattr(other, field))
    for email in [other.email, *other.other_emails]:
        if email and email != keep.email and email not in keep.other_emails:
            keep.other_emails.append(email)
    for phone in [other.phone, *other.other_phones]:
        if phone and phone != keep.phone and phone not in keep.other_phones:
            keep.other_phones.append(phone)
    keep.birth_date = keep.birth_date or other.birth_date
    keep.household = keep.household or other.household
    keep.support_level = keep.support_level or other.support_level
    keep.custom_fields = {**other.custom_fields, **keep.custom_fields}
    for channel in ("email", "sms", "phone", "door"):
        mine, theirs = getattr(keep, f"consent_{channel}"), getattr(other, f"consent_{channel}")
        # A refusal on either side wins; otherwise any recorded consent.
        setattr(keep, f"consent_{channel}", False if False in (mine, theirs) else (mine or theirs))
    if other.last_contacted_at and (not keep.last_contacted_at or other.last_contacted_at > keep.last_contacted_at):
        keep.last_contacted_at = other.last_contacted_at
    keep.tags.add(*other.tags.all())
    Interaction.objects.filter(contact=other).update(contact=keep)
    ConsentEvent.objects.filter(contact=other).update(contact=keep)
    # The file rows that made `other` are `keep`'s now: importing them again brings
    # nobody back.
    ImportedRow.objects.filter(contact=other).update(contact=keep)
    other.delete()
    keep.save()
    Interaction.objects.create(
        contact=keep,
        kind=Interaction.Kind.MERGED,
        actor=actor,
        summary=f"Fusion avec {snapshot['name']}",
        data={"merged": snapshot},
    )
    AuditEntry.objects.create(
        actor=actor, action="contacts.merged", target_type="contact", target_id=str(keep.pk), data=snapshot
    )
    return keep
