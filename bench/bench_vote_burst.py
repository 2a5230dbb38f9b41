"""500 citizens vote for the same proposal at the same moment, each twice.

    python bench/bench_vote_burst.py [--citizens 500]

1,000 requests (POST /api/proposals/<id>/vote/, each citizen with their own API token)
leave at once against uvicorn with 2 worker processes and production settings.

Prints:
  BENCH vote_burst <s> s baseline=<s> ratio=<x>
        time for all 1,000 answers; baseline: the same burst of authenticated GETs on
        /api/me/ (what the stack costs before any vote logic)
and checks that the proposal counts exactly one vote per citizen (the vote rows and the
counter), and that every other answer is 409 "already voted".
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench.common import bench_campaign, drop_campaign, free_port, report, start_server  # noqa: E402
from bench.loadgen import Connection  # noqa: E402
from campaigns.accounts.models import Role, User  # noqa: E402
from participation import services  # noqa: E402
from participation.ideas import services as ideas  # noqa: E402
from participation.ideas.models import Vote  # noqa: E402
from participation.models import CitizenProfile  # noqa: E402


def set_up(citizens):
    project = services.create_project("programme", starts_at=timezone.now() - dt.timedelta(days=2))
    step = project.steps.get(kind="collect")
    step.starts_at = timezone.now() - dt.timedelta(days=1)
    step.save()
    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"citoyen{i}@bench.example", password=unusable, role=Role.CITIZEN) for i in range(citizens)
    )
    now = timezone.now()
    CitizenProfile.objects.bulk_create(CitizenProfile(user=u, email_confirmed_at=now) for u in users)
    tokens = Token.objects.bulk_create(Token(user=u, key=secrets.token_hex(20)) for u in users)
    proposal = ideas.submit_proposal(step, author=users[0], title="Un marché bio le samedi", body="…")
    return proposal, [t.key for t in tokens]


def burst(port, host, requests):
    """Send every (method, path, token) at once, one connection each; answers and time."""

    async def one(method, path, token):
        conn = Connection("127.0.0.1", port, host)
        await conn.open()
        try:
            return await conn.request(method, path, {"Authorization": f"Token {token}", "Accept": "application/json"})
        finally:
            conn.close()

    async def main():
        start = time.perf_counter()
        answers = await asyncio.gather(*(one(*r) for r in requests))
        return answers, time.perf_counter() - start

    return asyncio.run(main())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--citizens", type=int, default=500)
    args = parser.parse_args()
    slug, campaign = bench_campaign("votes", "Bench votes")
    port = free_port()
    server = None
    try:
        with tenant_context(campaign):
            proposal, tokens = set_up(args.citizens)
        host = campaign.domains.get(is_primary=True).domain
        server = start_server(port)
        burst(port, host, [("GET", "/api/me/", t) for t in tokens[:20]])  # warm both workers
        _answers, baseline = burst(port, host, [("GET", "/api/me/", t) for t in tokens + tokens])
        path = f"/api/proposals/{proposal.pk}/vote/"
        answers, seconds = burst(port, host, [("POST", path, t) for t in tokens + tokens])
        statuses = {}
        for status, body in answers:
            statuses[status] = statuses.get(status, 0) + 1
            if status == 409:
                assert json.loads(body)["detail"] == "Vous avez déjà voté pour cette proposition.", body
        with tenant_context(campaign):
            proposal.refresh_from_db()
            rows = Vote.objects.filter(proposal=proposal).count()
            distinct = Vote.objects.filter(proposal=proposal).values("user").distinct().count()
        print(f"answers {statuses}; votes counted {proposal.votes_count}, rows {rows}, distinct voters {distinct}")
        assert statuses == {200: args.citizens, 409: args.citizens}, statuses
        assert proposal.votes_count == rows == distinct == args.citizens
        report("vote_burst", seconds, "s", baseline)
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        drop_campaign(slug)


if __name__ == "__main__":
    main()
