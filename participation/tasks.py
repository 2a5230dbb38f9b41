from celery import shared_task

from campaigns.tenancy import each_campaign


@shared_task
def send_event_reminders_everywhere():
    """Every quarter of an hour: remind the people going to an event starting within a day."""
    from .services import send_event_reminders

    return sum(send_event_reminders() for _campaign in each_campaign())
