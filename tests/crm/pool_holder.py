"""Run by tests/crm/test_import.py as a process of its own: an import's stand-in that
holds a lock in its open transaction while its cleaning processes are up, says their
pids, and waits to be killed."""

import os
import sys
import time

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from crm.importing import pipeline, workers  # noqa: E402

with transaction.atomic():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(sys.argv[1])])
    with pipeline._cleaning_pool(2, {"headers": ["Nom"], "mapping": {"Nom": "birth_name"}}) as pool:
        assert pool.submit(workers.clean_in_worker, [(2, ["Dupont"])]).result()[0] == 1
        print("READY", *pool._processes, flush=True)
        time.sleep(600)
os._exit(1)  # not reached: the test kills this process
