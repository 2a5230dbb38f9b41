"""Finding and merging duplicate contacts.

The duplicates queue of a base of up to LIVE_LIMIT contacts is worked out each time it
is asked for (under a second). A bigger one takes seconds (about 9 s for 1,000,000
contacts here): its queue is worked out in the background (`scan`, a Celery task
queued after each import, every night and when the team asks) and read from the
stored result, without the pairs merged or marked distinct since.
"""

from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.accounts.models import AuditEntry

from .models import (
    ConsentEvent,
    Contact,
    DistinctPair,
    DuplicateScan,
    DuplicateSuggestion,
    ImportedRow,
    Interaction,
    has_others_sql,
)

NEAR_DUPLICATE_SIMILARITY = 0.6
LIVE_LIMIT = 50_000
# How many pairs a scan keeps: more than a team works through between two scans.
SCAN_LIMIT = 1000


@dataclass(frozen=True)
class DuplicatePair:
    keep_id: int
    other_id: int
    reason: str  # "email", "phone", "name_birth_date" or "similar_name_same_address"
    similarity: float = 1.0


def find_duplicates(limit=500):
    """Pairs of contacts that are probably one person, surest first, leaving out the
    pairs the team said are two people (DistinctPair)."""
    pairs, seen = [], set()
    with connection.cursor() as cursor:
        for reason, values in _SHARED_VALUES:
            cursor.execute(_sharing(values), [limit])
            for keep, other in cursor.fetchall():
                if (keep, other) not in seen:
                    seen.add((keep, other))
                    pairs.append(DuplicatePair(keep, other, reason))
        # Near duplicates: similar names (trigrams) in the same building.
        with _joined_by_hashing():
            cursor.execute(_NEAR_DUPLICATES, [NEAR_DUPLICATE_SIMILARITY, limit])
        for keep, other, similarity in cursor.fetchall():
            if (keep, other) not in seen:
                seen.add((keep, other))
                pairs.append(DuplicatePair(keep, other, "similar_name_same_address", round(similarity, 2)))
    return pairs[:limit]


