from celery import shared_task
from django_tenants.utils import get_tenant_model, tenant_context

from . import services


@shared_task
def summarise_contacts():
    """Runs in the schema of the campaign that queued it (tenant-schemas-celery)."""
    summary = services.summarise_contacts()
    return {"id": summary.pk, "contacts": summary.contacts}


@shared_task
def summarise_contacts_everywhere():
    """Periodic: queue one summary per campaign. Beat runs in `public`, so loop explicitly."""
    campaigns = get_tenant_model().objects.exclude(schema_name="public")
    for campaign in campaigns:
        with tenant_context(campaign):
            summarise_contacts.delay()
    return campaigns.count()


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
    for campaign in get_tenant_model().objects.exclude(schema_name="public"):
        with tenant_context(campaign):
            found = resume_stalled_imports()
            if found:
                resumed[campaign.schema_name] = found
    return resumed


@shared_task
def apply_retention_everywhere():
    """Daily: erase, in each campaign, the people kept past its retention period."""
    from .gdpr import apply_retention

    purged = {}
    for campaign in get_tenant_model().objects.exclude(schema_name="public"):
        with tenant_context(campaign):
            purged[campaign.schema_name] = apply_retention(dry_run=False)[0]
    return purged


@shared_task
def election_retention_everywhere():
    """Daily: warn admins 7 days before an election-bound purge, and purge when due."""
    from .retention import apply_election_retention, warn_admins

    purged = 0
    for campaign in get_tenant_model().objects.exclude(schema_name="public"):
        with tenant_context(campaign):
            warn_admins()
            report = apply_election_retention(dry_run=False)
            purged += report["count"] if report["due"] else 0
    return purged
