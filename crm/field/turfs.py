"""Turfs: cutting a zone into canvassing areas of about K doors, and walk lists.

Cutting is a weighted recursive bisection of the zone's geolocated buildings: the
buildings are split along the longer side of their extent at the point where the
doors on each side match the number of turfs wanted on that side, until each part
is one turf. Parts are therefore compact and their door counts differ by at most a
building's doors; each turf's outline is its rectangle of the bisection clipped to
the zone, so the turfs tile the zone without overlapping. Door = household (a
building without known households counts as one door).

k-means (`ST_ClusterKMeans`) gives compact clusters too, but their sizes vary by a
factor of two or more on real towns; teams want turfs of equal effort.
"""

import math
import re
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.utils.translation import gettext as _

from campaigns.accounts.models import AuditEntry
from crm.contacting import recent_household_ids, window_start
from crm.models import NAME_ORDER, Address, Contact, Household
from crm.normalise import street_key

from .models import FieldReport, Turf, Zone

# Metres per degree of latitude; longitudes are scaled by cos(latitude).
METRES_PER_DEGREE = 111_320.0


class CannotCut(ValueError):
    pass


@dataclass
class Building:
    address_id: int
    lon: float
    lat: float
    doors: int
    contacts: int


def buildings_in(geometry_sql, params):
    """Geolocated buildings covered by a geometry, with their door and contact counts."""
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH area AS ({geometry_sql}),
            inside AS (
                SELECT a.id, a.point FROM crm_address a, area
                WHERE a.point IS NOT NULL AND ST_Covers(area.geom, a.point)
            ),
            doors AS (
                SELECT h.address_id, count(*) AS n FROM crm_household h JOIN inside i ON i.id = h.address_id
                GROUP BY h.address_id
            ),
            people AS (
                SELECT h.address_id, count(*) AS n FROM crm_contact c
                JOIN crm_household h ON h.id = c.household_id JOIN inside i ON i.id = h.address_id
                WHERE c.erased_at IS NULL GROUP BY h.address_id
            )
            SELECT i.id, ST_X(i.point), ST_Y(i.point), GREATEST(coalesce(d.n, 0), 1), coalesce(p.n, 0)
            FROM inside i LEFT JOIN doors d ON d.address_id = i.id LEFT JOIN people p ON p.address_id = i.id
            ORDER BY i.id
            """,  # noqa: S608 - fixed SQL fragments, values passed as parameters
            params,
        )
        return [Building(*row) for row in cur.fetchall()]


def bisect(x, y, weights, parts, box=None):
    """Split points into `parts` groups of nearly equal weight by recursive bisection.
    Returns (group index per point, [(minx, miny, maxx, maxy) cell per group]) in
    the coordinates given (projected, so that "longer side" means metres). The cells
    tile `box` (default: the points' extent plus a metre)."""
    labels = np.zeros(len(x), dtype=np.int64)
    cells = []
    if box is None:
        box = (x.min() - 1, y.min() - 1, x.max() + 1, y.max() + 1)
    stack = [(np.arange(len(x)), parts, box)]
    while stack:
        idx, n, box = stack.pop()
        if n == 1 or len(idx) <= 1:
            labels[idx] = len(cells)
            cells.append(box)
            continue
        xs, ys = x[idx], y[idx]
        along_x = (xs.max() - xs.min()) >= (ys.max() - ys.min())
        coord = xs if along_x else ys
        order = np.argsort(coord, kind="stable")
        cumulative = np.cumsum(weights[idx][order])
        left_parts = n // 2
        target = cumulative[-1] * left_parts / n
        # Split after position k (k+1 points on the left), as close to the target as possible.
        k = int(np.searchsorted(cumulative, target))
        if k > 0 and abs(cumulative[k - 1] - target) <= abs(cumulative[min(k, len(idx) - 1)] - target):
            k -= 1
        k = min(max(k, 0), len(idx) - 2)
        sorted_coord = coord[order]
        cut = (sorted_coord[k] + sorted_coord[k + 1]) / 2
        minx, miny, maxx, maxy = box
        if along_x:
            left_box, right_box = (minx, miny, cut, maxy), (cut, miny, maxx, maxy)
        else:
            left_box, right_box = (minx, miny, maxx, cut), (minx, cut, maxx, maxy)
        stack.append((idx[order[k + 1 :]], n - left_parts, right_box))
        stack.append((idx[order[: k + 1]], left_parts, left_box))
    return labels, cells


@transaction.atomic
def cut_zone(zone, *, doors_per_turf, actor=None):
    """Replace the zone's turfs by turfs of about `doors_per_turf` doors each."""
    if not isinstance(doors_per_turf, int) or not 10 <= doors_per_turf <= 5000:
        raise CannotCut(_("Le nombre de portes par secteur doit être un entier entre 10 et 5000."))
    zone = Zone.objects.select_for_update().get(pk=zone.pk)
    if Turf.objects.filter(zone=zone, assignments__isnull=False).exists():
        raise CannotCut(
            _("Des secteurs de la zone « %(zone)s » sont affectés : retirez ces affectations avant de redécouper.")
            % {"zone": zone.name}
        )
    buildings = buildings_in("SELECT geometry AS geom FROM field_zone WHERE id = %s", [zone.pk])
    if not buildings:
        raise CannotCut(_("La zone « %(zone)s » ne contient aucune adresse localisée.") % {"zone": zone.name})
    Turf.objects.filter(zone=zone).delete()

    lon = np.array([b.lon for b in buildings])
    lat = np.array([b.lat for b in buildings])
    doors = np.array([b.doors for b in buildings], dtype=np.int64)
    contacts = np.array([b.contacts for b in buildings], dtype=np.int64)
    scale = math.cos(math.radians(float(lat.mean())))
    x, y = lon * scale * METRES_PER_DEGREE, lat * METRES_PER_DEGREE
    parts = max(1, round(int(doors.sum()) / doors_per_turf))
    # The cells tile the zone's bounding box (slightly enlarged), so the clipped turfs tile the zone.
    zx0, zy0, zx1, zy1 = zone.geometry.extent
    box = (zx0 * scale * METRES_PER_DEGREE - 10, zy0 * METRES_PER_DEGREE - 10,
           zx1 * scale * METRES_PER_DEGREE + 10, zy1 * METRES_PER_DEGREE + 10)  # fmt: skip
    labels, cells = bisect(x, y, doors, parts, box)

    turf_doors = np.bincount(labels, weights=doors, minlength=len(cells)).astype(int)
    turf_contacts = np.bincount(labels, weights=contacts, minlength=len(cells)).astype(int)
    envelopes = [
        (c[0] / scale / METRES_PER_DEGREE, c[1] / METRES_PER_DEGREE,
         c[2] / scale / METRES_PER_DEGREE, c[3] / METRES_PER_DEGREE)
        for c in cells
    ]  # fmt: skip
    width = len(str(len(cells)))
    names = [f"{zone.name} – {i + 1:0{width}d}" for i in range(len(cells))]
    address_ids = [b.address_id for b in buildings]
    with connection.cursor() as cur:
        # The cell clipped to the zone; a sliver cell whose clip is not polygonal (its
        # buildings on the zone's border) falls back to its buildings' buffered hull.
        cur.execute(
            """
            WITH cell AS (
                SELECT n, name, ST_MakeEnvelope(x1, y1, x2, y2, 4326) AS box, doors, people
                FROM unnest(%s::text[], %s::float8[], %s::float8[], %s::float8[], %s::float8[],
                            %s::int[], %s::int[]) WITH ORDINALITY AS t(name, x1, y1, x2, y2, doors, people, n)
            )
            INSERT INTO field_turf (name, zone_id, geometry, door_count, contact_count, created)
            SELECT cell.name, z.id,
                   ST_Multi(ST_CollectionExtract(ST_Intersection(z.geometry, cell.box), 3)),
                   doors, people, now()
            FROM cell, field_zone z WHERE z.id = %s ORDER BY n
            RETURNING id
            """,
            [names, *[[e[i] for e in envelopes] for i in range(4)],
             turf_doors.tolist(), turf_contacts.tolist(), zone.pk],
        )  # fmt: skip
        turf_ids = [row[0] for row in cur.fetchall()]
        cur.execute(
            """
            INSERT INTO field_turf_addresses (turf_id, address_id)
            SELECT (%s::bigint[])[label + 1], address_id FROM unnest(%s::int[], %s::bigint[]) AS t(label, address_id)
            """,
            [turf_ids, labels.tolist(), address_ids],
        )
        cur.execute(
            """
            UPDATE field_turf t SET geometry = ST_Multi(ST_Buffer(ST_ConvexHull(pts.geom), 0.0002))
            FROM (SELECT ta.turf_id, ST_Collect(a.point) AS geom FROM field_turf_addresses ta
                  JOIN crm_address a ON a.id = ta.address_id WHERE ta.turf_id = ANY(%s) GROUP BY ta.turf_id) pts
            WHERE t.id = pts.turf_id AND ST_IsEmpty(t.geometry)
            """,
            [turf_ids],
        )
    AuditEntry.objects.create(
        actor=actor, action="zone.cut", target_type="zone", target_id=str(zone.pk),
        data={"turfs": len(turf_ids), "doors_per_turf": doors_per_turf},
    )  # fmt: skip
    return list(Turf.objects.filter(pk__in=turf_ids).order_by("name"))


@transaction.atomic
def save_drawn_turf(turf):
    """A hand-drawn turf holds the buildings its outline covers."""
    turf.save()
    buildings = buildings_in("SELECT geometry AS geom FROM field_turf WHERE id = %s", [turf.pk])
    turf.addresses.set([b.address_id for b in buildings])
    turf.door_count = sum(b.doors for b in buildings)
    turf.contact_count = sum(b.contacts for b in buildings)
    turf.save(update_fields=["door_count", "contact_count"])
    return turf


def walk_order(lon, lat, sweeps=60):
    """Visiting order of points: nearest neighbour from the westernmost point, then
    2-opt moves on the open path until none shortens it (or `sweeps` passes)."""
    n = len(lon)
    if n <= 2:
        return list(range(n))
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    scale = math.cos(math.radians(float(lat.mean())))
    pts = np.column_stack((lon * scale, lat)) * METRES_PER_DEGREE

    remaining = np.ones(n, dtype=bool)
    path = np.empty(n, dtype=np.int64)
    current = int(np.argmin(pts[:, 0]))
    for step in range(n):
        path[step] = current
        remaining[current] = False
        if step == n - 1:
            break
        d = np.hypot(*(pts[remaining] - pts[current]).T)
        current = int(np.flatnonzero(remaining)[np.argmin(d)])

    for _sweep in range(sweeps):
        improved = False
        for i in range(n - 2):
            p = pts[path]
            a, b = p[i], p[i + 1]
            c = p[i + 2 :]  # candidate ends j = i+2 .. n-1 of the reversed run path[i+1..j]
            d_next = np.vstack((p[i + 3 :], p[-1:]))  # the point after j (dummy at the end)
            before = np.hypot(*(b - a)) + np.hypot(*(d_next - c).T)
            after = np.hypot(*(c - a).T) + np.hypot(*(d_next - b).T)
            # Reversing up to the last point removes no edge after it.
            before[-1] = np.hypot(*(b - a))
            after[-1] = np.hypot(*(c[-1] - a))
            gain = before - after
            j = int(np.argmax(gain))
            if gain[j] > 1e-6:
                end = i + 2 + j
                path[i + 1 : end + 1] = path[i + 1 : end + 1][::-1]
                improved = True
        if not improved:
            break
    return path.tolist()


_NUMBER = re.compile(r"^\s*\d+\s*(bis|ter|quater|[a-d])?\b[\s,]*", re.IGNORECASE)


def street_name(line1):
    return _NUMBER.sub("", line1 or "").strip() or line1


def walk_list_for(turf, *, action=None, include_sensitive=False):
    """The turf's buildings in walking order, grouped by street, with their households
    and people, and what has been done there (for `action`, or any action)."""
    addresses = list(Address.objects.filter(turfs=turf).exclude(point=None))
    order = walk_order([a.point.x for a in addresses], [a.point.y for a in addresses])
    addresses = [addresses[i] for i in order]
    households = {}
    for h in Household.objects.filter(address__in=addresses).order_by("label", "id"):
        households.setdefault(h.address_id, []).append(h)
    fields = ["id", "first_names", "usage_name", "birth_name", "household_id", "phone"]
    if include_sensitive:
        fields += ["support_level"]
    people = {}
    for c in (
        Contact.objects.filter(household__address__in=addresses, erased_at=None)
        .exclude(consent_door=False)
        .only(*fields)
        .order_by(*NAME_ORDER)
    ):
        people.setdefault(c.household_id, []).append(c)
    done = {}
    reports = FieldReport.objects.filter(turf=turf)
    if action is not None:
        reports = reports.filter(action=action)
    for r in reports.order_by("done_at").values("address_id", "household_id", "result", "done_at"):
        done[(r["address_id"], r["household_id"])] = r
        done.setdefault((r["address_id"], None), r)

    # No double contact: households reached lately (by anyone, any channel) are left
    # out, unless this action already visited them (they stay, marked done).
    since = window_start()
    all_households = [h.pk for hs in households.values() for h in hs]
    recent = recent_household_ids(since, all_households) if since and all_households else set()
    skipped = 0
    streets = []
    position = 0
    for a in addresses:
        kept = [h for h in households.get(a.pk, []) if h.pk not in recent or (a.pk, h.pk) in done]
        skipped += len(households.get(a.pk, [])) - len(kept)
        if households.get(a.pk) and not kept:
            continue
        position += 1
        key = street_key(a.line1)[2]
        if not streets or streets[-1]["key"] != key:
            streets.append({"key": key, "street": street_name(a.line1), "buildings": []})
        doors = []
        for h in kept or [None]:
            members = people.get(h.pk, []) if h else []
            last = done.get((a.pk, h.pk if h else None))
            doors.append(
                {
                    "household": h.pk if h else None,
                    "label": h.label if h else "",
                    "people": [
                        {"id": c.pk, "first_names": c.first_names, "last_name": c.last_name}
                        | ({"support_level": c.support_level} if include_sensitive else {})
                        for c in members
                    ],
                    "done": {"result": last["result"], "at": last["done_at"].isoformat()} if last else None,
                }
            )
        streets[-1]["buildings"].append(
            {
                "position": position,
                "address": a.pk,
                "line1": a.line1,
                "postal_code": a.postal_code,
                "city": a.city,
                "longitude": a.point.x,
                "latitude": a.point.y,
                "doors": doors,
            }
        )
    for s in streets:
        del s["key"]
    return {"turf": turf.pk, "name": turf.name, "streets": streets, "recently_contacted": skipped}
