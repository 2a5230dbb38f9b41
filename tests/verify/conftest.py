"""Three committed campaigns full of data, shared by the hardening checks."""

import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from tests.conftest import (
    ROOT,
    Committed,
    ensure_platform,
    host_of,
    start_uvicorn,
    stop_process,
    subprocess_env,
    unique_slug,
)  # fmt: skip
from tests.verify.world import build_world


@pytest.fixture(scope="session")
def worlds(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_platform()
        data = Committed()
        try:
            built = []
            for index in range(3):
                campaign = data.campaign(unique_slug(f"v{index}"), name=f"Campagne {index}", preset="municipal-list")
                built.append(build_world(campaign.campaign, host_of(campaign.campaign), index=index))
            yield built
        finally:
            data.cleanup()
            connection.close()


@pytest.fixture
def unblocked(django_db_blocker):
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


def client_as(world, role=None, **extra):
    """A test client on the world's host, signed in as `role` (None: anonymous)."""
    client = Client(HTTP_HOST=world.host, raise_request_exception=False, **extra)
    if role is not None:
        with tenant_context(world.campaign):
            client.force_login(world.users[role])
    return client


SECRET = secrets.token_urlsafe(64)


def production_env():
    env = subprocess_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS=f"{settings.PLATFORM_DOMAIN},.{settings.PLATFORM_DOMAIN}",
        REDIS_URL=settings.REDIS_URL,
        STATIC_ROOT=str(ROOT / ".make" / "deploy-static"),
        DB_POOL_SIZE="8",
        AXES_FAILURE_LIMIT="5",
    )
    # The browser tests allow async-unsafe calls for themselves (tests/e2e/conftest.py);
    # production never does, and check --deploy rightly refuses it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


@pytest.fixture(scope="session")
def production_server(worlds):
    """uvicorn with 2 workers and production settings (HTTPS expected from a proxy:
    send X-Forwarded-Proto: https) against the test database; its base URL."""
    env = production_env()
    # Production serves hashed, compressed static files from a manifest: build them as a
    # deployment does (the Dockerfile runs the same command).
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                   check=True)  # fmt: skip
    proc = start_uvicorn(env, log_name="verify-uvicorn.log", workers=2)
    yield f"http://127.0.0.1:{proc.port}"
    stop_process(proc)
