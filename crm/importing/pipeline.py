"""Running an import job: sniff, clean rows into COPY, merge, report.

    job = create_job(file_path=..., file_name=..., mapping=None, actor=user)
    run_import(job)            # in a Celery task (crm.tasks.run_import) or a command

The whole job is one transaction: the staging table is temporary and the merge is
set-based, so a crash anywhere leaves the contact base as it was. Progress goes to
the cache (visible to the UI while the transaction is still open).
"""

import csv
import datetime as dt
import hashlib
import logging
import multiprocessing
import os
import shutil
import sys
import time
import uuid
from array import array
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from campaigns.accounts.models import AuditEntry
from crm import dedup
from crm.geocoding import online as online_geocoding
from crm.models import CrmSettings, ImportJob

from . import workers
from .bulk import network_order
from .mapping import guess_mapping, validate_mapping
from .merge import STEPS, WAITING, copy_statement, create_staging, merge
from .rows import RowCleaner, clean_block, clean_chunk
from .sniff import BLOCK_ENCODINGS, NotATable, iter_blocks, iter_rows, sniff, xlsx_row_count
from .sniff import XLSX_HEAD_ROWS as PREVIEW_ROWS  # what sniff keeps of a workbook is what the wizard shows

log = logging.getLogger(__name__)
CHUNK_ROWS = 5000
BLOCK_BYTES = 1 << 20
# Files this big are cleaned by worker processes (one per core) while this one reads.
PARALLEL_ROWS = 50_000
# Whether those processes are forked (see _cleaning_pool) rather than spawned.
FORK = sys.platform == "linux"


class ImportRefused(ValueError):
    """The file or mapping cannot be imported at all; nothing was changed."""


def progress_key(job_id):
    return f"crm:import-progress:{job_id}"


# Reading and cleaning the file against the merge's steps (merge.STEPS): its share of
# the time, in the same unit.
READING_WEIGHT = 8
STEP_KEYS = [key for key, _weight, _label in STEPS]
TOTAL_WEIGHT = READING_WEIGHT + sum(weight for _key, weight, _label in STEPS)


class Progress(NamedTuple):
    done: int  # rows of the file read
    total: int
    percent: int
    step: str  # what the import is doing, for people ("" once it is over)


def read_progress(job):
    """(rows read, total rows, key of the merge step under way or "") of a running job,
    from the cache."""
    value = cache.get(progress_key(job.pk))
    # (A job started by the previous release published two values.)
    return (*value, "")[:3] if value else (job.processed_rows, job.total_rows, "")


def _publish(job, done, step=""):
    cache.set(progress_key(job.pk), (done, job.total_rows, step), 3600)


def job_progress(job):
    """The progress bar's Progress, live while the job runs: reading the file fills its
    first part, each step of the merge the rest in proportion to the time it takes."""
    if job.status != ImportJob.Status.RUNNING:
        return Progress(job.processed_rows, job.total_rows, job.progress, "")
    done, total, step = read_progress(job)
    if step in STEP_KEYS:
        index = STEP_KEYS.index(step)
        spent = READING_WEIGHT + sum(weight for _key, weight, _label in STEPS[:index])
        what = _("Enregistrement dans la base, étape %(n)d sur %(count)d : %(what)s") % {
            "n": index + 1, "count": len(STEPS), "what": STEPS[index][2]}  # fmt: skip
    elif step == WAITING:
        spent = READING_WEIGHT
        what = _("En attente : un autre import de la campagne s'enregistre dans la base")
    else:
        spent = READING_WEIGHT * done / total if total else 0
        rows = {"done": number_format(done, force_grouping=True), "total": number_format(total, force_grouping=True)}
        what = _("Lecture du fichier : %(done)s lignes sur %(total)s") % rows
    return Progress(done, total, min(99, int(100 * spent / TOTAL_WEIGHT)), what)


def reports_dir():
    path = Path(settings.MEDIA_ROOT) / connection.schema_name / "import-reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


MAX_UPLOAD_BYTES = 500 * 1024 * 1024


class UploadTooBig(ValueError):
    pass


def uploads_dir():
    return Path(settings.MEDIA_ROOT) / connection.schema_name / "imports"


