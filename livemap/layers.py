"""The map's layers, computed for one viewport (bounding box and zoom).

Field reports are points when zoomed in (zoom >= POINTS_FROM_ZOOM) and grid cells
with counts when zoomed out, each cell about 32 screen pixels wide, so a view of a
whole département is a few hundred cells however many reports there are. Without
filters the counts come from livemap/cells.py, kept current as reports arrive; with
filters they are counted on the fly over the same grid. Zones and turfs carry their coverage (doors visited /
doors) and, for roles that may see opinions, their support (share of known supporters,
level 4–5, among the people met there with a known level).
"""

import datetime as dt
import json

from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.field.actions import result_labels

POINTS_FROM_ZOOM = 15
MAX_POINTS = 5000


class BadViewport(ValueError):
    pass


def parse_viewport(params):
    """(minlon, minlat, maxlon, maxlat), zoom from `bbox=...&zoom=...`."""
    try:
        box = [float(v) for v in params.get("bbox", "").split(",")]
        zoom = int(params.get("zoom", "12"))
    except ValueError:
        raise BadViewport(_("« bbox » doit être minlon,minlat,maxlon,maxlat et « zoom » un entier.")) from None
    if len(box) != 4 or not (-180 <= box[0] < box[2] <= 180 and -90 <= box[1] < box[3] <= 90):
        raise BadViewport(_("« bbox » doit être minlon,minlat,maxlon,maxlat en WGS 84."))
    if not 0 <= zoom <= 22:
        raise BadViewport(_("« zoom » va de 0 à 22."))
    return box, zoom


def parse_filters(params):
    """SQL conditions on field_fieldreport r (and its action a) from the map's filters."""
    where, args = [], []
    for name, column in (("action", "r.action_id"), ("volunteer", "r.volunteer_id")):
        if params.get(name):
            try:
                args.append(int(params[name]))
            except ValueError:
                raise BadViewport(_("« %(f)s » doit être un identifiant.") % {"f": name}) from None
            where.append(f"{column} = %s")
    if params.get("kind"):
        where.append("a.kind = %s")
        args.append(params["kind"])
    if params.get("result"):
        where.append("r.result = %s")
        args.append(params["result"])
    if params.get("team"):
        try:
            args.append(int(params["team"]))
        except ValueError:
            raise BadViewport(_("« team » doit être un identifiant.")) from None
        where.append("r.volunteer_id IN (SELECT user_id FROM accounts_team_members WHERE team_id = %s)")
    for name, op in (("since", ">="), ("until", "<")):
        if params.get(name):
            try:
                day = dt.date.fromisoformat(params[name])
            except ValueError:
                raise BadViewport(_("« %(f)s » doit être une date AAAA-MM-JJ.") % {"f": name}) from None
            where.append(f"r.done_at {op} %s")
            # From (to) the campaign's midnight: a bare date would be the database's (UTC).
            args.append(timezone.make_aware(dt.datetime.combine(day if op == ">=" else day + dt.timedelta(days=1),
                                                                dt.time())))  # fmt: skip
    return where, args


def cell_size(zoom):
    """Degrees of longitude for ~32 screen pixels at this zoom (256-pixel tiles)."""
    return 360.0 / (2**zoom) / 8


# A report's result in its action's words (NULL: the action keeps its kind's defaults);
# `a` is the action, `r` the report.
RESULT_LABEL_SQL = """(SELECT c->>'label' FROM jsonb_array_elements(a.result_codes) c
                        WHERE c->>'code' = r.result LIMIT 1)"""


def result_label(kind, code, label):
    """What a team calls a result: its action's label (RESULT_LABEL_SQL), else its
    kind's default, else the code."""
    return label if label is not None else result_labels(kind, None).get(code, code)


