from celery import shared_task

from . import services


@shared_task
def summarise_contacts():
    """Runs in the schema of the campaign that queued it (tenant-schemas-celery)."""
    summary = services.summarise_contacts()
    return {"id": summary.pk, "contacts": summary.contacts}
