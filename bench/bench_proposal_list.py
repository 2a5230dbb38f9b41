"""The idea box's list page with 10,000 proposals and 200,000 votes.

    python bench/bench_proposal_list.py [--proposals 10000] [--votes 200000] [--requests 300]

Prints:
  BENCH proposal_list <ms> ms baseline=<ms> ratio=<x>
        median server time of the step's page (most supported first, 20 per page) for a
        signed-in citizen, through Django's test client, the pages and sorts a visitor
        uses in turn (votes, newest, most commented, random, a theme); baseline: a
        static "hello" view on the same host, same run
  BENCH proposal_list_queries <n> queries baseline=<n> ratio=<x>
        SQL queries of one such page (target <= 10) against the hello view's
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from bench.common import bench_campaign, drop_campaign, report  # noqa: E402
from campaigns.accounts.models import Role, User  # noqa: E402
from participation import services  # noqa: E402
from participation.models import CitizenProfile  # noqa: E402


def fill(proposals, votes):
    project = services.create_project("programme", starts_at=timezone.now() - dt.timedelta(days=2))
    step = project.steps.get(kind="collect")
    step.starts_at = timezone.now() - dt.timedelta(days=1)
    step.save()
    themes = step.config["themes"]
    voters = max(1, votes // 100)
    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"citoyen{i}@bench.example", password=unusable, role=Role.CITIZEN) for i in range(voters)
    )
    CitizenProfile.objects.bulk_create(CitizenProfile(user=u, email_confirmed_at=timezone.now()) for u in users)
    first_user = users[0].pk
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO ideas_proposal (step_id, title, body, theme, address, image, author_id, status, answer,
                                        votes_count, comments_count, created, visibility, hidden_reason)
            SELECT %s, 'Proposition ' || n, repeat('Une idée pour la ville. ', 20), (%s::text[])[1 + n %% %s],
                   '', '', %s + n %% %s, 'submitted', '', 0, n %% 7, now() - n * interval '1 minute',
                   CASE WHEN n %% 50 = 0 THEN 'hidden' ELSE 'visible' END, ''
            FROM generate_series(1, %s) n
            """,
            [step.pk, themes, len(themes), first_user, voters, proposals],
        )
        # Each voter supports 100 proposals, skewed towards the first ones.
        cur.execute(
            """
            INSERT INTO ideas_vote (proposal_id, step_id, user_id, created)
            SELECT p.id, %s, u.id, now()
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS r FROM accounts_user WHERE id >= %s) u
            CROSS JOIN LATERAL (
                SELECT id FROM ideas_proposal WHERE step_id = %s
                ORDER BY (id * 7919 + u.r * 104729) %% %s LIMIT 100) p
            """,
            [step.pk, first_user, step.pk, proposals],
        )
        cur.execute(
            """
            UPDATE ideas_proposal p SET votes_count = v.n
            FROM (SELECT proposal_id, count(*) AS n FROM ideas_vote GROUP BY proposal_id) v
            WHERE v.proposal_id = p.id
            """
        )
        cur.execute("ANALYZE ideas_proposal; ANALYZE ideas_vote")
        cur.execute("SELECT count(*) FROM ideas_vote")
        counted = cur.fetchone()[0]
    return project, step, users[1], counted


def timed(client, paths, n):
    times = []
    for i in range(n):
        path = paths[i % len(paths)]
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--proposals", type=int, default=10_000)
    parser.add_argument("--votes", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    slug, campaign = bench_campaign("ideas", "Bench idées")
    try:
        with tenant_context(campaign):
            project, step, citizen, counted = fill(args.proposals, args.votes)
        print(f"{args.proposals} proposals, {counted} votes")
        host = campaign.domains.get(is_primary=True).domain
        base = f"/projets/{project.slug}/etapes/{step.position}/"
        paths = [base, base + "?sort=new", base + "?sort=comments", base + "?sort=random", base + "?theme=Transports",
                 base + "?page=3"]  # fmt: skip
        with override_settings(ROOT_URLCONF="bench.hello_urls", ALLOWED_HOSTS=["*"]):
            client = Client(HTTP_HOST=host)
            with tenant_context(campaign):
                client.force_login(citizen)
            timed(client, paths + ["/bench-hello/"], 30)  # warm caches, connections, templates
            with CaptureQueriesContext(connection) as queries:
                page = client.get(base).content.decode()
            page_queries = len(queries)  # read now: later requests reset the query log
            if os.environ.get("SHOW_QUERIES"):
                print("\n".join(q["sql"][:160] for q in queries.captured_queries))
            with CaptureQueriesContext(connection) as queries:
                client.get("/bench-hello/")
            hello_queries = len(queries)
            assert "Proposition" in page and "soutiens" in page, "the page does not show the proposals"
            pages, hello = [], []
            for _ in range(5):  # interleaved rounds: both suffer the same noise
                pages.append(timed(client, paths, args.requests // 5))
                hello.append(timed(client, ["/bench-hello/"], args.requests // 5))
        report("proposal_list", statistics.median(pages), "ms", statistics.median(hello))
        report("proposal_list_queries", page_queries, "queries", max(hello_queries, 1))
    finally:
        drop_campaign(slug)


if __name__ == "__main__":
    main()
