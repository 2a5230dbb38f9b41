from celery import shared_task

from campaigns.tenancy import each_campaign

from . import services


@shared_task
def summarise_contacts():
    """Runs in the schema of the campaign that queued it (tenant-schemas-celery)."""
    summary = services.summarise_contacts()
    return {"id": summary.pk, "contacts": summary.contacts}


@shared_task
def summarise_contacts_everywhere():
    """Periodic: queue one summary per campaign. Beat runs in `public`, so loop explicitly."""
    count = 0
    for _campaign in each_campaign():
        summarise_contacts.delay()
        count += 1
    return count


@shared_task
def geocode_addresses(address_ids):
    """Ask the online geocoder (when switched on) for addresses typed in by hand."""
    from .geocoding.online import geocode_missing_addresses

    return geocode_missing_addresses(address_ids)


@shared_task
def run_import(job_id):
    """Import an uploaded file in the background; the UI polls its progress."""
    from .importing.pipeline import run_import as run
    from .models import ImportJob

    job = run(ImportJob.objects.get(pk=job_id))
    return {"status": job.status, "created": job.created_count}


@shared_task
def resume_stalled_imports_everywhere():
    """Every minute: imports whose worker died are queued again (crm/importing/pipeline.py)."""
    from .importing.pipeline import resume_stalled_imports

    resumed = {}
    for campaign in each_campaign():
        found = resume_stalled_imports()
        if found:
            resumed[campaign.schema_name] = found
    return resumed


@shared_task
def tidy_import_files_everywhere():
    """Daily: uploaded files nobody went on to import, and rejected-rows reports past
    their time, are deleted (crm/importing/pipeline.py)."""
    from .importing.pipeline import discard_abandoned_uploads, discard_old_reports

    return {
        campaign.schema_name: {"uploads": discard_abandoned_uploads(), "reports": discard_old_reports()}
        for campaign in each_campaign()
    }


@shared_task
def apply_retention_everywhere():
    """Daily: erase, in each campaign, the people kept past its retention period."""
    from .gdpr import apply_retention

    return {campaign.schema_name: apply_retention(dry_run=False)[0] for campaign in each_campaign()}


@shared_task
def election_retention_everywhere():
    """Daily: warn admins 7 days before an election-bound purge, and purge when due."""
    from .retention import apply_election_retention, warn_admins

    purged = 0
    for _campaign in each_campaign():
        warn_admins()
        report = apply_election_retention(dry_run=False)
        purged += report["count"] if report["due"] else 0
    return purged


@shared_task
def scan_duplicates():
    """Work out the duplicates queue of this campaign's big base (crm/dedup.py)."""
    from .dedup import scan

    return scan()


@shared_task
def scan_duplicates_everywhere():
    """Nightly: queue a duplicates scan in each campaign whose base is too big to have
    its queue worked out when asked."""
    from .dedup import base_is_big

    queued = 0
    for _campaign in each_campaign():
        if base_is_big():
            scan_duplicates.delay()
            queued += 1
    return queued