def store_upload(uploaded):
    """Keep an uploaded file in the campaign's media folder until it is imported."""
    if uploaded.size > MAX_UPLOAD_BYTES:
        raise UploadTooBig(_("Fichier trop gros (500 Mo au plus)."))
    folder = uploads_dir() / uuid.uuid4().hex
    folder.mkdir(parents=True)
    path = folder / Path(uploaded.name).name
    with open(path, "wb") as fh:
        for chunk in uploaded.chunks():
            fh.write(chunk)
    return path


def discard_upload(path):
    """Delete an uploaded file (and its folder) once its import is over: the campaign
    keeps the contacts, not a copy of the voter file in which people erased later would
    live on. A file given to the import command lies outside the uploads folder: it is
    the operator's, and stays. Returns whether something was deleted."""
    root = uploads_dir().resolve()
    folder = Path(path).resolve().parent
    if folder.parent != root:
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True


ABANDONED_AFTER = dt.timedelta(days=2)
# The rejected rows' report holds the values of those rows: kept while the team fixes
# the file, then deleted.
REPORTS_KEPT = dt.timedelta(days=30)


def discard_abandoned_uploads(*, now=None):
    """Daily: uploads whose columns nobody confirmed within ABANDONED_AFTER are deleted
    (their job says so), and so is any upload folder no job waits for. Returns how many
    folders went."""
    cutoff = (now or timezone.now()) - ABANDONED_AFTER
    message = _("Colonnes jamais vérifiées : le fichier a été supprimé au bout de 2 jours. Importez-le à nouveau.")
    gone = 0
    for job in ImportJob.objects.filter(status=ImportJob.Status.PENDING, created__lt=cutoff):
        gone += discard_upload(job.file_path)
        job.status, job.error, job.finished = ImportJob.Status.FAILED, message, timezone.now()
        job.save(update_fields=["status", "error", "finished"])
    root = uploads_dir()
    if not root.is_dir():
        return gone
    waiting = ImportJob.objects.filter(
        status__in=[ImportJob.Status.PENDING, ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).values_list("file_path", flat=True)
    kept = {Path(p).resolve().parent for p in waiting}
    for folder in root.iterdir():
        old = dt.datetime.fromtimestamp(folder.stat().st_mtime, tz=dt.UTC) < cutoff
        if folder.is_dir() and old and folder.resolve() not in kept:
            shutil.rmtree(folder, ignore_errors=True)
            gone += 1
    return gone


def discard_old_reports(*, now=None):
    """Daily: rejected-rows reports older than REPORTS_KEPT are deleted (the job's page
    says so). Returns how many went."""
    cutoff = (now or timezone.now()) - REPORTS_KEPT
    old = ImportJob.objects.filter(finished__lt=cutoff).exclude(report_path="")
    for path in old.values_list("report_path", flat=True):
        Path(path).unlink(missing_ok=True)
    return old.update(report_path="")


def create_job(*, file_path, file_name=None, mapping=None, source="", actor=None, electoral_list=False):
    return ImportJob.objects.create(
        electoral_list=electoral_list,
        file_path=str(file_path),
        file_name=file_name or Path(file_path).name,
        mapping=mapping or {},
        source=source or _("import « %(name)s »") % {"name": file_name or Path(file_path).name},
        created_by=actor,
    )


def preview(file_path, *, rows=PREVIEW_ROWS, mapping=None):
    """What the wizard shows before importing: shape, guessed mapping, first rows
    (PREVIEW_ROWS at most). Kept a day per file: the upload, the columns page and its
    submission show the same file, and a big workbook takes seconds to open each time."""
    stat = os.stat(file_path)
    key = f"crm:import-preview:{hashlib.sha256(str(file_path).encode()).hexdigest()}:{stat.st_size}:{stat.st_mtime_ns}"
    shown = cache.get(key)
    if shown is None:
        shape = sniff(file_path)
        sample = shape.head if shape.head is not None else _first_rows(file_path, shape, PREVIEW_ROWS)
        shown = {"kind": shape.kind, "encoding": shape.encoding, "delimiter": shape.delimiter,
                 "headers": shape.headers, "rows": sample[:PREVIEW_ROWS]}  # fmt: skip
        cache.set(key, shown, 24 * 3600)
    return shown | {"rows": shown["rows"][:rows], "mapping": mapping or guess_mapping(shown["headers"])}


def _first_rows(file_path, shape, count):
    sample = []
    for number, values in iter_rows(file_path, shape):
        if number == 1:
            continue
        sample.append(values)
        if len(sample) >= count:
            break
    return sample


def count_rows(path, shape):
    if shape.kind == "xlsx":
        return max(0, xlsx_row_count(path) - 1)
    with open(path, "rb") as fh:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        fh.seek(-1, os.SEEK_END)
        if fh.read(1) != b"\n":
            lines += 1
    return max(0, lines - 1)


def _job_lock(job, take):
    """A PostgreSQL session lock naming (campaign, job): held by whoever runs the import,
    released when it ends or when its process dies (the connection closes)."""
    with connection.cursor() as cursor:
        fn = "pg_try_advisory_lock" if take else "pg_advisory_unlock"
        cursor.execute(f"SELECT {fn}(hashtext(%s), %s)", [connection.schema_name, job.pk])  # noqa: S608
        return cursor.fetchone()[0]


def run_import(job, *, region=None, on_progress=None):
    """Import the job's file into the current campaign. Returns the finished job.
    `on_progress(Progress)` is called about once a second while the file is read, and
    as each step of the merge begins.
    Safe to call again for the same job (a worker killed mid-import, a redelivered
    task): the rows commit in one transaction, and a second run while one is going,
    or after one finished, does nothing."""
    if not _job_lock(job, take=True):
        return job
    try:
        job.refresh_from_db()
        if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
            return job
        return _run_locked(job, region=region, on_progress=on_progress)
    finally:
        _job_lock(job, take=False)


def resume_stalled_imports(*, older_than=dt.timedelta(minutes=2)):
    """Imports marked running whose worker died (nobody holds their lock): queue them
    again. Nothing of them was committed, so they start over. Returns their ids."""
    from crm.tasks import run_import as run_import_task

    resumed = []
    stale = ImportJob.objects.filter(status=ImportJob.Status.RUNNING, started__lt=timezone.now() - older_than)
    for job in stale:
        if _job_lock(job, take=True):
            _job_lock(job, take=False)
            ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
            transaction.on_commit(lambda pk=job.pk: run_import_task.delay(pk))
            resumed.append(job.pk)
    return resumed


def _run_locked(job, *, region=None, on_progress=None):
    campaign = getattr(connection, "tenant", None)
    region = region or getattr(campaign, "phone_region", "FR") or "FR"
    job.status = ImportJob.Status.RUNNING
    job.started = timezone.now()
    job.save(update_fields=["status", "started"])
    try:
        with transaction.atomic():
            counts = _run(job, region, on_progress)
    except (ImportRefused, NotATable) as exc:
        _fail(job, str(exc))
        discard_upload(job.file_path)
        return job
    except Exception as exc:
        log.exception("import %s failed", job.pk)
        _fail(job, _("Erreur inattendue, rien n'a été importé : %(error)s") % {"error": exc})
        # Only once the job is marked failed: a worker that dies before that leaves the
        # job running, and the sweeper starts it again from the file.
        discard_upload(job.file_path)
        raise
    finally:
        cache.delete(progress_key(job.pk))
    discard_upload(job.file_path)
    if online_geocoding.enabled():
        _geocode_online(job)
    job.status = ImportJob.Status.DONE
    job.finished = timezone.now()
    job.save()
    if dedup.base_is_big():  # its duplicates queue is worked out in the background
        from crm.tasks import scan_duplicates

        scan_duplicates.delay()
    AuditEntry.objects.create(
        actor=job.created_by,
        action="contacts.imported",
        target_type="import",
        target_id=str(job.pk),
        data={"file": job.file_name, **counts},
    )
    return job


def _chunks(rows, size):
    chunk = []
    for item in rows:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def cleaned_parts(path, shape, cleaner_kwargs, *, parallel):
    """Yield (rows read, COPY text, rejects) per part of the file, in file order. A CSV
    file is cut into blocks of bytes that the cleaning processes decode and parse
    themselves; other files (XLSX, UTF-16) are read here and sent as rows."""
    if shape.kind == "csv" and shape.encoding in BLOCK_ENCODINGS:
        parts = iter_blocks(path, shape, BLOCK_BYTES)
        inline, in_worker = partial(clean_block, shape=shape), partial(workers.clean_block_in_worker, shape)
    else:
        rows = iter_rows(path, shape)
        next(rows, None)  # header
        parts = ((chunk,) for chunk in _chunks(rows, CHUNK_ROWS))
        inline, in_worker = clean_chunk, workers.clean_in_worker
    processes = max(2, os.cpu_count() or 2)
    with ExitStack() as stack:
        if parallel:
            stack.enter_context(_children_allowed())
            try:
                pool = stack.enter_context(_cleaning_pool(processes, cleaner_kwargs))
                pool.submit(os.getpid).result()  # the processes start now, or fail here
            except (OSError, ValueError, AssertionError, BrokenProcessPool):  # e.g. no child processes allowed
                log.warning("cleaning in this process only: the cleaning processes could not start", exc_info=True)
                parallel = False
        if not parallel:
            cleaner = RowCleaner(**cleaner_kwargs)
            for part in parts:
                yield inline(cleaner, *part)
            return
        pending = deque()
        for part in parts:
            pending.append(pool.submit(in_worker, *part))
            # A few parts in flight keep every core busy and memory bounded.
            while len(pending) > 2 * processes:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


@contextmanager
def _children_allowed():
    """A Celery worker's processes (its prefork pool, as run by the Procfile and
    compose.yaml) are daemons, and multiprocessing refuses to start children from a
    daemon lest they outlive it: a file big enough to be cleaned in parallel failed at
    once there. The cleaning processes die with their parent (workers.let_go_of_parent;
    spawned ones, off Linux, end with the pool), so the flag is lifted while they are
    started and used, then put back."""
    config = multiprocessing.current_process()._config
    daemon = config.pop("daemon", None)
    try:
        yield
    finally:
        if daemon is not None:
            config["daemon"] = daemon


def _cleaning_pool(processes, cleaner_kwargs):
    """Processes that clean parts of the file. On Linux they are forked: copies of this
    process, Django set up and the cleaner built, known rows included (spawning one
    sets Django up again, 1.5 s before the first row). A forked process lets go of
    the sockets it inherits (this process's database connection among them) and dies
    with this process (workers.let_go_of_parent). Elsewhere (fork is unsafe on macOS)
    they are spawned and build their own cleaner."""
    if FORK:
        return ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("fork"),
            initializer=workers.use_cleaner,
            initargs=(RowCleaner(**cleaner_kwargs), os.getpid()),
        )
    return ProcessPoolExecutor(
        max_workers=processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=workers.init_worker,
        initargs=(os.environ.get("DJANGO_SETTINGS_MODULE", ""), translation.get_language(), cleaner_kwargs),
    )


