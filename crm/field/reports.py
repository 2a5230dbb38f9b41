"""Field reports from volunteers' phones, one by one or in batches after a time offline.

Each report carries a UUID made on the phone. Storing is `INSERT ... ON CONFLICT
(uuid) DO NOTHING`, so a batch sent twice, or two syncs racing, store each report
once; a repeated report is answered with what was stored. A report is accepted only
from someone assigned to its action (and turf) at the time it was made, for a door of
that turf; anything else is refused and stored nowhere.
"""

import datetime as dt
import json
import uuid as uuid_module
from dataclasses import dataclass, field

import rules
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from campaigns.accounts.models import Team
from campaigns.realtime import publish_after_commit
from crm.contacting import recent_households_probe_sql, window_start
from crm.models import Contact, Interaction
from crm.phones import campaign_region

from . import people
from .actions import CALL_AGAIN, BadSurvey, apply_answers, clean_answers
from .models import Action, Assignment, CallListEntry, FieldReport
from .review import batch_for_new_reports
from .signals import reports_recorded

# Reports made during an assignment may still arrive this long after it ends (a
# volunteer who worked offline in the evening syncs the next morning).
SYNC_GRACE = dt.timedelta(hours=12)
# Phones' clocks drift; a report "from the future" beyond this is refused.
CLOCK_SKEW = dt.timedelta(minutes=10)
MAX_BATCH = 500


@dataclass
class Outcome:
    uuid: str | None
    status: int  # 201 stored, 200 already stored, 400 invalid, 403 refused
    detail: str = ""
    report: dict = field(default_factory=dict)

    def as_dict(self):
        return {"uuid": self.uuid, "status": self.status, "detail": self.detail} | (
            {"report": self.report} if self.report else {}
        )


class _Invalid(Exception):
    def __init__(self, status, detail):
        self.status, self.detail = status, detail


def _int_or_none(item, name):
    value = item.get(name)
    if value in (None, ""):
        return None
    # Past 2**63 a number overflows the database's bigint: it cannot name a row.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise _Invalid(400, _("« %(field)s » doit être un identifiant numérique.") % {"field": name})
    return value


def _parse(item, now):
    """Check one report's shape; return its fields (ids still to be checked)."""
    if not isinstance(item, dict):
        raise _Invalid(400, _("Un compte rendu doit être un objet JSON."))
    try:
        report_uuid = str(uuid_module.UUID(str(item.get("uuid"))))
    except ValueError:
        raise _Invalid(400, _("« uuid » manquant ou invalide.")) from None
    action_id = _int_or_none(item, "action")
    if action_id is None:
        raise _Invalid(400, _("« action » est obligatoire."))
    result = item.get("result")
    if not isinstance(result, str) or not result:
        raise _Invalid(400, _("« result » est obligatoire."))
    done_at = parse_datetime(str(item.get("done_at") or ""))
    if done_at is None:
        raise _Invalid(400, _("« done_at » doit être une date et heure ISO 8601."))
    if timezone.is_naive(done_at):
        raise _Invalid(400, _("« done_at » doit indiquer son fuseau horaire."))
    if done_at > now + CLOCK_SKEW:
        raise _Invalid(400, _("« done_at » est dans le futur."))
    leaflets = item.get("leaflets") or 0
    if isinstance(leaflets, bool) or not isinstance(leaflets, int) or not 0 <= leaflets <= 100_000:
        raise _Invalid(400, _("« leaflets » doit être un entier entre 0 et 100000."))
    notes = item.get("notes") or ""
    if not isinstance(notes, str) or len(notes) > 5000:
        raise _Invalid(400, _("« notes » doit être un texte de 5000 caractères au plus."))
    notes = notes.replace("\x00", "")  # nobody types it; PostgreSQL refuses it in text
    lon_lat = None
    if item.get("location") is not None:
        loc = item["location"]
        try:
            lon, lat = float(loc["longitude"]), float(loc["latitude"])
        except (TypeError, KeyError, ValueError):
            raise _Invalid(400, _("« location » doit contenir longitude et latitude.")) from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise _Invalid(400, _("« location » est hors des coordonnées possibles."))
        lon_lat = (lon, lat)
    try:
        new_person = people.parse(item.get("new_person"), campaign_region())
    except people.BadNewPerson as exc:
        raise _Invalid(400, str(exc)) from None
    if new_person and item.get("contact") not in (None, ""):
        raise _Invalid(400, _("« new_person » : un compte rendu porte sur une personne connue (« contact ») "
                              "ou sur une nouvelle, pas les deux."))  # fmt: skip
    if new_person and item.get("household") in (None, ""):
        raise _Invalid(400, _("« new_person » : une nouvelle personne se signale à une porte (« household »)."))
    covered = None
    if item.get("covered") is not None:
        try:
            covered = GEOSGeometry(json.dumps(item["covered"]), srid=4326)
        except (GEOSException, GDALException, ValueError, TypeError):
            covered = None
        if covered is None or covered.geom_type not in ("LineString", "MultiLineString", "Polygon", "MultiPolygon"):
            raise _Invalid(400, _("« covered » doit être une ligne ou un polygone GeoJSON."))
        if not covered.valid:
            raise _Invalid(400, _("« covered » : le tracé se recoupe."))
    return {
        "uuid": report_uuid,
        "action": action_id,
        "turf": _int_or_none(item, "turf"),
        "address": _int_or_none(item, "address"),
        "household": _int_or_none(item, "household"),
        "contact": _int_or_none(item, "contact"),
        "result": result,
        "answers": item.get("answers") or {},
        "notes": notes,
        "new_person": new_person,
        "leaflets": leaflets,
        "done_at": done_at,
        "lon_lat": lon_lat,
        "covered": covered.ewkt if covered else None,
    }


