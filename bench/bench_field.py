"""Field operations: cutting a zone into turfs, and ordering a walk list.

    python bench/bench_field.py

Prints:
  BENCH turf_cut <s> s baseline=<s> ratio=<x>     split a zone of 50,000 addresses into turfs of
                                                  about 150 doors; baseline: ST_ClusterKMeans on the
                                                  same addresses into as many clusters, same run
  BENCH turf_cut_spread <x> baseline=1.5 ...      largest turf's doors / smallest turf's doors
  BENCH walk_list <ms> ms baseline=<ms> ratio=<x> order 500 doors (median of 11); baseline:
                                                  nearest neighbour alone, same points
The zone is Orléans's real outline (../shared/data/geo/communes-45-loiret.geojson, 45234).
"""

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.gis.geos import GEOSGeometry  # noqa: E402
from django.db import connection  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from bench.common import bench_campaign, drop_campaign, report  # noqa: E402
from bench.synthetic import scatter_buildings  # noqa: E402
from crm.field.models import Zone  # noqa: E402
from crm.field.turfs import cut_zone, walk_order  # noqa: E402
from crm.field.zones import as_multipolygon  # noqa: E402

COMMUNES = ROOT.parent / "shared" / "data" / "geo" / "communes-45-loiret.geojson"


def orleans():
    features = json.loads(COMMUNES.read_text(encoding="utf-8"))["features"]
    feature = next(f for f in features if f["properties"]["code"] == "45234")
    geometry, _ = as_multipolygon(GEOSGeometry(json.dumps(feature["geometry"]), srid=4326))
    return Zone.objects.create(name="Orléans", code="45234", geometry=geometry)


def turf_cut():
    zone = orleans()
    # 50,000 addresses, one door each, for "50,000 doors / 150".
    doors = scatter_buildings(zone.pk, 50_000, seed=11, flats_every=10**9)
    start = time.perf_counter()
    turfs = cut_zone(zone, doors_per_turf=150)
    seconds = time.perf_counter() - start
    with connection.cursor() as cur:
        start = time.perf_counter()
        cur.execute(
            "SELECT count(DISTINCT k) FROM (SELECT ST_ClusterKMeans(point, %s) OVER () AS k "
            "FROM crm_address WHERE point IS NOT NULL) c",
            [len(turfs)],
        )
        cur.fetchone()
        kmeans = time.perf_counter() - start
    report("turf_cut", seconds, "s", kmeans)
    counts = [t.door_count for t in turfs]
    report("turf_cut_spread", max(counts) / min(counts), "x", 1.5)
    print(f"# {doors} doors, {len(turfs)} turfs, doors per turf {min(counts)}..{max(counts)}", flush=True)


def walk_list():
    rng = random.Random(3)
    lon = [rng.uniform(1.900, 1.915) for _ in range(500)]
    lat = [rng.uniform(47.900, 47.910) for _ in range(500)]

    def median_ms(fn, runs=11):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    value = median_ms(lambda: walk_order(lon, lat))
    baseline = median_ms(lambda: walk_order(lon, lat, sweeps=0))
    report("walk_list", value, "ms", baseline)


def main():
    slug, campaign = bench_campaign("field", "Bench field")
    try:
        with schema_context(slug):
            turf_cut()
        walk_list()
    finally:
        drop_campaign(slug)


if __name__ == "__main__":
    main()
