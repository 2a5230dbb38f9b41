"""Celery tasks run in the schema of the campaign that queued them, in a real worker."""

from pathlib import Path

from django.test import Client
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from crm import dedup
from crm.models import Contact, ContactSummary, DuplicateSuggestion
from crm.tasks import summarise_contacts, summarise_contacts_everywhere
from tests.conftest import host_of, make_user, wait_for
from tests.crm.test_import import do_import, write_csv


def test_task_queued_for_campaign_a_reads_and_writes_only_a(committed, celery_worker_process):
    a = committed.campaign(name="Campagne A").campaign
    b = committed.campaign(name="Campagne B").campaign
    with tenant_context(a):
        Contact.objects.bulk_create(
            [
                Contact(first_names="Éloïse", email="eloise@a.test"),
                Contact(first_names="Gaël", phone="+33612345678"),
                Contact(first_names="Maëlle"),
            ]
        )
    with tenant_context(b):
        Contact.objects.create(first_names="Loïc", email="loic@b.test")

    with tenant_context(a):
        outcome = summarise_contacts.delay().get(timeout=60)
    assert outcome["contacts"] == 3
    with tenant_context(a):
        summary = ContactSummary.objects.get()
        assert (summary.contacts, summary.with_email, summary.with_phone) == (3, 1, 1)
    with tenant_context(b):
        assert not ContactSummary.objects.exists()


def test_periodic_summary_loops_over_every_campaign(committed, celery_worker_process):
    a = committed.campaign(name="Campagne A").campaign
    b = committed.campaign(name="Campagne B").campaign
    with tenant_context(b):
        Contact.objects.create(first_names="Loïc")
    summarise_contacts_everywhere.delay().get(timeout=60)

    def summarised(campaign, expected):
        with tenant_context(campaign):
            return ContactSummary.objects.filter(contacts=expected).exists()

    wait_for(lambda: summarised(a, 0) and summarised(b, 1), timeout=60, what="one summary per campaign")


def test_a_big_bases_duplicates_are_scanned_after_an_import_and_when_asked(
    committed, celery_worker_process, monkeypatch, tmp_path
):
    monkeypatch.setattr(dedup, "LIVE_LIMIT", -2)  # every base is big, even never analysed (-1)
    campaign = committed.campaign().campaign
    header = ["Nom", "Prénom", "Adresse 1", "Code postal", "Ville"]
    rows = [["MARTIN", "Jean-Pierre", "3 rue des Lilas", "45000", "Orléans"],
            ["Martin", "Jean Pierre", "3 rue des Lilas", "45000", "Orléans"]]  # fmt: skip
    job = do_import(campaign, write_csv(tmp_path / "liste.csv", rows, header=header))
    assert job.created_count == 2  # not the same name key: for a person of the team to judge

    def queued():
        with tenant_context(campaign):
            return DuplicateSuggestion.objects.filter(reason="similar_name_same_address").count() == 1

    wait_for(queued, timeout=60, what="the scan queued by the import")
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(make_user(campaign, Role.ORGANIZER))
        Contact.objects.create(birth_name="Roux", email="roux@x.fr")
        Contact.objects.create(birth_name="Roux", email="roux@x.fr")
    page = client.get("/equipe/doublons/").content.decode()
    assert "Liste établie le" in page and "noms proches, même adresse" in page and "même e-mail" not in page
    answer = client.post("/equipe/doublons/chercher/", follow=True)
    assert "La recherche des doublons est lancée" in answer.content.decode()

    def rescanned():
        with tenant_context(campaign):
            return DuplicateSuggestion.objects.filter(reason="email").exists()

    wait_for(rescanned, timeout=60, what="the scan asked for")
    assert "même e-mail" in client.get("/equipe/doublons/").content.decode()


def test_a_file_cleaned_in_parallel_imports_in_a_worker_run_as_in_production(committed, tmp_path):
    """The Procfile's and compose.yaml's workers run each task in a child process of
    the worker, a daemon, and multiprocessing refuses to start children from a daemon:
    a file big enough to be cleaned by several processes failed there at once ("daemonic
    processes are not allowed to have children"). Test workers ran tasks in the worker
    itself (--pool=solo) and never saw it."""
    from bench.synthetic import write_voter_file
    from crm.importing.pipeline import PARALLEL_ROWS, create_job
    from crm.models import ImportJob
    from crm.tasks import run_import
    from tests.conftest import SHARED, start_celery_worker

    campaign = committed.campaign().campaign
    rows = PARALLEL_ROWS + 2000
    path = tmp_path / "liste.csv"
    write_voter_file(path, rows=rows, communes_path=SHARED / "data/geo/communes-45-loiret.geojson", seed=5)
    worker = start_celery_worker("prefork-import-worker", queue="prefork-import", pool="prefork")
    try:
        with tenant_context(campaign):
            job = create_job(file_path=path, file_name="liste.csv")
            ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
            run_import.apply_async((job.pk,), queue="prefork-import")

            def finished():
                job.refresh_from_db()
                return job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED)

            wait_for(finished, timeout=180, what="the import")
            assert job.status == ImportJob.Status.DONE, job.error
            assert job.created_count + job.merged_count + job.rejected_count == rows
            assert Contact.objects.count() == job.created_count > rows * 0.9
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        worker.log.close()
    # ... and cleaned by several processes, not by the worker's alone as a fallback.
    assert "cleaning in this process only" not in Path(worker.log.name).read_text()


def test_a_task_queued_in_a_campaign_deleted_since_is_dropped(committed, celery_worker_process):
    """It used to run in the platform's schema (`public`) instead, failing there on a
    missing table, or doing in the platform's schema what it was meant to do in the
    campaign's."""
    from campaigns.provisioning import delete_campaign

    gone = committed.campaign(name="Campagne supprimée").campaign
    with tenant_context(gone):
        queued = summarise_contacts.apply_async(countdown=2)
    delete_campaign(gone, actor="tests")
    assert queued.get(timeout=60) is None and queued.state == "SUCCESS"
    assert "no longer exists" in Path(celery_worker_process.log.name).read_text()
