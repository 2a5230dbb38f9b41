"""VERIFY worker_faults: processes killed and connections cut in the middle of work.

- a Celery worker killed (SIGKILL) during an import: nothing of the import is in the
  base; the import is resumed (the every-minute sweeper) and completes, once;
- a worker killed during a send, then restarted: every recipient mailed exactly once
  (the scenario of tests/messaging/test_exactly_once.py);
- a turf cut killed mid-way: the zone keeps its previous turfs;
- PostgreSQL connections of the production-style server killed (`pg_terminate_backend`)
  while it serves requests: answers are the page or a 503 that says the database is
  briefly unavailable, never a 500 nor a dropped connection, and once the killing
  stops every answer is right again.
"""

import signal
import subprocess
import sys
import threading
import time

import pytest
import requests
from django.db import connection
from django_tenants.utils import tenant_context

from bench.common import free_port
from tests.conftest import (
    ROOT,
    SHARED,
    start_celery_worker,
    start_uvicorn,
    stop_process,
    subprocess_env,
    wait_for,
)  # fmt: skip
from tests.verify.recorder import check

ROWS = 60_000
QUEUE = "verify-import-kill"


@pytest.mark.slow_verify
def test_an_import_killed_mid_way_leaves_nothing_then_resumes_and_completes(committed, tmp_path):
    from bench.synthetic import write_voter_file
    from crm.importing.pipeline import create_job, read_progress, resume_stalled_imports
    from crm.models import Contact, ImportJob
    from crm.tasks import run_import

    campaign = committed.campaign().campaign
    path = tmp_path / "liste.csv"
    write_voter_file(path, rows=ROWS, communes_path=SHARED / "data" / "geo" / "communes-45-loiret.geojson")
    with tenant_context(campaign):
        job = create_job(file_path=path, file_name="liste.csv")
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
    worker = start_celery_worker("verify-import-worker", queue=QUEUE)
    with check("worker_faults") as c:
        try:
            with tenant_context(campaign):
                run_import.apply_async((job.pk,), queue=QUEUE)

                def half_way():
                    job.refresh_from_db()
                    done, _total, _step = read_progress(job)
                    return job.status == ImportJob.Status.RUNNING and done > ROWS // 4

                wait_for(half_way, timeout=120, interval=0.05, what="the import to be under way")
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            worker.kill()
        with tenant_context(campaign):
            job.refresh_from_db()
            c.probe(Contact.objects.count() == 0, f"{Contact.objects.count()} contacts after the kill (want 0)")
            c.probe(job.status == ImportJob.Status.RUNNING, f"job status after the kill: {job.status}")
            # What the sweeper does every minute (its grace period waived here). The dead
            # worker's PostgreSQL session holds the job's lock until the server notices
            # the client is gone: the sweeper finds it taken until then, and resumes
            # the import at one of its next rounds (here every half second).
            resumed = []

            def sweep():
                resumed.extend(resume_stalled_imports(older_than=__import__("datetime").timedelta(0)))
                return bool(resumed)

            wait_for(sweep, timeout=30, interval=0.5, what="the sweeper to resume the import")
            connection.set_schema_to_public()
        c.probe(resumed == [job.pk], f"sweeper resumed {resumed}")
        worker = start_celery_worker("verify-import-worker-2")  # the default queue, where the sweeper sends it
        try:
            with tenant_context(campaign):

                def finished():
                    job.refresh_from_db()
                    return job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED)

                wait_for(finished, timeout=300, what="the resumed import")
                c.probe(job.status == ImportJob.Status.DONE, f"resumed import ended {job.status}: {job.error}")
                total = job.created_count + job.merged_count + job.rejected_count
                c.probe(total == ROWS, f"created+merged+rejected = {total} for {ROWS} rows")
                c.probe(Contact.objects.count() == job.created_count,
                        f"{Contact.objects.count()} contacts for {job.created_count} created")  # fmt: skip
        finally:
            worker.terminate()
            worker.wait(timeout=30)


@pytest.mark.slow_verify
def test_a_send_killed_mid_way_reaches_each_recipient_once(committed, asgi_server):
    from tests.messaging.test_exactly_once import test_killed_worker_restarted_sends_each_recipient_exactly_once

    with check("worker_faults") as c:
        try:
            test_killed_worker_restarted_sends_each_recipient_exactly_once(committed, asgi_server)
            c.probe(True, "send")
        except AssertionError as exc:
            c.probe(False, f"send after a killed worker: {exc}")