def reports_layer(box, zoom, filters=((), ())):
    where, args = filters
    conditions = " AND ".join(["r.location && ST_MakeEnvelope(%s, %s, %s, %s, 4326)", *where])
    with connection.cursor() as cur:
        if zoom >= POINTS_FROM_ZOOM:
            cur.execute(
                f"""
                SELECT r.id, ST_X(r.location), ST_Y(r.location), r.result, r.reached, a.kind, a.name, r.done_at,
                       {RESULT_LABEL_SQL}
                FROM field_fieldreport r JOIN field_action a ON a.id = r.action_id
                WHERE {conditions} ORDER BY r.id DESC LIMIT %s
                """,  # noqa: S608 - conditions are fixed fragments, values are parameters
                [*box, *args, MAX_POINTS],
            )
            features = [
                ({"type": "Point", "coordinates": [x, y]},
                 {"id": pk, "result": result, "result_label": str(result_label(kind, result, label)),
                  "reached": reached, "kind": kind, "action": name, "at": at.isoformat()})
                for pk, x, y, result, reached, kind, name, at, label in cur.fetchall()
            ]  # fmt: skip
            return feature_collection(features, mode="points")
        if not where:
            # No filter: the counts kept per cell (livemap/cells.py).
            from .cells import cells_in

            size, cells = cells_in(box, zoom)
            features = [({"type": "Point", "coordinates": [x, y]}, {"count": n, "reached": reached})
                        for x, y, n, reached in cells]  # fmt: skip
            return feature_collection(features, mode="cells", cell=size)
        size = cell_size(zoom)
        # The same cells as livemap/cells.py: column floor(lon / size), row floor(lat / size).
        cur.execute(
            f"""
            SELECT (floor(ST_X(r.location) / %s) + 0.5) * %s, (floor(ST_Y(r.location) / %s) + 0.5) * %s,
                   count(*), count(*) FILTER (WHERE r.reached)
            FROM field_fieldreport r JOIN field_action a ON a.id = r.action_id
            WHERE {conditions} GROUP BY 1, 2
            """,
            [size, size, size, size, *box, *args],
        )
        features = [
            ({"type": "Point", "coordinates": [x, y]}, {"count": n, "reached": reached})
            for x, y, n, reached in cur.fetchall()
        ]
        return feature_collection(features, mode="cells", cell=size)


STATS_SECONDS = 60


def _area_sql(table):
    if table == "zone":
        return (
            "SELECT t.zone_id AS area, ta.address_id FROM field_turf_addresses ta "
            "JOIN field_turf t ON t.id = ta.turf_id",
            "SELECT zone_id AS area, sum(door_count) AS n FROM field_turf WHERE zone_id IS NOT NULL GROUP BY 1",
        )
    return (
        "SELECT ta.turf_id AS area, ta.address_id FROM field_turf_addresses ta",
        "SELECT id AS area, door_count AS n FROM field_turf",
    )


def area_stats(table):
    """{area id: (doors, doors visited, supporters, known support)} for every zone or
    turf, in one set-based pass; cached for a minute (the live layer shows each new
    report at once; coverage figures may lag that long)."""
    with connection.cursor() as cur:
        # New or re-cut turfs change the figures at once (the key changes with them).
        cur.execute("SELECT coalesce(max(id), 0), count(*) FROM field_turf")
        turfs_version = "-".join(map(str, cur.fetchone()))
    key = f"livemap:stats:{connection.schema_name}:{table}:{turfs_version}"
    stats = cache.get(key)
    if stats is not None:
        return stats
    members, doors = _area_sql(table)
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH members AS ({members}),
            doors AS ({doors}),
            visited AS (
                SELECT m.area, count(DISTINCT (r.address_id, r.household_id)) AS n
                FROM members m JOIN field_fieldreport r ON r.address_id = m.address_id GROUP BY m.area
            ),
            support AS (
                SELECT m.area, count(*) FILTER (WHERE c.support_level >= 4) AS yes, count(*) AS known
                FROM members m JOIN crm_household h ON h.address_id = m.address_id
                JOIN crm_contact c ON c.household_id = h.id
                WHERE c.erased_at IS NULL AND c.last_contacted_at IS NOT NULL AND c.support_level IS NOT NULL
                GROUP BY m.area
            )
            SELECT doors.area, doors.n, coalesce(visited.n, 0), coalesce(support.yes, 0), coalesce(support.known, 0)
            FROM doors LEFT JOIN visited USING (area) LEFT JOIN support USING (area)
            """
        )
        stats = {area: (int(n or 0), v, yes, known) for area, n, v, yes, known in cur.fetchall()}
    cache.set(key, stats, STATS_SECONDS)
    return stats


def _geometries(table, rows, zoom):
    """{id: GeoJSON text} simplified for this zoom; cached by the geometry's digest."""
    level = min(max(zoom, 4), 18)
    keys = {pk: f"livemap:geom:{table}:{digest}:{level}" for pk, digest in rows}
    found = cache.get_many(list(keys.values()))
    shapes = {pk: found[k] for pk, k in keys.items() if k in found}
    missing = [pk for pk in keys if pk not in shapes]
    if missing:
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT id, ST_AsGeoJSON(ST_SimplifyPreserveTopology(geometry, %s), 6) FROM field_{table} "
                "WHERE id = ANY(%s)",
                [cell_size(level) / 16, missing],
            )
            computed = dict(cur.fetchall())
        cache.set_many({keys[pk]: text for pk, text in computed.items()}, timeout=24 * 3600)
        shapes.update(computed)
    return shapes


