from celery import shared_task
from django_tenants.utils import get_tenant_model, tenant_context


@shared_task
def commit_due_batches_everywhere():
    """Every minute: commit the field-report batches nobody reviewed within each
    campaign's delay."""
    from .review import commit_due

    committed = 0
    for campaign in get_tenant_model().objects.exclude(schema_name="public"):
        with tenant_context(campaign):
            committed += commit_due()
    return committed