CUT = """
import django, sys
django.setup()
from django_tenants.utils import tenant_context
from campaigns.models import Campaign
from crm.field.models import Zone
from crm.field.turfs import cut_zone
with tenant_context(Campaign.objects.get(schema_name=sys.argv[1])):
    print("cutting", flush=True)
    cut_zone(Zone.objects.get(pk=int(sys.argv[2])), doors_per_turf=40)
"""


@pytest.mark.slow_verify
def test_a_turf_cut_killed_mid_way_keeps_the_previous_turfs(committed):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from bench.synthetic import scatter_buildings
    from crm.field.models import Turf, Zone
    from crm.field.turfs import cut_zone

    campaign = committed.campaign().campaign
    with tenant_context(campaign):
        area = MultiPolygon(Polygon.from_bbox((1.8, 47.8, 2.0, 47.95)), srid=4326)
        zone = Zone.objects.create(name="Grand quartier", code="GQ", geometry=area)
        scatter_buildings(zone.pk, 40_000, seed=3)
        before = sorted(Turf.objects.filter(zone=zone).values_list("pk", flat=True))
        if not before:
            before = sorted(t.pk for t in cut_zone(zone, doors_per_turf=400))
    with check("worker_faults") as c:
        proc = subprocess.Popen([sys.executable, "-c", CUT, campaign.schema_name, str(zone.pk)], cwd=ROOT,
                                env=subprocess_env(), stdout=subprocess.PIPE, text=True)  # fmt: skip
        proc.stdout.readline()
        time.sleep(0.8)  # inside the cut: turfs deleted and new ones being written, not committed
        killed_running = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        c.probe(killed_running, "the cut was still running when killed")
        with tenant_context(campaign):
            after = sorted(Turf.objects.filter(zone=zone).values_list("pk", flat=True))
        c.probe(after == before, f"turfs before {len(before)}, after the killed cut {len(after)}")


@pytest.mark.slow_verify
def test_killed_database_connections_give_503_then_recover(worlds, production_server, unblocked):
    world = worlds[0]
    headers = {"Host": world.host, "X-Forwarded-Proto": "https"}
    stop = threading.Event()
    answers, problems = [], []

    def browse():
        session = requests.Session()
        while not stop.is_set():
            for path in ("/", "/api/proposals/", "/projets/", "/healthz"):
                try:
                    r = session.get(production_server + path, headers=headers, timeout=20)
                except requests.RequestException as exc:
                    problems.append(f"GET {path}: no answer ({exc.__class__.__name__})")
                    continue
                answers.append(r.status_code)
                if r.status_code == 503 and "indisponible" not in r.text:
                    problems.append(f"GET {path}: 503 without the message")
                elif r.status_code not in (200, 503):
                    problems.append(f"GET {path}: {r.status_code}")

    def kill_backends():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            return cursor.fetchone()[0]

    with check("worker_faults") as c:
        threads = [threading.Thread(target=browse) for _ in range(4)]
        for t in threads:
            t.start()
        killed = 0
        for _ in range(10):
            time.sleep(0.5)
            killed += kill_backends()
        stop.set()
        for t in threads:
            t.join()
        c.probe(killed > 0, "connections were killed")
        for problem in problems[:20]:
            c.probe(False, problem)
        c.probe(answers.count(200) > 0, f"answers during the kills: {len(answers)}")
        # The pool replaces the connections killed last (reconnecting with a short back-off):
        # once a first page is served again, every answer must be right.
        wait_for(lambda: requests.get(production_server + "/healthz", headers=headers, timeout=10).status_code == 200,
                 timeout=15, interval=0.2, what="the first answer after the kills")  # fmt: skip
        after = [requests.get(production_server + p, headers=headers, timeout=10).status_code
                 for p in ("/", "/api/proposals/", "/projets/", "/healthz") * 5]  # fmt: skip
        c.probe(set(after) == {200}, f"answers once the killing stopped: {after}")
        print(f"worker_faults db kills: {killed} connections, {len(answers)} answers, "
              f"{answers.count(503)} x 503")  # fmt: skip


