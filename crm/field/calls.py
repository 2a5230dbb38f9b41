"""Phone banking: the action's call list, and "next contact" for a caller.

Handing out a contact is one UPDATE over a `SELECT ... FOR UPDATE SKIP LOCKED`: two
callers asking at the same moment lock different rows, so they never get the same
person. The caller holds the entry under a lease; if they vanish without logging a
result, the lease runs out and the person comes back to the list.
"""

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from crm.contacting import recent_contact_q, recent_household_ids, window_start
from crm.segments import contacts_matching

from .models import CallListEntry

LEASE = dt.timedelta(minutes=15)


def callable_contacts(qs):
    """People who can be phoned: a number, not erased, no refusal of phone calls."""
    return qs.filter(erased_at__isnull=True).exclude(phone="").exclude(consent_phone=False)


@transaction.atomic
def build_call_list(action):
    """Add the action's segment's callable people to its call list (idempotent)."""
    if action.segment is None:
        return 0
    contacts = callable_contacts(contacts_matching(action.segment.filters))
    since = window_start()
    if since:
        # No double contact: people (or numbers) reached lately, and their households.
        contacts = contacts.exclude(recent_contact_q(since)).exclude(household_id__in=recent_household_ids(since))
    sql, params = contacts.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO field_calllistentry (action_id, contact_id, done, attempts) "  # noqa: S608 - ORM-built SQL
            f"SELECT %s, c.id, false, 0 FROM ({sql}) AS c(id) ON CONFLICT (action_id, contact_id) DO NOTHING",
            [action.pk, *params],
        )
        return cur.rowcount


def next_call(action, caller, *, now=None):
    """Give the caller one person of the list that nobody else holds; None when the
    list is exhausted. An entry the caller still held goes back to the list."""
    now = now or timezone.now()
    since = window_start(now)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE field_calllistentry SET held_by_id = NULL, lease_until = NULL "
            "WHERE action_id = %s AND held_by_id = %s AND NOT done",
            [action.pk, caller.pk],
        )
        cur.execute(
            """
            UPDATE field_calllistentry e SET held_by_id = %s, lease_until = %s, attempts = e.attempts + 1
            WHERE e.id = (
                SELECT e2.id FROM field_calllistentry e2 JOIN crm_contact c ON c.id = e2.contact_id
                WHERE e2.action_id = %s AND NOT e2.done AND (e2.lease_until IS NULL OR e2.lease_until < %s)
                  AND c.erased_at IS NULL AND c.phone <> '' AND c.consent_phone IS NOT FALSE
                  -- reached lately since the list was built (another action, a message): not now
                  AND (%s::timestamptz IS NULL OR NOT EXISTS (
                      SELECT 1 FROM crm_interaction i JOIN crm_contact c2 ON c2.id = i.contact_id
                      WHERE i.is_contact AND i.at >= %s AND (i.contact_id = c.id OR c2.phone = c.phone)))
                ORDER BY e2.attempts, e2.id
                LIMIT 1
                FOR UPDATE OF e2 SKIP LOCKED
            )
            RETURNING e.id
            """,
            [caller.pk, now + LEASE, action.pk, now, since, since],
        )
        row = cur.fetchone()
    if row is None:
        return None
    return CallListEntry.objects.select_related("contact").get(pk=row[0])
