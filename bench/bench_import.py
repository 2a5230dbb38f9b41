"""Importing a voter file, against a raw COPY of the same file measured in the same run.

    python bench/bench_import.py [--rows 1000000]

Prints:
  BENCH import_1m <s> s baseline=<raw COPY s, median of 3> ratio=<x>   first import into an empty campaign
  BENCH reimport_1m <s> s baseline=<raw COPY s> ratio=<x>     the same file again (must create nothing)
  BENCH import_1m_peak_rss <MB> MB baseline=1024 ratio=<x>    peak memory of the importing process
  BENCH import_1m_store_floor <s> s baseline=<raw COPY s> ratio=<x>
                                                              a lower bound of any import: copying the
                                                              imported contacts, already clean, into a
                                                              new table and building the indexes the
                                                              contact base has (no reading, cleaning,
                                                              matching, addresses or households)
  BENCH import_1m_store_floor_btree <s> s baseline=<raw COPY s> ratio=<x>
                                                              the same with only the b-tree indexes
                                                              (no trigram name search, no GIN)
  BENCH segment_count <ms> ms baseline=<ms> ratio=<x>          "inside Orléans (45234), SMS consent, tag T"
                                                              on the imported base (median of 21); baseline:
                                                              count(*) of the whole base, same run
The file (phones in mixed formats, 60 % with e-mail, points inside the communes of
Loiret) is generated once into bench/data/ by bench/synthetic.py.
"""

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from bench.common import bench_campaign, drop_campaign, report  # noqa: E402
from bench.synthetic import write_voter_file  # noqa: E402
from campaigns.models import Campaign  # noqa: E402

COMMUNES = ROOT.parent / "shared" / "data" / "geo" / "communes-45-loiret.geojson"


def label(rows):
    return f"{rows // 1_000_000}m" if rows % 1_000_000 == 0 else f"{rows // 1000}k"


def raw_copy_seconds(path, runs=3):
    """COPY of the file, parsed by PostgreSQL, into an unindexed table of text columns:
    the median of `runs` (one COPY varies by a third from run to run on a shared machine)."""
    return statistics.median(_raw_copy_once(path) for _ in range(runs))


def _raw_copy_once(path):
    with open(path, encoding="cp1252") as fh:
        width = len(fh.readline().split(";"))
    columns = ", ".join(f"c{i} text" for i in range(width))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS public.bench_raw_copy")
        cursor.execute(f"CREATE TABLE public.bench_raw_copy ({columns})")
        started = time.perf_counter()
        with (
            open(path, "rb") as fh,
            cursor.copy(
                "COPY public.bench_raw_copy FROM STDIN "
                "WITH (FORMAT csv, DELIMITER ';', HEADER true, ENCODING 'WIN1252')"
            ) as copy,
        ):
            while data := fh.read(1 << 20):
                copy.write(data)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE public.bench_raw_copy")
    return elapsed


def timed_import(slug, path):
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", "import_contacts", "--campaign", slug, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"import failed: {result.stderr[-2000:]}")
    counts = dict(re.findall(r"(created|merged|rejected)=(\d+)", result.stdout))
    return elapsed, {k: int(v) for k, v in counts.items()}


def store_floor_seconds(slug, *, btree_only=False):
    """Time to write the campaign's contacts, as they are after the import, into a new
    table and build the contact table's indexes on it: what storing the result costs
    before anything is read or cleaned."""
    from django_tenants.utils import tenant_context

    campaign = Campaign.objects.get(schema_name=slug)
    with tenant_context(campaign), connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema() AND tablename = 'crm_contact'"
        )
        indexes = [
            (name, definition)
            for name, definition in cursor.fetchall()
            if not (btree_only and " USING btree " not in definition)
        ]
        cursor.execute("DROP TABLE IF EXISTS bench_store_floor")
        cursor.execute("CREATE TABLE bench_store_floor (LIKE crm_contact INCLUDING DEFAULTS)")
        started = time.perf_counter()
        cursor.execute("INSERT INTO bench_store_floor SELECT * FROM crm_contact")
        steps = [("rows", time.perf_counter() - started)]
        for name, definition in indexes:
            index_started = time.perf_counter()
            cursor.execute(
                definition.replace(f"INDEX {name} ON", f"INDEX floor_{name} ON", 1).replace(
                    ".crm_contact ", ".bench_store_floor ", 1
                )
            )
            steps.append((name, time.perf_counter() - index_started))
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_store_floor")
    print("# store floor: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in steps), flush=True)
    return elapsed


def segment_count(slug):
    import json

    from django_tenants.utils import tenant_context

    from crm.models import Contact
    from crm.segments import contacts_matching

    campaign = Campaign.objects.get(schema_name=slug)
    orleans = next(
        f["geometry"]
        for f in json.loads(COMMUNES.read_text(encoding="utf-8"))["features"]
        if f["properties"]["code"] == "45234"
    )
    with tenant_context(campaign), connection.cursor() as cursor:
        # A third consented to SMS, a tenth carry tag T.
        cursor.execute("UPDATE crm_contact SET consent_sms = (id % 3 = 0)")
        cursor.execute("INSERT INTO crm_tag (name) VALUES ('T') ON CONFLICT DO NOTHING")
        cursor.execute(
            """INSERT INTO crm_contact_tags (contact_id, tag_id)
               SELECT c.id, t.id FROM crm_contact c, crm_tag t WHERE t.name = 'T' AND c.id % 10 = 0
               ON CONFLICT DO NOTHING"""
        )
        cursor.execute("ANALYZE")
        filters = {"polygon": orleans, "consent": {"sms": True}, "tags": ["T"]}

        def median_ms(fn, runs=21):
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                fn()
                times.append((time.perf_counter() - started) * 1000)
            return statistics.median(times)

        found = contacts_matching(filters).count()
        value = median_ms(lambda: contacts_matching(filters).count())
        baseline = median_ms(lambda: Contact.objects.count())
    report("segment_count", value, "ms", baseline)
    print(f"# {found} contacts in the segment", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    name = label(args.rows)
    path = ROOT / "bench" / "data" / f"voters-{name}.csv"
    if not path.exists():
        print(f"generating {path} ...", file=sys.stderr)
        write_voter_file(path, rows=args.rows, communes_path=COMMUNES)
    baseline = raw_copy_seconds(path)
    slug, campaign = bench_campaign("import", "Bench import")
    try:
        first, counts = timed_import(slug, path)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        report(f"import_{name}", first, "s", baseline)
        print(f"# created={counts['created']} merged={counts['merged']} rejected={counts['rejected']}", flush=True)
        again, counts = timed_import(slug, path)
        report(f"reimport_{name}", again, "s", baseline)
        print(f"# created={counts['created']} (must be 0)", flush=True)
        report(f"import_{name}_peak_rss", peak_mb, "MB", 1024)
        if counts["created"]:
            sys.exit("re-import created contacts")
        report(f"import_{name}_store_floor", store_floor_seconds(slug), "s", baseline)
        report(f"import_{name}_store_floor_btree", store_floor_seconds(slug, btree_only=True), "s", baseline)
        segment_count(slug)
    finally:
        drop_campaign(slug)


if __name__ == "__main__":
    main()