def _stored(report):
    return {"id": report["id"], "result": report["result"], "done_at": report["done_at"].isoformat()}


def can_report_anywhere(user):
    # The named rule alone: Django's model backend would add two queries per call.
    return rules.has_perm("field.plan", user)


def _teams_sql(user_param="%s"):
    """SQL for the ids of the teams a user is in, as member or leader. The user's id is
    the placeholder `user_param`, used twice (with "%s", pass it twice)."""
    members = Team.members.through._meta.db_table
    leaders = Team.leaders.through._meta.db_table
    return (
        f"SELECT team_id FROM {members} WHERE user_id = {user_param} "  # noqa: S608 - table names from the models
        f"UNION SELECT team_id FROM {leaders} WHERE user_id = {user_param}"
    )


def assignments_of(user):
    """The assignments a user works on: their own and their teams' (as member or leader)."""
    teams = RawSQL(_teams_sql(), [user.pk, user.pk])  # noqa: S611 - fixed SQL, ids as parameters
    return Assignment.objects.filter(Q(volunteer=user) | Q(team__in=teams))


# The queries of the ingest path are written in SQL: it runs for every sync of every
# phone, and building the same ORM queries cost more than running them
# (bench/bench_report_ingest.py).


def _already_stored(uuids):
    """{uuid: {id, volunteer_id, result, done_at}} of the reports already stored."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT uuid::text, id, volunteer_id, result, done_at FROM field_fieldreport WHERE uuid = ANY(%s::uuid[])",
            [list(uuids)],
        )
        return {
            u: {"id": pk, "volunteer_id": volunteer, "result": result, "done_at": done_at}
            for u, pk, volunteer, result, done_at in cur.fetchall()
        }


@dataclass(frozen=True)
class _Window:
    action_id: int
    turf_id: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass
class _Known:
    """What the database holds about the ids a sync names (see _lookups)."""

    stored: dict  # uuid -> {id, volunteer_id, result, done_at}
    actions: dict  # id -> Action (kind, survey, result codes)
    windows: list  # the user's assignments for these actions (or their teams')
    in_turf: set  # (turf, address) pairs that exist
    households: dict  # household -> its address
    contacts: dict  # contact (not erased) -> their address
    called: set  # (action, contact) pairs of phone-bank lists
    recent: set  # households reached within the no-double-contact window


def _timestamp(value):
    return dt.datetime.fromisoformat(value)


def _lookups(user, reports, now):
    """Everything checking and storing a sync reads, in one statement: a round trip per
    lookup cost more than the lookups themselves once PostgreSQL shares the CPU with
    the server (bench/bench_report_ingest.py). Each part is a subquery answering one
    JSON array."""
    items = reports.values()
    pairs = sorted({(p["turf"], p["address"]) for p in items if p["turf"] and p["address"]})
    households = sorted({p["household"] for p in items if p["household"]})
    since = window_start(now) if households else None
    params = {
        "uuids": [p["uuid"] for p in items],
        "actions": sorted({p["action"] for p in items}),
        "user": user.pk,
        "turfs": [t for t, _a in pairs],
        "addresses": [a for _t, a in pairs],
        "households": households,
        "contacts": sorted({p["contact"] for p in items if p["contact"]}),
        "since": since,
    }
    recent = "NULL"
    if since:
        recent = f"(SELECT json_agg(id) FROM ({recent_households_probe_sql('households')}) r)"  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT
              (SELECT json_agg(json_build_array(uuid, id, volunteer_id, result, done_at))
                 FROM field_fieldreport WHERE uuid = ANY(%(uuids)s::uuid[])),
              (SELECT json_agg(json_build_array(id, name, kind, survey, result_codes))
                 FROM field_action WHERE id = ANY(%(actions)s::bigint[])),
              (SELECT json_agg(json_build_array(action_id, turf_id, starts_at, ends_at))
                 FROM field_assignment WHERE action_id = ANY(%(actions)s::bigint[])
                  AND (volunteer_id = %(user)s OR team_id IN ({_teams_sql("%(user)s")}))),
              (SELECT json_agg(json_build_array(turf_id, address_id)) FROM field_turf_addresses
                WHERE (turf_id, address_id) IN (SELECT * FROM unnest(%(turfs)s::bigint[], %(addresses)s::bigint[]))),
              (SELECT json_agg(json_build_array(id, address_id))
                 FROM crm_household WHERE id = ANY(%(households)s::bigint[])),
              (SELECT json_agg(json_build_array(c.id, h.address_id))
                 FROM crm_contact c LEFT JOIN crm_household h ON h.id = c.household_id
                WHERE c.id = ANY(%(contacts)s::bigint[]) AND c.erased_at IS NULL),
              (SELECT json_agg(json_build_array(action_id, contact_id)) FROM field_calllistentry
                WHERE action_id = ANY(%(actions)s::bigint[]) AND contact_id = ANY(%(contacts)s::bigint[])),
              {recent}
            """,  # noqa: S608 - fixed fragments only
            params,
        )
        stored, actions, windows, in_turf, homes, people, called, recent_ids = (v or [] for v in cur.fetchone())
    fields = ["id", "name", "kind", "survey", "result_codes"]  # in the model's order, as from_db takes them
    return _Known(
        stored={u: {"id": pk, "volunteer_id": volunteer, "result": result, "done_at": _timestamp(done_at)}
                for u, pk, volunteer, result, done_at in stored},
        actions={row[0]: Action.from_db(connection.alias, fields, row) for row in actions},
        windows=[_Window(a, t, _timestamp(start), _timestamp(end)) for a, t, start, end in windows],
        in_turf={tuple(pair) for pair in in_turf},
        households=dict(homes),
        contacts=dict(people),
        called={tuple(pair) for pair in called},
        recent=set(recent_ids),
    )  # fmt: skip


