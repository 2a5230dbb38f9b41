"""The Celery app. Tasks run in the schema of the campaign that queued them.

tenant-schemas-celery stamps the current schema on every task message and switches
to it in the worker; a task queued outside any campaign runs in `public`.
Periodic tasks that concern campaigns loop over them explicitly.
"""

import logging
import os

from tenant_schemas_celery.app import CeleryApp as TenantAwareCeleryApp
from tenant_schemas_celery.app import get_schema_name_from_task
from tenant_schemas_celery.task import TenantTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
log = logging.getLogger(__name__)


class CampaignTask(TenantTask):
    """A task queued in a campaign deleted since is dropped. tenant-schemas-celery
    only logs that it found no such campaign, then runs the task in `public`, where
    it fails on a missing table, or does in the platform's schema what it was meant
    to do in the campaign's."""

    abstract = True

    def __call__(self, *args, **kwargs):
        from django.db import connection

        wanted = get_schema_name_from_task(self, kwargs)
        if wanted and wanted != connection.schema_name:
            log.warning("task %s dropped: campaign %r no longer exists", self.name, wanted)
            return None
        return super().__call__(*args, **kwargs)


app = TenantAwareCeleryApp("terrain", task_cls=CampaignTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "resume-stalled-imports": {
        "task": "crm.tasks.resume_stalled_imports_everywhere",
        "schedule": 60,
    },
    "summarise-contacts-hourly": {
        "task": "crm.tasks.summarise_contacts_everywhere",
        "schedule": 60 * 60,
    },
    "dispatch-messages-every-minute": {
        "task": "crm.messaging.tasks.dispatch_messages_everywhere",
        "schedule": 60,
    },
    "recount-map-cells-hourly": {
        "task": "livemap.tasks.recount_cells_everywhere",
        "schedule": 60 * 60,
    },
    "commit-review-batches": {
        "task": "crm.field.tasks.commit_due_batches_everywhere",
        "schedule": 60,
    },
    "event-reminders": {
        "task": "participation.tasks.send_event_reminders_everywhere",
        "schedule": 15 * 60,
    },
    "scan-duplicates-nightly": {
        "task": "crm.tasks.scan_duplicates_everywhere",
        "schedule": 24 * 60 * 60,
    },
    "election-retention-daily": {
        "task": "crm.tasks.election_retention_everywhere",
        "schedule": 24 * 60 * 60,
    },
    "tidy-import-files-daily": {
        "task": "crm.tasks.tidy_import_files_everywhere",
        "schedule": 24 * 60 * 60,
    },
    "apply-retention-daily": {
        "task": "crm.tasks.apply_retention_everywhere",
        "schedule": 24 * 60 * 60,
    },
}
