"""The map's layers, computed for one viewport (bounding box and zoom).

Field reports are points when zoomed in (zoom >= POINTS_FROM_ZOOM) and grid cells
with counts when zoomed out: `ST_SnapToGrid` over the reports in the box, the cell
about 32 screen pixels wide, so a view of a whole département is a few hundred cells
however many reports there are. Zones and turfs carry their coverage (doors visited /
doors) and, for roles that may see opinions, their support (share of known supporters,
level 4–5, among the people met there with a known level).
"""

import datetime as dt

from django.db import connection
from django.utils.translation import gettext as _

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
            args.append(day if op == ">=" else day + dt.timedelta(days=1))
    return where, args


def cell_size(zoom):
    """Degrees of longitude for ~32 screen pixels at this zoom (256-pixel tiles)."""
    return 360.0 / (2**zoom) / 8


def reports_layer(box, zoom, filters=((), ())):
    where, args = filters
    conditions = " AND ".join(["r.location && ST_MakeEnvelope(%s, %s, %s, %s, 4326)", *where])
    with connection.cursor() as cur:
        if zoom >= POINTS_FROM_ZOOM:
            cur.execute(
                f"""
                SELECT r.id, ST_X(r.location), ST_Y(r.location), r.result, r.reached, a.kind, a.name, r.done_at
                FROM field_fieldreport r JOIN field_action a ON a.id = r.action_id
                WHERE {conditions} ORDER BY r.id DESC LIMIT %s
                """,  # noqa: S608 - conditions are fixed fragments, values are parameters
                [*box, *args, MAX_POINTS],
            )
            features = [
                {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
                 "properties": {"id": pk, "result": result, "reached": reached, "kind": kind, "action": name,
                                "at": at.isoformat()}}
                for pk, x, y, result, reached, kind, name, at in cur.fetchall()
            ]  # fmt: skip
            return {"type": "FeatureCollection", "mode": "points", "features": features}
        size = cell_size(zoom)
        cur.execute(
            f"""
            SELECT ST_X(c), ST_Y(c), n, reached FROM (
                SELECT ST_SnapToGrid(r.location, %s) AS c, count(*) AS n, count(*) FILTER (WHERE r.reached) AS reached
                FROM field_fieldreport r JOIN field_action a ON a.id = r.action_id
                WHERE {conditions} GROUP BY 1
            ) cells
            """,  # noqa: S608
            [size, *box, *args],
        )
        features = [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
             "properties": {"count": n, "reached": reached}}
            for x, y, n, reached in cur.fetchall()
        ]  # fmt: skip
        return {"type": "FeatureCollection", "mode": "cells", "cell": size, "features": features}


def areas_layer(table, box, zoom, *, with_support):
    """Zones or turfs in the box with doors, doors visited and (optionally) support."""
    tolerance = cell_size(zoom) / 16
    if table == "zone":
        source = "field_zone g"
        membership = "SELECT ta.address_id FROM field_turf_addresses ta JOIN field_turf t ON t.id = ta.turf_id WHERE t.zone_id = g.id"  # noqa: E501
        doors = "(SELECT coalesce(sum(t.door_count), 0) FROM field_turf t WHERE t.zone_id = g.id)"
        extra = "g.priority, g.code, g.score"
    else:
        source = "field_turf g"
        membership = "SELECT ta.address_id FROM field_turf_addresses ta WHERE ta.turf_id = g.id"
        doors = "g.door_count"
        extra = "NULL, '', NULL"
    support = (  # noqa: S608 - fixed fragments only
        f"""(SELECT CASE WHEN count(c.support_level) = 0 THEN NULL
                     ELSE round(count(*) FILTER (WHERE c.support_level >= 4)::numeric / count(c.support_level), 3) END
             FROM crm_contact c JOIN crm_household h ON h.id = c.household_id
             WHERE h.address_id IN ({membership}) AND c.erased_at IS NULL AND c.last_contacted_at IS NOT NULL)"""
        if with_support
        else "NULL"
    )
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT g.id, g.name, {extra}, ST_AsGeoJSON(ST_SimplifyPreserveTopology(g.geometry, %s), 6), {doors},
                   (SELECT count(DISTINCT (r.address_id, r.household_id)) FROM field_fieldreport r
                    WHERE r.address_id IN ({membership})),
                   {support}
            FROM {source} WHERE g.geometry && ST_MakeEnvelope(%s, %s, %s, %s, 4326)
            ORDER BY g.id LIMIT 2000
            """,  # noqa: S608 - fixed fragments only
            [tolerance, *box],
        )
        rows = cur.fetchall()
    features = []
    for pk, name, priority, code, score, geometry, door_count, visited, support_share in rows:
        props = {"id": pk, "name": name, "priority": priority, "code": code, "score": score,
                 "doors": door_count, "visited": visited,
                 "coverage": round(visited / door_count, 3) if door_count else None}  # fmt: skip
        if with_support:
            props["support"] = float(support_share) if support_share is not None else None
        features.append({"type": "Feature", "geometry": _json(geometry), "properties": props})
    return {"type": "FeatureCollection", "features": features}


def _json(text):
    import json

    return json.loads(text)


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