def record_reports(user, items, *, now=None):
    """Store the reports a user sent; one Outcome per item, in the order given."""
    now = now or timezone.now()
    outcomes = [None] * len(items)
    parsed = {}
    for i, item in enumerate(items):
        try:
            parsed[i] = _parse(item, now)
        except _Invalid as exc:
            uid = item.get("uuid") if isinstance(item, dict) else None
            outcomes[i] = Outcome(str(uid) if uid else None, exc.status, exc.detail)

    with transaction.atomic():
        known = _lookups(user, parsed, now) if parsed else None
        # Already stored: answer what was stored (only to the person who sent it).
        fresh = {}
        for i, p in parsed.items():
            stored = known.stored.get(p["uuid"])
            if stored is None:
                fresh[i] = p
            elif stored["volunteer_id"] == user.pk:
                outcomes[i] = Outcome(p["uuid"], 200, _("Déjà enregistré."), _stored(stored))
            else:
                outcomes[i] = Outcome(p["uuid"], 403, _("Cet identifiant appartient à un autre compte rendu."))

        for i, reason in _refusals(user, fresh, known, now).items():
            outcomes[i] = Outcome(fresh.pop(i)["uuid"], *reason)

        batch = batch_for_new_reports(user, now=now) if fresh else None
        inserted = _insert(user, fresh, now, batch) if fresh else {}
        for i, p in fresh.items():
            row = inserted.get(p["uuid"])
            if row is None:  # the same UUID arrived through another request meanwhile
                stored = _already_stored([p["uuid"]])[p["uuid"]]
                ok = stored["volunteer_id"] == user.pk
                outcomes[i] = Outcome(
                    p["uuid"], 200 if ok else 403, _("Déjà enregistré."), _stored(stored) if ok else {}
                )
            else:
                stored = _stored(row)
                if p["household"] in known.recent:
                    # Met anyway: the app tells the volunteer this door was reached lately.
                    stored["recently_contacted"] = True
                outcomes[i] = Outcome(p["uuid"], 201, "", stored)
        if inserted:
            _after_insert(user, [p for p in fresh.values() if p["uuid"] in inserted], inserted, known.actions, batch)
    return outcomes


