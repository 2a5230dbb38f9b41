"""How long until a new campaign is live, against migrating one schema from scratch.

    python bench/bench_provisioning.py [--runs 5]

Prints, per figure: BENCH <name> <value> <unit> baseline=<value> ratio=<value>
- provisioning: create_campaign() (template clone, domain, admin account, preset),
  median of the runs; baseline = `migrate_schemas` of one empty schema, same run.
- provisioning_command: the whole `manage.py create_campaign` process, as an operator
  sees it (includes Python and Django start-up); same baseline.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.common import report  # noqa: E402
from campaigns.models import Campaign  # noqa: E402
from campaigns.provisioning import create_campaign, delete_campaign, sync_template_schema  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def migrate_one_schema():
    name = f"bench-fresh-{uuid.uuid4().hex[:6]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{name}"')
    try:
        return timed(
            lambda: call_command("migrate_schemas", tenant=True, schema_name=name, interactive=False, verbosity=0)
        )
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{name}" CASCADE')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sync_template_schema()
    slugs = []
    try:
        baseline = statistics.median(migrate_one_schema() for _ in range(max(1, args.runs // 2)))

        def provision():
            slug = f"bench-{uuid.uuid4().hex[:8]}"
            slugs.append(slug)
            create_campaign(slug=slug, name="Bench", preset="municipal-list", actor="bench")

        service = statistics.median(timed(provision) for _ in range(args.runs))
        report("provisioning", service, "s", baseline)

        def command():
            slug = f"bench-{uuid.uuid4().hex[:8]}"
            slugs.append(slug)
            subprocess.run(
                [sys.executable, "manage.py", "create_campaign", slug, "--name", "Bench"],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )

        report("provisioning_command", statistics.median(timed(command) for _ in range(args.runs)), "s", baseline)
    finally:
        connection.set_schema_to_public()
        for campaign in Campaign.objects.filter(schema_name__in=slugs):
            delete_campaign(campaign, actor="bench")


if __name__ == "__main__":
    main()