def areas_layer(table, box, zoom, *, with_support):
    """Zones or turfs in the box with doors, doors visited and (optionally) support.
    A zone's doors are those of its turfs."""
    columns = "id, name, priority, code, score" if table == "zone" else "id, name, NULL, '', NULL"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {columns}, md5(ST_AsBinary(geometry)) FROM field_{table} "
            "WHERE geometry && ST_MakeEnvelope(%s, %s, %s, %s, 4326) ORDER BY id LIMIT 2000",
            box,
        )
        rows = cur.fetchall()
    shapes = _geometries(table, [(r[0], r[5]) for r in rows], zoom)
    stats = area_stats(table)
    features = []
    for pk, name, priority, code, score, _digest in rows:
        door_count, visited, yes, known = stats.get(pk, (0, 0, 0, 0))
        props = {"id": pk, "name": name, "priority": priority, "code": code, "score": score,
                 "doors": door_count, "visited": visited,
                 "coverage": round(visited / door_count, 3) if door_count else None}  # fmt: skip
        if with_support:
            props["support"] = round(yes / known, 3) if known else None
        features.append((shapes[pk], props))
    return feature_collection(features)


def feature_collection(features, **extra):
    """GeoJSON bytes, PostGIS's geometry text spliced in as is (no parse and re-dump:
    a zoomed-out view of a département's communes is hundreds of kilobytes)."""
    head = json.dumps({"type": "FeatureCollection", **extra})[:-1]
    parts = [
        '{"type":"Feature","geometry":'
        + (geometry if isinstance(geometry, str) else json.dumps(geometry))
        + ',"properties":'
        + json.dumps(props, ensure_ascii=False, default=str)
        + "}"
        for geometry, props in features
    ]
    return (head + ',"features":[' + ",".join(parts) + "]}").encode()


def reports_since(last_id, limit=500):
    """Reports after `last_id`, for a map catching up after a lost connection."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT r.id, r.action_id, r.result, r.reached, r.volunteer_id, ST_X(r.location), ST_Y(r.location) "
            "FROM field_fieldreport r WHERE r.id > %s ORDER BY r.id LIMIT %s",
            [last_id, limit],
        )
        return [
            {"id": pk, "action": action, "result": result, "reached": reached, "volunteer": volunteer,
             "lon": lon, "lat": lat}
            for pk, action, result, reached, volunteer, lon, lat in cur.fetchall()
        ]  # fmt: skip


def volunteer_positions(viewer, *, now, recent_minutes=120):
    """Where volunteers are, from the GPS position they chose to attach to their last
    report, only while one of their assignments runs; a team leader who does not plan
    the campaign sees only the teams they lead."""
    import rules

    restrict = "" if rules.has_perm("field.plan", viewer) else (
        "AND r.volunteer_id IN (SELECT m.user_id FROM accounts_team_members m "
        "JOIN accounts_team_leaders l ON l.team_id = m.team_id WHERE l.user_id = %(viewer)s)"
    )  # fmt: skip
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT DISTINCT ON (r.volunteer_id) r.volunteer_id,
                   coalesce(nullif(u.display_name, ''), nullif(u.full_name, ''), split_part(u.email, '@', 1)),
                   ST_X(r.location), ST_Y(r.location), r.done_at
            FROM field_fieldreport r JOIN accounts_user u ON u.id = r.volunteer_id
            WHERE r.location_source = 'gps' AND r.done_at >= %(since)s {restrict}
              AND EXISTS (
                  SELECT 1 FROM field_assignment a
                  WHERE a.starts_at <= %(now)s AND a.ends_at >= %(now)s
                    AND (a.volunteer_id = r.volunteer_id OR a.team_id IN (
                        SELECT team_id FROM accounts_team_members WHERE user_id = r.volunteer_id))
              )
            ORDER BY r.volunteer_id, r.done_at DESC
            """,
            {"since": now - dt.timedelta(minutes=recent_minutes), "now": now, "viewer": viewer.pk},
        )
        rows = cur.fetchall()
    return feature_collection(
        [
            ({"type": "Point", "coordinates": [x, y]}, {"volunteer": pk, "name": name, "at": at.isoformat()})
            for pk, name, x, y, at in rows
        ]  # fmt: skip
    )