@pytest.mark.slow_verify
def test_redis_restarted_during_a_send_reaches_each_recipient_once(committed, asgi_server):
    """The worker's broker (a Redis of this test's own, on 127.0.0.1) dies mid-send and
    comes back empty, as a Redis without persistence restarts."""
    import collections
    import socket

    from config.celery import app
    from crm.messaging.models import Message, Send
    from crm.messaging.tasks import deliver
    from tests.conftest import host_of
    from tests.fakes import FakeProviders, SendGridKeys
    from tests.messaging.test_exactly_once import message_being_sent

    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"

    def start_redis():
        proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no"], stdout=subprocess.DEVNULL)  # fmt: skip
        wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, timeout=10, what="redis")
        return proc

    campaign = committed.campaign().campaign
    keys = SendGridKeys()
    message = message_being_sent(campaign, keys, 3000)
    redis = start_redis()
    fake = FakeProviders(delay=0.5)
    fake.webhook = (f"http://127.0.0.1:{asgi_server}/messages/sendgrid/events/", host_of(campaign), keys)
    env = {"SENDGRID_API_URL": fake.url, "SENDGRID_REQUESTS_PER_SECOND": "0", "MESSAGING_CLAIM_TIMEOUT": "4",
           "TEST_REDIS_URL": url}  # fmt: skip
    worker = start_celery_worker("redis-restart-worker", **env)

    def queue_delivery(countdown=0):
        with tenant_context(campaign), app.connection_for_write(url) as conn:
            deliver.apply_async((message.pk,), connection=conn, countdown=countdown)

    with check("worker_faults") as c:
        try:
            queue_delivery()
            wait_for(lambda: len(fake.mail_requests()) >= 1, timeout=60, what="a first batch at the fake")
            redis.kill()  # Redis gone mid-send...
            redis.wait(timeout=10)
            time.sleep(2)
            redis = start_redis()  # ...and back, empty: the queued tasks are lost
            queue_delivery(countdown=5)  # what the every-minute dispatcher does

            def finished():
                with tenant_context(campaign):
                    return Message.objects.get(pk=message.pk).status == Message.Status.SENT

            wait_for(finished, timeout=240, what="the message to finish")
        finally:
            worker.kill()
            worker.wait(timeout=10)
            redis.kill()
            fake.close()
        counts = collections.Counter(fake.recipients())
        c.probe(len(counts) == 3000, f"{len(counts)} recipients reached of 3000")
        c.probe(set(counts.values()) == {1}, f"mailed twice: {[e for e, n in counts.items() if n > 1][:5]}")
        with tenant_context(campaign):
            left = Send.objects.filter(message=message).exclude(status="sent").count()
        c.probe(left == 0, f"{left} sends not marked sent")


@pytest.mark.slow_verify
def test_the_web_answers_503_while_the_database_is_away_and_200_again_after(worlds, unblocked):
    """A production-style server whose PostgreSQL is behind a relay we switch off and on."""
    from django.conf import settings as django_settings

    from tests.conftest import database_url_for_tests
    from tests.verify.chaos_proxy import TcpRelay
    from tests.verify.conftest import production_env

    world = worlds[0]
    db = django_settings.DATABASES["default"]
    relay = TcpRelay(int(db["PORT"] or 5432))
    url = database_url_for_tests().replace(f"@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/",
                                           f"@127.0.0.1:{relay.port}/")  # fmt: skip
    env = {**production_env(), "DATABASE_URL": url, "DB_POOL_TIMEOUT": "2"}
    server = start_uvicorn(env, log_name="verify-db-away-uvicorn.log")
    base, headers = f"http://127.0.0.1:{server.port}", {"Host": world.host, "X-Forwarded-Proto": "https"}
    paths = ("/", "/api/proposals/", "/projets/", "/healthz")

    def answers():
        out = []
        for path in paths:
            try:
                r = requests.get(base + path, headers=headers, timeout=15)
                out.append((path, r.status_code, "indisponible" in r.text))
            except requests.RequestException as exc:
                out.append((path, exc.__class__.__name__, False))
        return out

    try:
        with check("worker_faults") as c:
            before = answers()
            c.probe(all(code == 200 for _p, code, _m in before), f"database there: {before}")
            relay.off()
            away = answers()
            c.probe(all(code == 503 and said for _p, code, said in away), f"database away: {away}")
            relay.on()
            time.sleep(1)
            back = answers() + answers()
            c.probe(all(code == 200 for _p, code, _m in back), f"database back: {back}")
    finally:
        stop_process(server)
        relay.close()
