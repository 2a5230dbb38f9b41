"""Opinion groups for 5,000 participants voting on 200 statements.

    python bench/bench_opinion_groups.py [--people 5000] [--statements 200]

Each participant votes on about 70 % of the statements, following one of four planted
opinion profiles with 10 % noise.

Prints:
  BENCH opinion_groups <s> s baseline=<s> ratio=<x>
        what the Celery task does: read the votes from PostgreSQL, cluster, describe,
        store (target <= 10 s); baseline: reading the same votes alone
and the share of participants put with their planted group (purity).
"""

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "false")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from bench.common import bench_campaign, drop_campaign, report  # noqa: E402
from campaigns.accounts.models import Role, User  # noqa: E402
from participation import services  # noqa: E402
from participation.debate import opinion  # noqa: E402
from participation.debate.models import Contribution, TextSection, Vote  # noqa: E402
from participation.debate.services import compute_opinion_groups  # noqa: E402


def fill(people, statements, groups=4, seed=11):
    rng = np.random.default_rng(seed)
    project = services.create_project("open-debate", starts_at=timezone.now() - dt.timedelta(days=3))
    step = project.steps.get(kind="consultation")
    section = TextSection.objects.create(step=step, position=1, title="Bench", body="…")
    author = User.objects.create_user("auteur@bench.example", None)
    contributions = Contribution.objects.bulk_create(
        Contribution(section=section, body=f"Affirmation {n}", author=author) for n in range(statements)
    )
    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"p{i}@bench.example", password=unusable, role=Role.CITIZEN) for i in range(people)
    )
    profiles = rng.choice([-1, 1], size=(groups, statements))
    truth = rng.integers(groups, size=people)
    voted = rng.random((people, statements)) < 0.7
    noise = rng.random((people, statements)) < 0.1
    values = np.where(noise, rng.choice([-1, 0, 1], size=(people, statements)), profiles[truth])
    with connection.cursor() as cur:
        rows = [(contributions[s].pk, users[p].pk, int(values[p, s])) for p in range(people)
                for s in range(statements) if voted[p, s]]  # fmt: skip
        with cur.copy(f"COPY {Vote._meta.db_table} (contribution_id, user_id, value, at) FROM STDIN") as copy:
            now = timezone.now()
            for row in rows:
                copy.write_row((*row, now))
        cur.execute(f"ANALYZE {Vote._meta.db_table}")
    return step, {u.pk: int(truth[i]) for i, u in enumerate(users)}, len(rows)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--statements", type=int, default=200)
    args = parser.parse_args()
    slug, campaign = bench_campaign("opinion", "Bench opinion")
    try:
        with tenant_context(campaign):
            step, truth, count = fill(args.people, args.statements)
            print(f"{args.people} participants, {args.statements} statements, {count} votes")
            start = time.perf_counter()
            votes = list(Vote.objects.filter(contribution__section__step=step).values_list("user_id", "contribution_id",
                                                                                             "value"))  # fmt: skip
            baseline = time.perf_counter() - start
            start = time.perf_counter()
            stored = compute_opinion_groups(step)
            seconds = time.perf_counter() - start
            labels = opinion.opinion_groups(votes)["labels"]
        found = {}
        for user_id, label in labels.items():
            found.setdefault(label, []).append(truth[int(user_id)])
        purity = sum(max(np.bincount(members)) for members in found.values()) / len(labels)
        print(f"groups {[g['size'] for g in stored.data['groups']]}, purity {purity:.3f}")
        report("opinion_groups", seconds, "s", baseline)
    finally:
        drop_campaign(slug)


if __name__ == "__main__":
    main()
