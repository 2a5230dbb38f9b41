from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivemapConfig(AppConfig):
    """The real-time field-feedback map and the dashboards. Reads from crm (and later
    participation); nothing there depends on it."""

    name = "livemap"
    verbose_name = _("Carte et tableaux de bord")

    def ready(self):
        from django.db.models.signals import post_delete

        from crm.field.models import Action
        from crm.field.signals import reports_recorded

        from . import cells

        reports_recorded.connect(lambda sender, ids, **kw: cells.add_reports(ids), weak=False,
                                 dispatch_uid="livemap.cells.add")  # fmt: skip
        # Deleting an action deletes its reports: recount.
        post_delete.connect(lambda sender, **kw: cells.rebuild(), sender=Action, weak=False,
                            dispatch_uid="livemap.cells.rebuild")  # fmt: skip
