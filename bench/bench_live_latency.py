"""How fast a field report reaches the open maps: 1,000 reports posted at 50/s to the
production-style ASGI server (uvicorn, 2 worker processes) while 20 WebSocket clients
listen, all on 127.0.0.1.

    python bench/bench_live_latency.py [--reports 1000] [--rate 50] [--clients 20]

Prints:
  BENCH live_latency <ms> ms baseline=<ms> ratio=<x>
        p95 of the delay from each POST's response to the report's arrival at each
        client; baseline: p95 of the POST round trip itself, same run
and checks that every client received every report.
"""

import argparse
import asyncio
import json
import os
import secrets
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

import websockets  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from bench.bench_report_ingest import set_up  # noqa: E402
from bench.common import (  # noqa: E402
    bench_campaign,
    drop_campaign,
    free_port,
    report,
    start_server,  # noqa: E402
)
from bench.loadgen import Connection, json_body  # noqa: E402
from campaigns.accounts.models import Role, User  # noqa: E402
from campaigns.accounts.roles import assign_role  # noqa: E402


def session_cookie(user):
    store = import_string(settings.SESSION_ENGINE + ".SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


async def run(port, host, cookie, volunteer, action, *, reports, rate, clients):
    arrivals = [{} for _ in range(clients)]  # report id -> monotonic arrival
    ready = asyncio.Event()
    connected = 0

    async def listen(i):
        nonlocal connected
        headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}", "Origin": f"http://{host}:{port}"}
        # The URL names the campaign's host (the Host header); the socket goes to 127.0.0.1.
        async with websockets.connect(f"ws://{host}:{port}/ws/live/", additional_headers=headers,
                                      host="127.0.0.1", port=port) as ws:  # fmt: skip
            hello = json.loads(await ws.recv())
            assert hello["event"] == "hello", hello
            connected += 1
            if connected == clients:
                ready.set()
            while len(arrivals[i]) < reports:
                message = json.loads(await ws.recv())
                if message["event"] == "field.reports":
                    now = time.perf_counter()
                    for r in message["payload"]["reports"]:
                        arrivals[i].setdefault(r["id"], now)

    listeners = [asyncio.create_task(listen(i)) for i in range(clients)]
    await asyncio.wait_for(ready.wait(), 30)
    answered, round_trips = {}, []
    conn = Connection("127.0.0.1", port, host)
    await conn.open()
    start = time.perf_counter()
    for n in range(reports):
        slot = start + n / rate
        await asyncio.sleep(max(0, slot - time.perf_counter()))
        address, household, contact = volunteer["doors"][n % len(volunteer["doors"])]
        body = json_body({"uuid": str(uuid.uuid4()), "action": action.pk, "turf": volunteer["turf"],
                          "address": address, "household": household, "contact": contact, "result": "talked",
                          "done_at": timezone.now().isoformat()})  # fmt: skip
        sent = time.perf_counter()
        headers = {"Authorization": f"Token {volunteer['token']}", "Content-Type": "application/json"}
        status, data = await conn.request("POST", "/api/reports/", headers, body)
        done = time.perf_counter()
        assert status == 201, data[:200]
        answered[json.loads(data)["report"]["id"]] = done
        round_trips.append(done - sent)
    await asyncio.wait_for(asyncio.gather(*listeners), 60)
    conn.close()
    delays = [max(0.0, got[rid] - at) for got in arrivals for rid, at in answered.items()]
    return delays, round_trips, [len(a) for a in arrivals]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    slug, campaign = bench_campaign("live", "Bench live")
    host = f"{slug}.{settings.PLATFORM_DOMAIN}"
    port = free_port()
    server = None
    try:
        # The server must read the session cookie made here: same secret key.
        settings.SECRET_KEY = secrets.token_urlsafe(64)
        with tenant_context(campaign):
            action, volunteers = set_up(1)
            leader = User.objects.create_user("chef@bench.example", uuid.uuid4().hex)
            assign_role(leader, Role.TEAM_LEADER)
            cookie = session_cookie(leader)
        server = start_server(port, secret_key=settings.SECRET_KEY)
        delays, round_trips, counts = asyncio.run(
            run(port, host, cookie, volunteers[0], action, reports=args.reports, rate=args.rate, clients=args.clients)
        )
        p95 = statistics.quantiles(delays, n=20)[-1] * 1000
        report("live_latency", p95, "ms", statistics.quantiles(round_trips, n=20)[-1] * 1000)
        print(f"# {args.reports} reports at {args.rate:g}/s to {args.clients} clients: median "
              f"{statistics.median(delays) * 1000:.1f} ms, max {max(delays) * 1000:.1f} ms; received {set(counts)}",
              flush=True)  # fmt: skip
        if set(counts) != {args.reports}:
            sys.exit("some client missed reports")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        drop_campaign(slug)


if __name__ == "__main__":
    main()
