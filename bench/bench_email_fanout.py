"""A 100,000-recipient e-mail handed to a local fake SendGrid by 2 Celery worker processes.

    python bench/bench_email_fanout.py [--recipients 100000]

Prints:
  BENCH email_fanout <s> s baseline=<s> ratio=<x>
        from "send now" (recipients selected and recorded) to the message marked sent,
        with two worker processes; baseline: the same requests (same bodies, 1,000
        recipients each) posted straight to the fake server by one client, same run
The fake server (tests/fakes.py) listens on 127.0.0.1 and accepts everything.
"""

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
QUEUE = f"bench-fanout-{uuid.uuid4().hex[:6]}"
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.db import connection  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from bench.common import bench_campaign, drop_campaign, report  # noqa: E402
from crm.messaging.email import mail_body  # noqa: E402
from crm.messaging.models import Message, Send  # noqa: E402
from crm.messaging.services import send_now  # noqa: E402
from crm.models import Segment  # noqa: E402
from tests.fakes import FakeProviders  # noqa: E402


def people(n):
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO crm_contact (birth_name, usage_name, first_names, sex, email, phone, other_emails,
                other_phones, custom_fields, source, opinion_notes, name_key, search_text, consent_email,
                created, updated)
            SELECT 'Martin', '', 'Camille', '', 'camille' || g || '@bench.example', '', '{}', '{}', '{}',
                   'bench', '', 'martin|camille', 'camille martin', true, now(), now()
            FROM generate_series(1, %s) g
            """,
            [n],
        )


def baseline_seconds(fake, message):
    """The same bodies, posted straight to the fake by one client."""
    sends = list(Send.objects.filter(message=message).select_related("contact").order_by("pk"))
    bodies = [mail_body(message, sends[i : i + 1000]) for i in range(0, len(sends), 1000)]
    session = requests.Session()
    start = time.perf_counter()
    for body in bodies:
        session.post(fake.url + "/v3/mail/send", json=body, timeout=60).raise_for_status()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    args = parser.parse_args()
    slug, campaign = bench_campaign("fanout", "Bench fan-out")
    fake = FakeProviders()
    env = dict(os.environ, SENDGRID_API_URL=fake.url, SENDGRID_REQUESTS_PER_SECOND="0", CELERY_TASK_DEFAULT_QUEUE=QUEUE)
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "-Q",
                QUEUE,
                "-n",
                f"fanout{i}-{QUEUE}@%h",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        for i in range(2)
    ]
    try:
        with tenant_context(campaign):
            people(args.recipients)
            segment = Segment.objects.create(name="Tout le monde", filters={})
            message = Message.objects.create(channel="email", name="Bench", subject="Bonjour {{ first_name }}",
                                             body="Rendez-vous **samedi** à {{ city }}.", segment=segment)  # fmt: skip
            time.sleep(5)  # workers up
            start = time.perf_counter()
            count = send_now(message, actor=None)
            while Message.objects.get(pk=message.pk).status != Message.Status.SENT:
                if time.perf_counter() - start > 600:
                    sys.exit("the message did not finish in 10 minutes")
                time.sleep(0.2)
            seconds = time.perf_counter() - start
            received, batches = len(fake.recipients()), len(fake.mail_requests())
            baseline = baseline_seconds(fake, message)
        report("email_fanout", seconds, "s", baseline)
        print(f"# {count} recipients, {received} received by the fake, {batches} requests "
              f"({args.recipients / seconds:.0f} recipients/s)", flush=True)  # fmt: skip
        if received != count:
            sys.exit("the fake did not receive every recipient exactly once")
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=30)
        fake.close()
        drop_campaign(slug)


if __name__ == "__main__":
    main()
