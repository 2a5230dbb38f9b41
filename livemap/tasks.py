from celery import shared_task

from campaigns.tenancy import each_campaign


@shared_task
def recount_cells_everywhere():
    """Hourly: recount each campaign's map cells from its reports, so that counts missed
    by a process that died between a commit and its cell update do not last."""
    from .cells import rebuild

    for _campaign in each_campaign():
        rebuild()