def base_is_big():
    """Whether the base holds more than LIVE_LIMIT contacts (PostgreSQL's estimate)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'crm_contact'::regclass")
        return cursor.fetchone()[0] > LIVE_LIMIT


def duplicates_queue(limit):
    """(pairs, scan): the pairs to offer the team and the DuplicateScan they come from,
    None when they were worked out now."""
    if not base_is_big():
        return find_duplicates(limit), None
    stored = DuplicateSuggestion.objects.filter(keep__erased_at__isnull=True, other__erased_at__isnull=True)
    pairs = [DuplicatePair(s.keep_id, s.other_id, s.reason, s.similarity) for s in stored[:limit]]
    return pairs, DuplicateScan.current()


def scan():
    """Work out the duplicates queue and store it (crm.tasks.scan_duplicates)."""
    record = DuplicateScan.current()
    DuplicateScan.objects.filter(pk=record.pk).update(started_at=timezone.now())
    pairs = find_duplicates(limit=SCAN_LIMIT)
    with transaction.atomic():
        DuplicateSuggestion.objects.all().delete()
        # A pair whose contact was merged away meanwhile is left out.
        living = set(Contact.objects.filter(pk__in={i for p in pairs for i in (p.keep_id, p.other_id)})
                     .values_list("pk", flat=True))  # fmt: skip
        DuplicateSuggestion.objects.bulk_create(
            DuplicateSuggestion(position=n, keep_id=p.keep_id, other_id=p.other_id, reason=p.reason,
                                similarity=p.similarity)
            for n, p in enumerate(pairs) if p.keep_id in living and p.other_id in living
        )  # fmt: skip
        DuplicateScan.objects.filter(pk=record.pk).update(finished_at=timezone.now())
    return len(pairs)


def _living(condition):
    return f"FROM crm_contact WHERE erased_at IS NULL AND {condition}"


def _own_and_others(kind):
    """(contact id, e-mail or phone) of every living contact, its other ones included."""
    return f"""SELECT id, {kind}::text AS value {_living(f"{kind} <> ''")}
               UNION ALL SELECT id, unnest(other_{kind}s) {_living(has_others_sql(kind))}"""


# (reason, (contact id, value) of every contact): two contacts with one value are
# probably one person.
_SHARED_VALUES = [
    ("email", _own_and_others("email")),
    ("phone", _own_and_others("phone")),
    (
        "name_birth_date",
        f"""SELECT id, name_key || '|' || birth_date::text AS value
            {_living("name_key <> '' AND birth_date IS NOT NULL")}""",
    ),
]
_NOT_DISTINCT = "NOT EXISTS (SELECT 1 FROM crm_distinctpair n WHERE n.low_id = a.id AND n.high_id = b.id)"

# Contacts with similar names (trigrams) in one building.
_NEAR_DUPLICATES = f"""
    SELECT a.id, b.id, similarity(a.search_text, b.search_text)
      FROM crm_contact a
      JOIN crm_household ha ON ha.id = a.household_id
      JOIN crm_household hb ON hb.address_id = ha.address_id
      JOIN crm_contact b ON b.household_id = hb.id AND a.id < b.id
     WHERE a.erased_at IS NULL AND b.erased_at IS NULL
       AND similarity(a.search_text, b.search_text) >= %s AND {_NOT_DISTINCT}
     ORDER BY 3 DESC, 1, 2 LIMIT %s"""  # noqa: S608


@contextmanager
def _joined_by_hashing():
    """For the statements run inside: no nested loops. On tables never analyzed (a base
    just filled, autovacuum off) the planner takes them for nearly empty and pairs
    every contact with every other in one: the near duplicates of 5,000 contacts took
    55 s. Joined by hashing, contacts are paired only within a building: 70 ms, and
    3.5 s for 1,000,000, as with statistics."""
    with transaction.atomic(), connection.cursor() as setting:
        # Put back as it was after: inside an outer transaction (a request, a test) the
        # block is only a savepoint, which a SET LOCAL outlives.
        setting.execute("SELECT current_setting('enable_nestloop')")
        before = setting.fetchone()[0]
        setting.execute("SELECT set_config('enable_nestloop', 'off', true)")
        try:
            yield
        finally:
            setting.execute("SELECT set_config('enable_nestloop', %s, true)", [before])


def _sharing(values):
    """Pairs (lower id first) of contacts sharing a value of `values`. The values held
    twice are found first, by one grouping (a million contacts: about a second), and
    only their holders are paired (a self-join of the contacts on the value ran for
    more than ten minutes at a million)."""
    return f"""WITH v AS MATERIALIZED ({values}),
                    shared AS (SELECT v.id, v.value FROM v JOIN (
                                   SELECT value FROM v GROUP BY value HAVING count(*) > 1) d USING (value))
               SELECT DISTINCT a.id, b.id FROM shared a JOIN shared b ON b.value = a.value AND a.id < b.id
                WHERE {_NOT_DISTINCT}
                ORDER BY 1, 2 LIMIT %s"""  # noqa: S608


@transaction.atomic
def mark_distinct(a, b, *, actor):
    """The team says `a` and `b` are two people: the duplicates queue stops offering them."""
    if a.pk == b.pk:
        raise ValueError("A contact is not distinct from itself.")
    low, high = sorted((a.pk, b.pk))
    pair, created = DistinctPair.objects.get_or_create(low_id=low, high_id=high, defaults={"decided_by": actor})
    DuplicateSuggestion.objects.filter(Q(keep_id=low, other_id=high) | Q(keep_id=high, other_id=low)).delete()
    if created:
        AuditEntry.objects.create(actor=actor, action="contacts.distinct", target_type="contact",
                                  target_id=str(low), data={"other": high})  # fmt: skip
    return pair


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