def _imported_rows():
    """Hashes of the rows that went into a contact of this campaign (ImportedRow), as
    an array('q') (a million of them: 8 MB, sent to each cleaning process as is)."""
    hashes = array("q")
    with connection.cursor() as cursor:
        # One value of 8 bytes per hash in network order: a million rows one by one
        # (a cursor or COPY) take seconds to come through; this takes milliseconds.
        cursor.execute("SELECT string_agg(int8send(row_hash), ''::bytea) FROM crm_importedrow")
        hashes.frombytes(cursor.fetchone()[0] or b"")
    return network_order(hashes)


def _geocode_online(job):
    """After the import committed: ask the online geocoder for what is still unlocated."""
    from crm.models import Address, Contact

    unlocated = Address.objects.filter(point__isnull=True, households__members__import_job=job).distinct()
    located_ids = online_geocoding.geocode_missing_addresses(list(unlocated.values_list("pk", flat=True)))
    job.located_count += Contact.objects.filter(import_job=job, household__address__in=located_ids).count()


def _fail(job, message):
    job.status = ImportJob.Status.FAILED
    job.error = message
    job.finished = timezone.now()
    job.created_count = job.merged_count = job.rejected_count = job.located_count = 0
    job.save()
    return job


TEMP_BUFFERS = "512MB"