def report_summary(action, result, notes=""):
    """A report as the contact's timeline tells it, in the action's words: "Porte-à-porte
    centre : Ouvert / discuté — « veut une affiche »" (cut to the timeline's 300
    characters; the whole note stays in the interaction's data)."""
    summary = _("%(action)s : %(result)s") % {"action": action.name, "result": action.result_label(result)}
    if notes:
        quoted = _("%(summary)s — « %(notes)s »")
        room = 300 - len(quoted % {"summary": summary, "notes": ""})
        if len(notes) > room:
            notes = notes[: room - 1].rstrip() + "…"
        summary = quoted % {"summary": summary, "notes": notes}
    return summary[:300]


def contact_effects(user, reports, actions):
    """What reports change on contacts: their timelines, when they were last reached,
    what their answers say (support, consents, tags). At once, or when a review batch
    is committed (crm/field/review.py). `reports` are dicts with id, uuid, action, kind,
    contact, result, reached, answers, done_at, notes and new_person (the person met
    becomes a contact first: crm/field/people.py)."""
    people.resolve(user, reports, actions)
    with_contact = [p for p in reports if p["contact"]]
    if not with_contact:
        return
    Interaction.objects.bulk_create(
        [
            Interaction(
                contact_id=p["contact"], kind=Interaction.Kind.FIELD_REPORT, actor=user, is_contact=p["reached"],
                summary=report_summary(actions[p["action"]], p["result"], p.get("notes", "")),
                data={"report": p["id"], "action": p["action"], "answers": p["answers"], "notes": p.get("notes", "")},
            )
            for p in with_contact
        ]
    )  # fmt: skip
    reached = {}
    for p in with_contact:
        if p["reached"] and p["done_at"] > reached.get(p["contact"], p["done_at"] - dt.timedelta(1)):
            reached[p["contact"]] = p["done_at"]
    if reached:
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE crm_contact c SET last_contacted_at = r.at FROM unnest(%s::bigint[], %s::timestamptz[]) "
                "AS r(id, at) WHERE c.id = r.id AND (c.last_contacted_at IS NULL OR c.last_contacted_at < r.at)",
                [list(reached), list(reached.values())],
            )
    for p in with_contact:
        people.complete_known(user, p)
        if p["answers"]:
            contact = Contact.objects.get(pk=p["contact"])
            apply_answers(contact, actions[p["action"]], p["answers"], actor=user,
                          source=f"field_report:{p['uuid']}")  # fmt: skip


def _refusals(user, reports, known, now):
    """{index: (status, reason)} for the reports this user may not make."""
    if not reports:
        return {}
    refused = {}
    anywhere = can_report_anywhere(user)
    actions, assignments, in_turf = known.actions, known.windows, known.in_turf
    households, contacts, called = known.households, known.contacts, known.called
    for i, p in reports.items():
        action = actions.get(p["action"])
        if action is None:
            refused[i] = (403, _("Action inconnue."))
            continue
        if not anywhere and not any(
            a.action_id == action.pk
            and (a.turf_id is None or a.turf_id == p["turf"])
            and a.starts_at <= p["done_at"] <= a.ends_at
            and now <= a.ends_at + SYNC_GRACE
            for a in assignments
        ):
            refused[i] = (403, _("Vous n'êtes pas affecté(e) à cette action ou à ce secteur à cette date."))
            continue
        if p["result"] not in {c["code"] for c in action.result_codes}:
            refused[i] = (400, _("Résultat « %(code)s » inconnu pour cette action.") % {"code": p["result"]})
            continue
        if p["address"] and p["turf"] and (p["turf"], p["address"]) not in in_turf:
            refused[i] = (403, _("Cette adresse n'est pas dans ce secteur."))
            continue
        if p["address"] and not p["turf"] and not anywhere:
            refused[i] = (403, _("Une porte se signale avec son secteur."))
            continue
        if p["household"] and households.get(p["household"]) != p["address"]:
            refused[i] = (403, _("Ce foyer n'est pas à cette adresse."))
            continue
        if p["contact"]:
            if p["contact"] not in contacts:
                refused[i] = (403, _("Contact inconnu."))
                continue
            phoned = (action.pk, p["contact"]) in called
            if not phoned and (not p["address"] or contacts[p["contact"]] != p["address"]):
                refused[i] = (403, _("Cette personne n'est ni à cette adresse ni dans la liste d'appels."))
                continue
        try:
            p["answers"] = clean_answers(action, p["answers"])
        except BadSurvey as exc:
            refused[i] = (400, "; ".join(exc.problems))
            continue
        p["reached"] = next(bool(c.get("reached")) for c in action.result_codes if c["code"] == p["result"])
        if p["new_person"] and not p["reached"]:
            refused[i] = (400, _("« new_person » : le résultat « %(code)s » dit que personne n'a été rencontré.")
                          % {"code": p["result"]})  # fmt: skip
            continue
        p["kind"] = action.kind
    return refused


