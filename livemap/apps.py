from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivemapConfig(AppConfig):
    """The real-time field-feedback map and the dashboards. Reads from crm (and later
    participation); nothing there depends on it."""

    name = "livemap"
    verbose_name = _("Carte et tableaux de bord")

    def ready(self):
        from django.db import transaction
        from django.db.models.signals import post_delete

        from crm.field.models import Action
        from crm.field.signals import reports_recorded

        from . import cells

        def count_after_commit(sender, ids, **kwargs):
            # After the reports' transaction, in a statement of its own: the same few
            # cells take every report of an area, and holding their row locks for the
            # whole request would queue concurrent syncs behind one another.
            transaction.on_commit(lambda: cells.add_reports(ids))

        reports_recorded.connect(count_after_commit, weak=False, dispatch_uid="livemap.cells.add")
        # Deleting an action deletes its reports: recount.
        post_delete.connect(lambda sender, **kw: cells.rebuild(), sender=Action, weak=False,
                            dispatch_uid="livemap.cells.rebuild")  # fmt: skip