def _more_temp_buffers(cursor):
    """Keep a big file's staging tables in memory (PostgreSQL's default is 8 MB; a
    million rows of staging take about 300 MB). Only possible before the session's
    first temporary table; a session that already had one keeps its size. The
    session keeps the memory it used until it closes, so small files do not ask."""
    try:
        with transaction.atomic():
            cursor.execute(f"SET LOCAL temp_buffers = '{TEMP_BUFFERS}'")
    except DatabaseError:
        log.debug("temp_buffers left as they were: this session already used temporary tables")


def _run(job, region, on_progress):
    path = job.file_path
    shape = sniff(path, encoding=job.encoding or None, delimiter=job.delimiter or None)
    headers = shape.headers
    mapping = job.mapping or guess_mapping(headers)
    problems = validate_mapping(mapping, headers)
    if problems:
        raise ImportRefused(" ".join(str(p) for p in problems))
    job.mapping, job.encoding, job.delimiter = mapping, shape.encoding, shape.delimiter
    job.total_rows = count_rows(path, shape)
    job.save(update_fields=["mapping", "encoding", "delimiter", "total_rows"])

    cleaner_kwargs = {
        "headers": headers,
        "mapping": mapping,
        "region": region,
        "workbook": shape.kind == "xlsx",
        "known_rows": _imported_rows(),
    }
    report_path = reports_dir() / f"import-{job.pk}-rejected.csv"
    rejected_rows = 0
    processed = 0
    skipped_rows = array("q")
    last_report = started = time.monotonic()
    big = job.total_rows >= PARALLEL_ROWS
    with connection.cursor() as cursor:
        # The merge hashes and sorts the whole file at once: at the default 4 MB each of
        # its aggregates spills to disk in dozens of batches. JIT compiling these
        # one-off statements costs more than it saves.
        cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute("SET LOCAL jit = off")
        if big:
            _more_temp_buffers(cursor)
        create_staging(cursor)
        with (
            open(report_path, "w", encoding="utf-8-sig", newline="") as report_file,
            cursor.copy(copy_statement()) as copy,
        ):
            report = csv.writer(report_file, delimiter=";")
            report.writerow([_("ligne"), _("colonne"), _("valeur"), _("raison")])
            for size, text, rejects, skipped in cleaned_parts(path, shape, cleaner_kwargs, parallel=big):
                copy.write(text)
                skipped_rows.extend(skipped)
                for number, errors in rejects:
                    rejected_rows += 1
                    for column, value, reason in errors:
                        report.writerow([number, column, value, reason])
                processed += size
                _publish(job, processed)
                if on_progress and time.monotonic() - last_report > 1:
                    on_progress(job_progress(job))
                    last_report = time.monotonic()
        log.debug("%.2fs read, cleaned and copied %d rows (%d skipped as already imported)",
                  time.monotonic() - started, processed, len(skipped_rows))  # fmt: skip

        def on_step(key):
            _publish(job, processed, key)
            if on_progress:
                on_progress(job_progress(job))

        counts = merge(
            cursor,
            job_id=job.pk,
            source=job.source,
            file_name=job.file_name,
            actor_id=job.created_by_id,
            salt=CrmSettings.current().suppression_salt,
            skipped=skipped_rows,
            on_step=on_step,
        )
        if counts.suppressed_rows:
            with open(report_path, "a", encoding="utf-8", newline="") as report_file:
                report = csv.writer(report_file, delimiter=";")
                for number in counts.suppressed_rows:
                    report.writerow([number, "", "", _("personne effacée à sa demande (liste d'exclusion)")])

    job.processed_rows = processed
    job.created_count = counts.created
    job.merged_count = counts.merged
    job.rejected_count = rejected_rows + len(counts.suppressed_rows)
    job.located_count = counts.located
    job.report_path = str(report_path)
    if on_progress:
        on_progress(Progress(processed, job.total_rows, 100, ""))
    return {
        "created": job.created_count,
        "merged": job.merged_count,
        "rejected": job.rejected_count,
        "located": job.located_count,
    }
