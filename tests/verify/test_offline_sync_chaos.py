"""VERIFY offline_sync_chaos: 10,000 field reports from 20 phones through a bad network.

Twenty volunteers, each with a turf, each phone holding 500 reports in its outbox,
sync as the volunteers' app does (batches of up to 25, each report with its own UUID;
a report leaves the outbox only once the server answered it; errors and silence are
retried with back-off). Between the phones and the production-style server stands
tests/verify/chaos_proxy.py: it drops, delays, duplicates, replays late and cuts
answers in the middle. At the end the database holds exactly the 10,000 reports, each
once, and every phone's outbox is empty.
"""

import datetime as dt
import random
import threading
import time
import uuid

import pytest
import requests
from django.utils import timezone
from django_tenants.utils import tenant_context

from tests.verify.chaos_proxy import ChaosProxy
from tests.verify.recorder import check
from tests.verify.world import _user

PHONES = 20
PER_PHONE = 500


def phones_of(world):
    """20 volunteers on the turfs of the world's door-to-door action: (token, action, turf, addresses)."""
    from rest_framework.authtoken.models import Token

    from crm.field.models import Action, Assignment, Turf

    out = []
    with tenant_context(world.campaign):
        action = Action.objects.get()
        turfs = list(Turf.objects.filter(zone__in=action.zones.all()).order_by("pk"))
        now = timezone.now()
        for i in range(PHONES):
            volunteer = _user(world, "volunteer", f"phone-{i}")
            turf = turfs[i % len(turfs)]
            window = {"starts_at": now - dt.timedelta(hours=1), "ends_at": now + dt.timedelta(days=1)}
            Assignment.objects.create(action=action, turf=turf, volunteer=volunteer, **window)
            addresses = list(turf.addresses.values_list("pk", flat=True))
            out.append((Token.objects.create(user=volunteer).key, action.pk, turf.pk, addresses))
    return out


def run_phone(index, base, host, token, action, turf, addresses, sent, problems, deadline):
    rnd = random.Random(index)
    outbox = [
        {"uuid": str(uuid.uuid4()), "action": action, "turf": turf, "address": rnd.choice(addresses),
         "result": rnd.choice(["not_home", "talked", "refused"]), "done_at": timezone.now().isoformat(),
         "notes": f"téléphone {index}, compte rendu {n}"}
        for n in range(PER_PHONE)
    ]  # fmt: skip
    sent.extend(r["uuid"] for r in outbox)
    headers = {"Host": host, "Authorization": f"Token {token}", "Connection": "close", "X-Forwarded-Proto": "https"}
    wait = 0.05
    while outbox and time.monotonic() < deadline:
        batch = outbox[: rnd.randint(1, 25)]
        try:
            r = requests.post(f"{base}/api/reports/", json={"reports": batch}, headers=headers, timeout=5)
            results = r.json()["results"]
        except (requests.RequestException, ValueError, KeyError):
            time.sleep(wait)
            wait = min(wait * 2, 2.0)
            continue
        wait = 0.05
        answered = {x["uuid"] for x in results if x["status"] in (200, 201)}
        problems.extend(f"phone {index}: {x}" for x in results if x["status"] not in (200, 201))
        outbox = [item for item in outbox if item["uuid"] not in answered]
    if outbox:
        problems.append(f"phone {index}: {len(outbox)} reports still in the outbox at the deadline")


@pytest.mark.slow_verify
def test_ten_thousand_reports_through_a_bad_network_are_stored_exactly_once(worlds, production_server, unblocked):
    from crm.field.models import FieldReport

    world = worlds[1]
    phones = phones_of(world)
    upstream = int(production_server.rsplit(":", 1)[1])
    proxy = ChaosProxy(upstream)
    sent, problems = [], []
    deadline = time.monotonic() + 600
    threads = [
        threading.Thread(
            target=run_phone, args=(i, f"http://127.0.0.1:{proxy.port}", world.host, *phone, sent, problems, deadline)
        )  # fmt: skip
        for i, phone in enumerate(phones)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(6)  # late replays still in flight
    proxy.close()
    elapsed = time.monotonic() - started
    with check("offline_sync_chaos") as c, tenant_context(world.campaign):
        stored = FieldReport.objects.filter(uuid__in=sent)
        count, distinct = stored.count(), stored.values("uuid").distinct().count()
        print(f"offline_sync_chaos: {len(sent)} reports, {elapsed:.0f} s, network: {dict(proxy.counts)}")
        c.probe(len(sent) == PHONES * PER_PHONE, f"{len(sent)} reports made")
        c.probe(count == len(sent), f"{count} stored for {len(sent)} sent")
        c.probe(distinct == count, f"{count - distinct} stored twice")
        c.probe(sum(proxy.counts[f] for f in ("drop", "cut", "duplicate", "replay_later")) > 100,
                f"the network misbehaved enough: {dict(proxy.counts)}")  # fmt: skip
        for problem in problems[:20]:
            c.probe(False, problem)
