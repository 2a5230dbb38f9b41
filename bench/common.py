"""What every benchmark script shares: the BENCH line, a free local port, a campaign
made and dropped for the run, a production-style server."""

import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def report(name, value, unit, baseline):
    print(f"BENCH {name} {value:.3f} {unit} baseline={baseline:.3f} ratio={value / baseline:.3f}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_campaign(prefix, name):
    """A fresh campaign for one benchmark run: (slug, campaign)."""
    from campaigns.models import Campaign
    from campaigns.provisioning import create_campaign

    slug = f"bench-{prefix}-{uuid.uuid4().hex[:6]}"
    create_campaign(slug=slug, name=name, actor="bench")
    return slug, Campaign.objects.get(schema_name=slug)


def drop_campaign(slug):
    """Delete the benchmark's campaign, whatever schema the connection was left in."""
    from django.db import connection

    from campaigns.models import Campaign
    from campaigns.provisioning import delete_campaign

    connection.set_schema_to_public()
    delete_campaign(Campaign.objects.get(schema_name=slug), actor="bench")


def start_server(port, secret_key=None):
    """uvicorn with 2 worker processes and production settings on 127.0.0.1:`port`."""
    from django.conf import settings

    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secret_key or secrets.token_urlsafe(64),
        ALLOWED_HOSTS=f"{settings.PLATFORM_DOMAIN},.{settings.PLATFORM_DOMAIN}",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        SECURE_HSTS_SECONDS="0",
        DATABASE_URL=env.get("DATABASE_URL", "postgres://terrain:terrain@localhost:5432/terrain"),
    )
    log = open(ROOT / ".make" / "bench-uvicorn.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "2", "--lifespan", "off", "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                sys.exit(f"uvicorn exited; see {log.name}")
            time.sleep(0.2)
    proc.kill()
    sys.exit("uvicorn did not start")
