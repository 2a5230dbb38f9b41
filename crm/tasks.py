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