def _insert(user, reports, now, batch):
    rows = list(reports.values())
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO field_fieldreport (uuid, action_id, turf_id, volunteer_id, address_id, household_id,
                contact_id, result, reached, answers, notes, new_person, leaflets, location, location_source, covered,
                done_at, received_at, batch_id)
            SELECT r.uuid, r.action, r.turf, %s, r.address, r.household, r.contact, r.result, r.reached,
                   r.answers, r.notes, r.new_person, r.leaflets,
                   coalesce(ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326), a.point,
                            ST_PointOnSurface(ST_GeomFromEWKT(r.covered))),
                   CASE WHEN r.lon IS NOT NULL THEN 'gps' WHEN a.point IS NOT NULL THEN 'address'
                        WHEN r.covered IS NOT NULL THEN 'drawn' ELSE '' END,
                   ST_GeomFromEWKT(r.covered), r.done_at, %s, %s
            FROM unnest(%s::uuid[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[],
                        %s::text[], %s::boolean[], %s::jsonb[], %s::text[], %s::jsonb[], %s::int[], %s::float8[],
                        %s::float8[], %s::text[], %s::timestamptz[])
                 AS r(uuid, action, turf, address, household, contact, result, reached, answers, notes,
                      new_person, leaflets, lon, lat, covered, done_at)
            LEFT JOIN crm_address a ON a.id = r.address
            ON CONFLICT (uuid) DO NOTHING
            RETURNING uuid, id, result, done_at, ST_X(location), ST_Y(location)
            """,
            [
                user.pk, now, batch,
                [p["uuid"] for p in rows], [p["action"] for p in rows], [p["turf"] for p in rows],
                [p["address"] for p in rows], [p["household"] for p in rows], [p["contact"] for p in rows],
                [p["result"] for p in rows], [p["reached"] for p in rows],
                [json.dumps(p["answers"]) for p in rows], [p["notes"] for p in rows],
                [json.dumps(p["new_person"]) for p in rows], [p["leaflets"] for p in rows],
                [p["lon_lat"][0] if p["lon_lat"] else None for p in rows],
                [p["lon_lat"][1] if p["lon_lat"] else None for p in rows],
                [p["covered"] for p in rows], [p["done_at"] for p in rows],
            ],
        )  # fmt: skip
        return {
            str(u): {"id": pk, "result": result, "done_at": done_at, "lon": lon, "lat": lat}
            for u, pk, result, done_at, lon, lat in cur.fetchall()
        }


def _after_insert(user, reports, inserted, actions, batch):
    """Calls done at once (phone bank), then the contacts' changes at once when the
    campaign does not review (otherwise they wait for the batch's commit), and the live map."""
    for p in reports:
        p["id"] = inserted[p["uuid"]]["id"]
    for p in reports:
        if p["contact"] and p["kind"] == Action.Kind.PHONE:
            again = p["result"] in CALL_AGAIN
            CallListEntry.objects.filter(action_id=p["action"], contact_id=p["contact"]).update(
                done=not again, held_by=None, lease_until=None
            )
    if batch is None:
        contact_effects(user, reports, actions)
    reports_recorded.send(sender=FieldReport, ids=[inserted[p["uuid"]]["id"] for p in reports])
    publish_after_commit(
        "field.reports",
        {
            "reports": [
                {
                    "id": inserted[p["uuid"]]["id"], "action": p["action"], "result": p["result"],
                    "reached": p["reached"], "volunteer": user.pk,
                    "lon": inserted[p["uuid"]]["lon"], "lat": inserted[p["uuid"]]["lat"],
                }
                for p in reports
            ]
        },
    )  # fmt: skip
