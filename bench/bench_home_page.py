"""The campaign home page with 1,000 news posts, 200 events and 50 projects.

    python bench/bench_home_page.py [--requests 300]

Prints:
  BENCH home_page <ms> ms baseline=<ms> ratio=<x>
        median server time of GET / for an anonymous visitor (the whole Django stack:
        tenant lookup, middleware, queries, templates), through Django's test client;
        baseline: median of a static "hello" view on the same campaign host, same run
  BENCH home_page_queries <n> queries baseline=<n> ratio=<x>
        SQL queries of one home page (target <= 10) against the hello view's
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
# Timed as in production: no query log, no debug pages.
os.environ.setdefault("DJANGO_DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from bench.common import bench_campaign, drop_campaign, report  # noqa: E402
from participation import services  # noqa: E402
from participation.models import Event, NewsPost  # noqa: E402
from participation.presets import PROJECT_PRESETS  # noqa: E402


def fill():
    now = timezone.now()
    NewsPost.objects.bulk_create(
        NewsPost(
            title=f"Actualité {n}",
            slug=f"actualite-{n}",
            summary="Résumé " * 10,
            body="Texte " * 200,
            published_at=now - dt.timedelta(hours=n),
        )  # fmt: skip
        for n in range(1000)
    )
    Event.objects.bulk_create(
        Event(
            title=f"Événement {n}",
            slug=f"evenement-{n}",
            place="Salle des fêtes",
            starts_at=now + dt.timedelta(hours=n * 7 - 300),
            capacity=50,
        )  # fmt: skip
        for n in range(200)
    )
    presets = sorted(PROJECT_PRESETS)
    for n in range(50):
        services.create_project(presets[n % len(presets)], title=f"Projet {n}",
                                starts_at=now - dt.timedelta(days=n), days=21)  # fmt: skip


def timed(client, path, n):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    slug, campaign = bench_campaign("home", "Bench accueil")
    try:
        with tenant_context(campaign):
            fill()
        host = campaign.domains.get(is_primary=True).domain
        with override_settings(ROOT_URLCONF="bench.hello_urls", ALLOWED_HOSTS=["*"]):
            client = Client(HTTP_HOST=host)
            for path in ("/", "/bench-hello/"):  # warm caches, connections, templates
                timed(client, path, 20)
            with CaptureQueriesContext(connection) as home_queries:
                page = client.get("/").content.decode()
            home_queries = len(home_queries)  # read now: later requests reset the query log
            with CaptureQueriesContext(connection) as hello_queries:
                client.get("/bench-hello/")
            hello_queries = len(hello_queries)
            assert "Actualité 0" in page and "Projet 2" in page and "Événement" in page, (
                "home page does not show the content"
            )
            home, hello = [], []
            for _ in range(5):  # interleaved rounds: both suffer the same noise
                home.append(timed(client, "/", args.requests // 5))
                hello.append(timed(client, "/bench-hello/", args.requests // 5))
        report("home_page", statistics.median(home), "ms", statistics.median(hello))
        report("home_page_queries", home_queries, "queries", max(hello_queries, 1))
    finally:
        drop_campaign(slug)


if __name__ == "__main__":
    main()
