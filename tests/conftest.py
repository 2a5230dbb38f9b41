"""Test fixtures. Everything talks to the real PostgreSQL/PostGIS and Redis.

- `campaign_factory` (with `db`): campaigns created inside the test's transaction,
  rolled back afterwards (PostgreSQL DDL is transactional, schemas included).
- `committed` : for tests where another process must see the data (a Celery
  worker, the ASGI server driven by Chromium). Data is committed; campaigns made
  through `committed.campaign(...)` are dropped at the end.
"""

import itertools
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import get_public_schema_name, tenant_context

from campaigns.models import Campaign, Domain
from campaigns.provisioning import create_campaign, delete_campaign
from campaigns.singletons import forget_local_rows

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
_counter = itertools.count()
(ROOT / ".make").mkdir(exist_ok=True)


def unique_slug(prefix="c"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def host_of(campaign):
    return f"{campaign.schema_name}.{settings.PLATFORM_DOMAIN}"


def ensure_platform():
    connection.set_schema_to_public()
    platform, _ = Campaign.objects.get_or_create(schema_name=get_public_schema_name(), defaults={"name": "Terrain"})
    Domain.objects.get_or_create(domain=settings.PLATFORM_DOMAIN, defaults={"tenant": platform, "is_primary": True})


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker):
    """Always build the test database. pytest-django builds it only when some
    collected test asks for `db`; a run of only `committed` tests would otherwise
    write to the development database."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        db_cfg = setup_databases(verbosity=request.config.option.verbose, interactive=False, aliases={"default"})
        assert connection.settings_dict["NAME"].startswith("test_")
        call_command("setup_platform", verbosity=0)
        ensure_platform()
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    yield
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture(autouse=True)
def _back_to_public():
    yield
    # Only resets the search path the next query will use; touches no database.
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _forget_cached_settings():
    """A test's rolled-back settings rows and campaigns must not live on in the cache
    (OneRowModel.cached(), CampaignMiddleware); only those keys go, the broker's share
    the database."""
    yield
    forget_local_rows()
    r = redis.Redis.from_url(settings.REDIS_URL)
    keys = [k for pattern in ("*onerow:*", "*campaign-of-host:*") for k in r.scan_iter(match=pattern, count=10_000)]
    if keys:
        r.delete(*keys)


@pytest.fixture
def campaign_factory(db):
    def make(slug=None, name="Campagne de test", **kwargs):
        result = create_campaign(slug=slug or unique_slug(), name=name, **kwargs)
        connection.set_schema_to_public()
        return result

    return make


@pytest.fixture(scope="session")
def _campaigns_a_and_b(django_db_setup, django_db_blocker):
    """Two committed campaigns for the whole session: a campaign's schema takes seconds
    to create, and what each test writes in them is rolled back with its `db`."""
    with django_db_blocker.unblock():
        data = Committed()
        pair = tuple(data.campaign(unique_slug(x), name=f"Campagne {x.upper()}").campaign.pk for x in "ab")
    yield pair
    with django_db_blocker.unblock():
        data.cleanup()


@pytest.fixture
def campaign_a(_campaigns_a_and_b, db):
    # A fresh instance each time: a test may change its own copy's attributes.
    return Campaign.objects.get(pk=_campaigns_a_and_b[0])


@pytest.fixture
def campaign_b(_campaigns_a_and_b, db):
    return Campaign.objects.get(pk=_campaigns_a_and_b[1])


def make_user(campaign, role, email=None, password="motdepasse-solide-42"):
    from campaigns.accounts.models import User
    from campaigns.accounts.roles import assign_role

    with tenant_context(campaign):
        user = User.objects.create_user(email or f"{role}-{next(_counter)}@example.org", password)
        assign_role(user, role)
    return user


class Committed:
    """Committed data that other processes can see, cleaned up at the end."""

    def __init__(self):
        self.campaigns = []

    def campaign(self, slug=None, name="Campagne de test", **kwargs):
        result = create_campaign(slug=slug or unique_slug(), name=name, **kwargs)
        self.campaigns.append(result.campaign)
        connection.set_schema_to_public()
        return result

    def cleanup(self):
        connection.set_schema_to_public()
        for campaign in self.campaigns:
            if Campaign.objects.filter(pk=campaign.pk).exists():
                delete_campaign(campaign, actor="tests")


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_platform()
        data = Committed()
        try:
            yield data
        finally:
            data.cleanup()
            connection.close()


@pytest.fixture(scope="session")
def shared_campaign(django_db_setup, django_db_blocker):
    """One committed campaign for the whole session, for tests that only need *a*
    campaign: what they write inside it is rolled back with their `db` transaction."""
    with django_db_blocker.unblock():
        data = Committed()
        campaign = data.campaign(unique_slug("shared"), name="Campagne partagée").campaign
    yield campaign
    with django_db_blocker.unblock():
        data.cleanup()


def database_url_for_tests():
    """DATABASE_URL of the test database, for processes the tests start."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


