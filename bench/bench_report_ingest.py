"""Field reports posted over HTTP to the production-style ASGI server (uvicorn, 2 worker
processes, production settings) by 64 concurrent clients on 127.0.0.1.

    python bench/bench_report_ingest.py [--seconds 30] [--batch 10] [--clients 64]

Each client is a volunteer with their own API token and turf; it posts batches of
`--batch` door reports (what the phone app sends after a few doors without signal),
and 5 % of the reports are re-sends of one it sent before (a sync cut mid-way).

Prints:
  BENCH report_ingest <reports/s> reports/s baseline=<req/s> ratio=<x>
        reports stored or acknowledged per second while `--rate` (1,000) reports/s are
        offered on a fixed schedule for `--seconds`; baseline: the same server's
        requests per second on a trivial authenticated endpoint (/api/me/), full load
  BENCH report_ingest_p99 <ms> ms baseline=100 ratio=<x>
        99th percentile latency of that run, counted from each request's slot
  BENCH report_ingest_capacity <reports/s> ...        clients sending back to back (most it takes)
  BENCH report_ingest_single_capacity <reports/s> ... the same with one report per request
        (a phone with signal sends each door at once)
and checks that the database holds exactly one row per distinct UUID sent.
"""

import argparse
import datetime as dt
import os
import random
import secrets
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
from django.contrib.gis.geos import MultiPolygon, Polygon  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench.common import bench_campaign, drop_campaign, free_port, report, start_server  # noqa: E402
from bench.loadgen import json_body, load  # noqa: E402
from bench.synthetic import scatter_buildings  # noqa: E402
from campaigns.accounts.models import Role, User  # noqa: E402
from campaigns.accounts.roles import assign_role  # noqa: E402
from crm.field.actions import default_result_codes  # noqa: E402
from crm.field.models import Action, Assignment, FieldReport, Zone  # noqa: E402
from crm.field.turfs import cut_zone  # noqa: E402

RESULTS = ["talked", "not_home", "not_home", "refused", "come_back"]


def set_up(clients):
    """A zone cut into one turf per volunteer, a door-to-door action, volunteers with tokens."""
    outline = MultiPolygon(Polygon.from_bbox((1.88, 47.88, 1.94, 47.92)), srid=4326)
    zone = Zone.objects.create(name="Bench", code="B", geometry=outline)
    scatter_buildings(zone.pk, clients * 100, seed=5, flats_every=10**9)
    turfs = cut_zone(zone, doors_per_turf=100)
    today = timezone.localdate()
    action = Action.objects.create(name="Bench", kind="door", starts_on=today, ends_on=today,
                                   result_codes=default_result_codes("door"))  # fmt: skip
    now = timezone.now()
    volunteers = []
    for i in range(clients):
        user = User.objects.create_user(f"benevole{i}@bench.example", secrets.token_urlsafe(16))
        assign_role(user, Role.VOLUNTEER)
        turf = turfs[i % len(turfs)]
        Assignment.objects.create(
            action=action, turf=turf, volunteer=user,
            starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=3),
        )  # fmt: skip
        with connection.cursor() as cur:
            cur.execute(
                "SELECT ta.address_id, h.id, c.id FROM field_turf_addresses ta "
                "JOIN crm_household h ON h.address_id = ta.address_id "
                "LEFT JOIN crm_contact c ON c.household_id = h.id WHERE ta.turf_id = %s",
                [turf.pk],
            )
            doors = cur.fetchall()
        volunteers.append({"token": Token.objects.create(user=user).key, "turf": turf.pk, "doors": doors})
    with connection.cursor() as cur:
        cur.execute("ANALYZE")  # statistics of a campaign that has been running, not of empty tables
    return action, volunteers


def post_reports(port, host, action, volunteers, *, seconds, batch, sent, rate=None):
    rng = random.Random(7)
    mine = [[] for _ in volunteers]
    counted = {"reports": 0}

    def make_request(i):
        v = volunteers[i]
        reports = []
        for _ in range(batch):
            if mine[i] and rng.random() < 0.05:
                reports.append(rng.choice(mine[i]))
                continue
            address, household, contact = rng.choice(v["doors"])
            r = {"uuid": str(uuid.uuid4()), "action": action.pk, "turf": v["turf"], "address": address,
                 "household": household, "contact": contact, "result": rng.choice(RESULTS),
                 "done_at": timezone.now().isoformat()}  # fmt: skip
            mine[i].append(r)
            sent.add(r["uuid"])
            reports.append(r)
        body = json_body({"reports": reports}) if batch > 1 else json_body(reports[0])
        headers = {"Authorization": f"Token {v['token']}", "Content-Type": "application/json"}
        return "POST", "/api/reports/", headers, body, len(reports)

    def on_response(n, status, data):
        if status in (200, 201):
            counted["reports"] += n

    run = load(port=port, host_header=host, clients=len(volunteers), seconds=seconds,
               make_request=make_request, on_response=on_response, rate=rate / batch if rate else None)  # fmt: skip
    return run, counted["reports"] / run.seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--rate", type=int, default=1000, help="reports per second offered")
    args = parser.parse_args()
    slug, campaign = bench_campaign("ingest", "Bench ingest")
    host = f"{slug}.{settings.PLATFORM_DOMAIN}"
    port = free_port()
    server = None
    try:
        with schema_context(slug):
            action, volunteers = set_up(args.clients)
        server = start_server(port)

        def me(i):
            return "GET", "/api/me/", {"Authorization": f"Token {volunteers[i]['token']}"}, b"", None

        load(port=port, host_header=host, clients=args.clients, seconds=3, make_request=me)  # warm-up
        trivial = load(port=port, host_header=host, clients=args.clients, seconds=10, make_request=me)
        if set(trivial.statuses) != {200}:
            sys.exit(f"trivial endpoint answered {trivial.statuses}")

        sent = set()
        # Let the server and PostgreSQL settle after the full-load phase, so that the
        # sustained run's latencies are its own.
        time.sleep(3)
        # Sustained: reports go out on schedule at --rate for --seconds; latency from each slot.
        run, per_second = post_reports(port, host, action, volunteers, seconds=args.seconds, batch=args.batch,
                                       sent=sent, rate=args.rate)  # fmt: skip
        report("report_ingest", per_second, "reports/s", trivial.rate)
        report("report_ingest_p99", run.percentile(99) * 1000, "ms", 100)
        print(f"# offered {args.rate} reports/s in batches of {args.batch} for {args.seconds} s: "
              f"p50 {run.percentile(50) * 1000:.1f} ms, statuses {run.statuses}, connection errors {run.errors}",
              flush=True)  # fmt: skip
        # Capacity: every client sends its next batch as soon as the last is answered.
        most, most_per_second = post_reports(port, host, action, volunteers, seconds=10, batch=args.batch, sent=sent)
        report("report_ingest_capacity", most_per_second, "reports/s", trivial.rate)
        single, single_per_second = post_reports(port, host, action, volunteers, seconds=10, batch=1, sent=sent)
        report("report_ingest_single_capacity", single_per_second, "reports/s", trivial.rate)
        print(f"# trivial endpoint {trivial.rate:.0f} requests/s; one report per request: "
              f"p99 {single.percentile(99) * 1000:.0f} ms at full load", flush=True)  # fmt: skip

        with schema_context(slug):
            stored = FieldReport.objects.count()
        print(f"# {len(sent)} distinct UUIDs sent, {stored} rows stored", flush=True)
        if stored != len(sent):
            sys.exit("the database does not hold exactly one row per distinct UUID sent")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        drop_campaign(slug)


if __name__ == "__main__":
    main()
