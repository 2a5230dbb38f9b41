from celery import shared_task
from django_tenants.utils import get_tenant_model, tenant_context


@shared_task
def send_event_reminders_everywhere():
    """Every quarter of an hour: remind the people going to an event starting within a day."""
    from .services import send_event_reminders

    sent = 0
    for campaign in get_tenant_model().objects.exclude(schema_name="public"):
        with tenant_context(campaign):
            sent += send_event_reminders()
    return sent
