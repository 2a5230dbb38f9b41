from celery import shared_task
from django_tenants.utils import get_tenant_model, tenant_context


@shared_task
def recount_cells_everywhere():
    """Hourly: recount each campaign's map cells from its reports, so that counts missed
    by a process that died between a commit and its cell update do not last."""
    from .cells import rebuild

    for campaign in get_tenant_model().objects.exclude(schema_name="public"):
        with tenant_context(campaign):
            rebuild()
