"""No double contact: a household or a phone number the campaign reached recently (any
channel, any action) is left out of new walk lists, call lists and SMS sends.

"Reached" is what the timeline records as a contact (`Interaction.is_contact`: a door
or a call where someone answered, a message sent) and a field report at a household
where someone answered. The window is the campaign's setting (14 days by default).
"""

import datetime as dt

from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import Contact, CrmSettings, Interaction


def window_start(now=None):
    days = CrmSettings.cached().contact_window_days
    if not days:
        return None
    return (now or timezone.now()) - dt.timedelta(days=days)


def _reached_since(since):
    return Interaction.objects.filter(is_contact=True, at__gte=since)


def recent_contact_q(since, *, prefix=""):
    """Q on Contact (or on a model reaching Contact through `prefix`): this person, or
    someone with the same phone, was reached since `since`."""
    reached = _reached_since(since)
    same_person = Exists(reached.filter(contact=OuterRef(f"{prefix}pk" if prefix else "pk")))
    phone_field = f"{prefix}phone"
    same_phone = Exists(reached.filter(contact__phone=OuterRef(phone_field)).exclude(contact__phone=""))
    return Q(same_person) | Q(same_phone)


_REACHED_BY_REPORT = """SELECT 1 FROM field_fieldreport r WHERE r.household_id = h.id AND r.reached
                         AND r.done_at >= %(since)s AND r.rejected_reason = ''"""
_REACHED_BY_CONTACT = """SELECT 1 FROM crm_contact c JOIN crm_interaction i ON i.contact_id = c.id
                          WHERE c.household_id = h.id AND i.is_contact AND i.at >= %(since)s"""


def recent_households_probe_sql(ids_param="ids"):
    """SQL selecting (as `id`) those of the households given in the array parameter
    `ids_param` where someone was reached since the parameter `since`; each household
    is probed through its indexes (LATERAL, whatever the planner's statistics say): a
    report sync asks about ten doors, while the window may hold a million reports."""
    return f"""
        SELECT h.id FROM unnest(%({ids_param})s::bigint[]) AS h(id)
        CROSS JOIN LATERAL (({_REACHED_BY_REPORT} LIMIT 1) UNION ALL ({_REACHED_BY_CONTACT} LIMIT 1) LIMIT 1) AS reached
    """  # noqa: S608 - fixed fragments only


def recent_household_ids(since, household_ids=None):
    """Households where someone was reached since `since` (a member's contact, or a
    field report at the household where someone answered), in one query; all of them,
    or those among `household_ids`."""
    if household_ids is None:
        sql = f"SELECT h.id FROM crm_household h WHERE EXISTS ({_REACHED_BY_REPORT}) OR EXISTS ({_REACHED_BY_CONTACT})"  # noqa: S608
    else:
        sql = recent_households_probe_sql()
    with connection.cursor() as cur:
        cur.execute(sql, {"since": since, "ids": list(household_ids or [])})
        return {row[0] for row in cur.fetchall()}


def is_recent(contact=None, household_id=None, *, now=None):
    """For the volunteer who meets a door anyway: was it reached recently?"""
    since = window_start(now)
    if since is None:
        return False
    if household_id and household_id in recent_household_ids(since, [household_id]):
        return True
    if contact is not None:
        return Contact.objects.filter(pk=contact.pk).filter(recent_contact_q(since)).exists()
    return False
