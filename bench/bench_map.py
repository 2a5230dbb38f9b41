"""The live map on a big campaign: 1,000,000 contacts and 200,000 field reports in Loiret.

    python bench/bench_map.py [--contacts 1000000] [--reports 200000] [--viewports 200]

Prints:
  BENCH map_viewport <ms> ms baseline=<ms> ratio=<x>
        p95 over random viewports (1200 x 800 pixels, zooms 8 to 18) of what the map
        asks for one view — reports, zones and turfs layers, through the API with an
        organizer's session; baseline: p95 of PostgreSQL alone counting the reports in
        the same boxes
The communes of ../shared/data/geo/communes-45-loiret.geojson are the zones; the
ten largest are cut into turfs of 150 doors.
"""

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from bench.common import bench_campaign, drop_campaign, report  # noqa: E402
from campaigns.accounts.models import Role, User  # noqa: E402
from campaigns.accounts.roles import assign_role  # noqa: E402
from crm.field.models import Zone  # noqa: E402
from crm.field.turfs import cut_zone  # noqa: E402
from crm.field.zones import import_zones  # noqa: E402
from livemap.cells import rebuild as rebuild_cells  # noqa: E402

COMMUNES = ROOT.parent / "shared" / "data" / "geo" / "communes-45-loiret.geojson"


def fill(contacts, reports):
    """Addresses inside the communes, 5 people per household, reports at random doors."""
    households = contacts // 5
    import_zones(COMMUNES.read_bytes())
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO crm_address (line1, postal_code, city, key, point, geocoded_by, polling_station_code)
            SELECT 'Adresse ' || n, '45000', 'Loiret', 'bench|' || n, geom, 'bench', ''
            FROM (SELECT row_number() OVER () AS n, d.geom
                  FROM (SELECT (ST_Dump(ST_GeneratePoints(u, %s, 45))).geom
                        FROM (SELECT ST_Union(geometry) AS u FROM field_zone) z) d) g
            """,
            [households],
        )
        cur.execute("INSERT INTO crm_household (address_id, label) SELECT id, '' FROM crm_address")
        cur.execute(
            """
            INSERT INTO crm_contact (birth_name, usage_name, first_names, sex, email, phone, other_emails,
                other_phones, household_id, custom_fields, source, opinion_notes, name_key, search_text,
                support_level, last_contacted_at, created, updated)
            SELECT 'Martin', '', 'Camille', '', '', '', '{}', '{}', h.id, '{}', 'bench', '', 'martin|camille',
                   'camille martin', CASE WHEN random() < 0.3 THEN 1 + (random() * 4)::int END,
                   CASE WHEN random() < 0.3 THEN now() END, now(), now()
            FROM crm_household h CROSS JOIN generate_series(1, 5)
            """
        )
        cur.execute(
            """
            INSERT INTO field_action (name, kind, starts_on, ends_on, script, survey, result_codes, created)
            VALUES ('Porte-à-porte', 'door', current_date - 30, current_date, '', '[]', '[]', now()) RETURNING id
            """
        )
        action = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO field_fieldreport (uuid, action_id, address_id, household_id, result, reached, answers,
                notes, leaflets, location, location_source, done_at, received_at)
            SELECT gen_random_uuid(), %s, a.id, h.id,
                   (ARRAY['talked', 'not_home', 'refused', 'come_back'])[1 + (random() * 3)::int],
                   random() < 0.5, '{}', '', 0, a.point, 'address',
                   now() - random() * interval '30 days', now()
            FROM (SELECT id, point FROM crm_address ORDER BY random() LIMIT %s) a
            JOIN crm_household h ON h.address_id = a.id
            """,
            [action, reports],
        )
        cur.execute("ANALYZE")
    for zone in Zone.objects.extra(select={"area": "ST_Area(geometry)"}).order_by("-area")[:10]:
        cut_zone(zone, doors_per_turf=150)
    rebuild_cells()  # reports were loaded in bulk, not through the API


def viewports(n, rng):
    """Random 1200 x 800-pixel views over Loiret, zooms 8 to 18."""
    x0, y0, x1, y1 = 1.51, 47.48, 3.13, 48.35
    views = []
    for _ in range(n):
        zoom = rng.randint(8, 18)
        width = 1200 * 360 / (256 * 2**zoom)
        height = 800 * 360 / (256 * 2**zoom) * 0.67  # cos(47.9°)
        cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
        views.append(((cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2), zoom))
    return views


def p95(values):
    return statistics.quantiles(values, n=20)[-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--viewports", type=int, default=200)
    args = parser.parse_args()
    slug, campaign = bench_campaign("map", "Bench carte")
    try:
        with tenant_context(campaign):
            start = time.perf_counter()
            fill(args.contacts, args.reports)
            print(f"# data made in {time.perf_counter() - start:.0f} s", flush=True)
            organizer = User.objects.create_user("organisatrice@bench.example", uuid.uuid4().hex)
            assign_role(organizer, Role.ORGANIZER)
        client = Client(HTTP_HOST=f"{slug}.{settings.PLATFORM_DOMAIN}")
        with tenant_context(campaign):
            client.force_login(organizer)
        connection.set_schema_to_public()
        views = viewports(args.viewports, random.Random(8))
        for box, zoom in views[:10]:  # warm-up
            client.get("/api/map/reports/", {"bbox": ",".join(map(str, box)), "zoom": zoom})
        timings, baseline, per_layer = [], [], {"reports": [], "zones": [], "turfs": []}
        for box, zoom in views:
            params = {"bbox": ",".join(f"{v:.6f}" for v in box), "zoom": zoom}
            start = time.perf_counter()
            for layer in ("reports", "zones", "turfs"):
                began = time.perf_counter()
                response = client.get(f"/api/map/{layer}/", params)
                assert response.status_code == 200, response.content[:200]
                per_layer[layer].append(((time.perf_counter() - began) * 1000, zoom))
            timings.append((time.perf_counter() - start) * 1000)
            with tenant_context(campaign), connection.cursor() as cur:
                start = time.perf_counter()
                cur.execute(
                    "SELECT count(*) FROM field_fieldreport WHERE location && ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
                    list(box),
                )
                cur.fetchone()
                baseline.append((time.perf_counter() - start) * 1000)
        report("map_viewport", p95(timings), "ms", p95(baseline))
        for layer, values in per_layer.items():
            slow = sorted(values, reverse=True)[:3]
            print(f"# {layer}: p95 {p95([v for v, _z in values]):.1f} ms, slowest (ms, zoom) {slow}", flush=True)
        print(f"# median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms over {len(views)} viewports",
              flush=True)  # fmt: skip
    finally:
        drop_campaign(slug)


if __name__ == "__main__":
    main()
