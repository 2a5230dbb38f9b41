from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivemapConfig(AppConfig):
    """The real-time field-feedback map and the dashboards. Reads from crm (and later
    participation); nothing there depends on it."""

    name = "livemap"
    verbose_name = _("Carte et tableaux de bord")
