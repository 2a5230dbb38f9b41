from celery import shared_task

from campaigns.tenancy import each_campaign


@shared_task
def commit_due_batches_everywhere():
    """Every minute: commit the field-report batches nobody reviewed within each
    campaign's delay."""
    from .review import commit_due

    return sum(commit_due() for _campaign in each_campaign())