def subprocess_env(**extra):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url_for_tests(),
        TEST_REDIS_URL=settings.REDIS_URL,
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def wait_for(predicate, timeout=30, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}")


def start_celery_worker(name="test-celery-worker", queue=None, pool="solo", **env):
    """A real Celery worker process on the real Redis broker, using the test database;
    `queue` gives it a queue of its own (tests that kill their worker). `pool="prefork"`
    runs tasks as the Procfile does, in a child process of the worker (a daemon)."""
    log = open(ROOT / ".make" / f"{name}.log", "w")  # noqa: SIM115
    node = f"{name}@{socket.gethostname()}"
    extra = ["-Q", queue] if queue else []
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            f"--pool={pool}",
            *(["--concurrency=1"] if pool == "prefork" else []),
            "--loglevel=INFO",
            "-n",
            node,
            *extra,
        ],
        cwd=ROOT,
        env=subprocess_env(**env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    from config.celery import app

    def ready():
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited with {proc.returncode}; see {log.name}")
        try:
            if "TEST_REDIS_URL" in env:  # a worker on a broker of its own: our app cannot ping it
                return f"{node} ready." in Path(log.name).read_text()
            return bool(app.control.ping(destination=[node], timeout=0.5))
        except Exception:
            return False

    try:
        wait_for(ready, timeout=60, what="celery worker")
    except Exception:
        proc.kill()  # never leave a worker behind that nobody will stop
        raise
    proc.log = log
    return proc


@pytest.fixture(scope="session")
def fake_providers():
    """Fake SendGrid and Twilio for the whole session (the shared Celery worker uses them)."""
    from tests.fakes import FakeProviders

    fake = FakeProviders()
    yield fake
    fake.close()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, fake_providers):
    proc = start_celery_worker(
        pool="prefork",
        SENDGRID_API_URL=fake_providers.url,
        TWILIO_API_URL=fake_providers.url,
        SENDGRID_REQUESTS_PER_SECOND="0",
    )
    yield proc
    proc.terminate()
    proc.wait(timeout=20)
    proc.log.close()


def start_uvicorn(env, *, port=None, log_name, workers=1):
    """The web server (config/serve.py: uvicorn processes serving config.asgi) on
    127.0.0.1:`port` (a free one by default) with the given environment; returns the
    process once each of its server processes listens (`proc.port`, `proc.log`). Stop
    it with stop_process()."""
    from bench.common import free_port, start_web

    return start_web(env, port=port or free_port(), log_path=ROOT / ".make" / log_name, workers=workers)


def stop_process(proc):
    proc.terminate()
    proc.wait(timeout=20)
    proc.log.close()


@pytest.fixture(scope="session")
def asgi_server(django_db_setup):
    """uvicorn serving config.asgi (HTTP and WebSocket) on 127.0.0.1 against the test database."""
    from bench.common import free_port

    port = free_port()
    proc = start_uvicorn(subprocess_env(PLATFORM_PORT=str(port)), port=port, log_name="test-asgi-server.log")
    yield port
    stop_process(proc)


def pytest_addoption(parser):
    parser.addoption(
        "--verify", action="store_true", help="also run the slow hardening checks of tests/verify (make verify)"
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--verify"):
        return
    skip = pytest.mark.skip(reason="slow hardening check: run by `make verify`")
    for item in items:
        if "slow_verify" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    from tests.verify.recorder import CHECKS

    for name in sorted(CHECKS):
        terminalreporter.write_line(CHECKS[name].line())
