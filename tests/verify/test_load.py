"""VERIFY load: a mixed workload on the production-style server, memory watched.

For VERIFY_LOAD_SECONDS (300 by default) clients on 127.0.0.1 (bench/loadgen.py's
keep-alive connections, open loop: each request has its time slot) play:
volunteers posting batches of field reports, citizens browsing the site and voting,
staff following the live map's layers. Every answer must be the expected one (error
rate 0); the p50/p99 of each request type is printed; the resident memory of the
server's processes, sampled every 5 s, must not grow from the first minute to the
last (no leak).
"""

import asyncio
import contextlib
import os
import random
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from bench.loadgen import Connection, json_body
from tests.verify.recorder import check

SECONDS = int(os.environ.get("VERIFY_LOAD_SECONDS", "300"))
BBOX = "bbox=1.5,47.5,2.5,48.2&zoom=13"


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def server_pids(port):
    """The web server (config/serve.py) serving `port` and its processes."""
    parents, procs = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            ppid = next(int(line.split()[1]) for line in (entry / "status").read_text().splitlines()
                        if line.startswith("PPid:"))  # fmt: skip
        except (OSError, StopIteration):
            continue
        procs[int(entry.name)] = cmd
        parents[int(entry.name)] = ppid
    main = [pid for pid, cmd in procs.items() if "config.serve" in cmd and f"--port {port} " in cmd + " "]
    return main + [pid for pid, ppid in parents.items() if ppid in main]


def citizens_with_tokens(world, n):
    from rest_framework.authtoken.models import Token

    from campaigns.accounts.models import Role, User
    from campaigns.accounts.roles import assign_role
    from participation.models import CitizenProfile

    tokens = []
    with tenant_context(world.campaign):
        for i in range(n):
            user = User.objects.create_user(f"load-{i}-{uuid.uuid4().hex[:4]}@example.org", None)
            assign_role(user, Role.CITIZEN)
            CitizenProfile.objects.create(user=user, email_confirmed_at=timezone.now())
            tokens.append(Token.objects.create(user=user).key)
    return tokens


def plan(world):
    """The request makers of each type: type -> (requests/s, make() -> (method, path, headers, body), ok codes)."""
    from crm.field.models import Assignment
    from participation.ideas.models import Proposal

    with tenant_context(world.campaign):
        assignment = Assignment.objects.get(volunteer=world.users["volunteer"])
        addresses = list(assignment.turf.addresses.values_list("pk", flat=True))
        proposals = list(Proposal.objects.values_list("pk", flat=True))
    voters = citizens_with_tokens(world, 400)
    pairs = [(token, proposal) for token in voters for proposal in proposals]
    random.Random(5).shuffle(pairs)
    https = {"X-Forwarded-Proto": "https"}
    volunteer = {**https, "Authorization": f"Token {world.tokens['volunteer']}", "Content-Type": "application/json"}
    staff = {**https, "Authorization": f"Token {world.tokens['organizer']}"}
    rnd = random.Random(9)

    def report():
        batch = [{"uuid": str(uuid.uuid4()), "action": assignment.action_id, "turf": assignment.turf_id,
                  "address": rnd.choice(addresses), "result": rnd.choice(["not_home", "talked"]),
                  "done_at": timezone.now().isoformat()} for _ in range(5)]  # fmt: skip
        return "POST", "/api/reports/", volunteer, json_body({"reports": batch})

    def browse():
        path = rnd.choice(["/", "/projets/", "/actualites/", "/evenements/", f"/idees/{rnd.choice(proposals)}/",
                           "/api/proposals/", "/carte/"])  # fmt: skip
        return "GET", path, https, b""

    def vote():
        token, proposal = pairs.pop() if pairs else (voters[0], proposals[0])
        return "POST", f"/api/proposals/{proposal}/vote/", {**https, "Authorization": f"Token {token}"}, b""

    def follow_map():
        layer = rnd.choice(["reports", "zones", "turfs", "contributions"])
        return "GET", f"/api/map/{layer}/?{BBOX}", staff, b""

    return {
        "field_report": (15, report, {200}),
        "citizen_browse": (20, browse, {200}),
        "citizen_vote": (2, vote, {200, 201}),
        "staff_map": (8, follow_map, {200}),
    }


async def run_load(port, host, kinds, seconds, record, sample):
    async def client(kind, rate, make, offset):
        conn = Connection("127.0.0.1", port, host)
        await conn.open()
        start = time.perf_counter()
        n = 0
        while True:
            slot = start + offset + n / rate
            n += 1
            if slot - start >= seconds:
                break
            await asyncio.sleep(max(0, slot - time.perf_counter()))
            method, path, headers, body = make()
            try:
                status, _data = await conn.request(method, path, headers, body)
            except (ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
                record(kind, None, 0, f"{method} {path}: {exc.__class__.__name__}")
                conn.close()
                conn = Connection("127.0.0.1", port, host)
                await conn.open()
                continue
            record(kind, status, time.perf_counter() - slot, f"{method} {path}")
        conn.close()

    async def sampler():
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            sample()
            await asyncio.sleep(5)

    clients = []
    for kind, (rate, make, _ok) in kinds.items():
        per_client = max(1, rate // 4)
        count = max(1, round(rate / per_client))
        clients += [client(kind, rate / count, make, i / rate) for i in range(count)]
    await asyncio.gather(sampler(), *clients)


@pytest.mark.slow_verify
def test_mixed_load_has_no_errors_and_flat_memory(worlds, production_server, unblocked):
    world = worlds[0]
    port = int(production_server.rsplit(":", 1)[1])
    kinds = plan(world)
    latencies, problems, counts = defaultdict(list), [], defaultdict(int)
    memory = defaultdict(list)  # pid -> [(t, MB)]
    t0 = time.monotonic()

    def record(kind, status, seconds, what):
        counts[kind] += 1
        if status not in kinds[kind][2]:
            problems.append(f"{kind}: {what} -> {status}")
        else:
            latencies[kind].append(seconds)

    def sample():
        for pid in server_pids(port):
            with contextlib.suppress(OSError):
                memory[pid].append((time.monotonic() - t0, rss_mb(pid)))

    asyncio.run(run_load(port, world.host, kinds, SECONDS, record, sample))
    with check("load") as c:
        for kind in kinds:
            ordered = sorted(latencies[kind]) or [0.0]
            p50, p99 = (ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 for q in (0.5, 0.99))
            print(f"load {kind}: {counts[kind]} requests, p50 {p50:.0f} ms, p99 {p99:.0f} ms")
            c.probe(counts[kind] > 0, f"{kind}: no request made")
        for problem in problems[:30]:
            c.probe(False, problem)
        c.probe(not problems, f"{len(problems)} errors in {sum(counts.values())} requests")
        window = min(60, SECONDS / 4)
        for pid, samples in memory.items():
            first = [mb for t, mb in samples if t <= window]
            last = [mb for t, mb in samples if t >= SECONDS - window]
            if not first or not last:
                continue
            start, end = sorted(first)[len(first) // 2], sorted(last)[len(last) // 2]
            print(f"load memory pid {pid}: {start:.0f} MB in the first minute, {end:.0f} MB in the last")
            c.probe(end <= start * 1.10 + 15, f"process {pid} grew from {start:.0f} MB to {end:.0f} MB")
