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


def tcp_sockets(port):
    """(state, inode) of every IPv4 TCP socket on this machine whose local port is
    `port`, from /proc/net/tcp (state "0A" listens, "01" is an established connection)."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port:
            found.append((fields[3], fields[9]))
    return found


def listening_sockets(port):
    """How many sockets listen on `port`: with SO_REUSEPORT, one per server process
    once it is ready."""
    return sum(1 for state, _inode in tcp_sockets(port) if state == "0A")


def start_web(env, *, port, log_path, workers=1, timeout=60):
    """`python -m config.serve` (uvicorn processes, config/serve.py) on 127.0.0.1:`port`
    with the given environment; returns the process once every server process listens,
    with `proc.port` and `proc.log`. Raises RuntimeError if it exits or never listens."""
    log = open(log_path, "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "config.serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    proc.port, proc.log = port, log
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.close()
            raise RuntimeError(f"the web server exited with {proc.returncode}; see {log_path}")
        if listening_sockets(port) >= workers:
            return proc
        time.sleep(0.1)
    proc.kill()
    log.close()
    raise RuntimeError(f"the web server did not listen within {timeout} s; see {log_path}")


def start_server(port, secret_key=None):
    """The web server with 2 processes and production settings on 127.0.0.1:`port`."""
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
    try:
        return start_web(env, port=port, log_path=ROOT / ".make" / "bench-web.log", workers=2)
    except RuntimeError as exc:
        sys.exit(str(exc))