def public_zones_layer(box, zoom):
    """Zones the team chose to show on the public map: name and outline only."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, name, md5(ST_AsBinary(geometry)) FROM field_zone "
            "WHERE public AND geometry && ST_MakeEnvelope(%s, %s, %s, %s, 4326) ORDER BY id LIMIT 500",
            box,
        )
        rows = cur.fetchall()
    shapes = _geometries("zone", [(pk, digest) for pk, _name, digest in rows], zoom)
    return feature_collection((shapes[pk], {"name": name}) for pk, name, _digest in rows)


def contributions_layer(box, *, public_only=False, limit=MAX_POINTS):
    """Citizens' geolocated contributions in the viewport: visible proposals (with
    `public_only`, only those of published, non-private projects) and open mutual-aid
    posts at their approximate place."""
    from django.contrib.gis.geos import Polygon

    from participation.aid.models import HelpPost
    from participation.ideas.models import Proposal
    from participation.models import Project

    area = Polygon.from_bbox(box)
    proposals = Proposal.public().filter(location__isnull=False, location__within=area)
    if public_only:
        proposals = proposals.filter(step__project__published=True).exclude(
            step__project__visibility=Project.Visibility.PRIVATE
        )
    rows = proposals.order_by("-votes_count", "-id").values_list(
        "id", "title", "theme", "status", "votes_count", "location"
    )[:limit]
    features = [
        (
            {"type": "Point", "coordinates": [location.x, location.y]},
            {
                "kind": "proposal",
                "id": pk,
                "title": title,
                "theme": theme,
                "status": status,
                "votes": votes,
                "url": f"/idees/{pk}/",
            },
        )  # fmt: skip
        for pk, title, theme, status, votes, location in rows
    ]
    help_posts = HelpPost.public().filter(status=HelpPost.Status.OPEN, area__isnull=False, area__within=area)
    for pk, kind, title, category, point in help_posts.order_by("-id").values_list(
        "id", "kind", "title", "category", "area"
    )[: max(0, limit - len(features))]:
        features.append(
            (
                {"type": "Point", "coordinates": [point.x, point.y]},
                {
                    "kind": kind,
                    "id": pk,
                    "title": title,
                    "theme": category,
                    "status": "open",
                    "votes": None,
                    "url": f"/entraide/{pk}/",
                },
            )  # fmt: skip
        )
    features += _place_answers(area, public_only=public_only, limit=max(0, limit - len(features)))
    return feature_collection(features)


def _place_answers(area, *, public_only, limit):
    """Questionnaire answers that are places (already approximate). On the public map
    only those of questionnaires with public results in public projects."""
    from django.db.models import FloatField
    from django.db.models.fields.json import KT
    from django.db.models.functions import Cast

    from participation.models import Project
    from participation.surveys.models import Answer, Question

    answers = Answer.objects.filter(question__kind=Question.Kind.PLACE, response__submitted_on__isnull=False)
    if public_only:
        answers = answers.filter(response__questionnaire__public_results=True,
                                 response__questionnaire__step__project__published=True).exclude(
            response__questionnaire__step__project__visibility=Project.Visibility.PRIVATE)  # fmt: skip
    minx, miny, maxx, maxy = area.extent
    answers = answers.annotate(lon=Cast(KT("value__0"), FloatField()), lat=Cast(KT("value__1"), FloatField())).filter(
        lon__gte=minx, lon__lte=maxx, lat__gte=miny, lat__lte=maxy
    )
    out = []
    for pk, lon, lat, label in answers.order_by("-id").values_list("id", "lon", "lat", "question__label")[:limit]:
        out.append(({"type": "Point", "coordinates": [lon, lat]},
                    {"kind": "answer", "id": pk, "title": label, "theme": "", "status": "", "votes": None,
                     "url": ""}))  # fmt: skip
    return out
