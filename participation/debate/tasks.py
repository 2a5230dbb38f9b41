from celery import shared_task


@shared_task
def refresh_opinion_groups(step_id):
    """Runs in the schema of the campaign whose votes queued it (tenant-schemas-celery)."""
    from participation.models import Step

    from .services import compute_opinion_groups

    step = Step.objects.filter(pk=step_id).first()
    if step is None:
        return None
    return compute_opinion_groups(step).participants
