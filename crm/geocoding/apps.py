from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeocodingConfig(AppConfig):
    """The national address reference (BAN), shared by every campaign: it lives in
    `public`, loaded once, and each campaign's geocoding reads it."""

    name = "crm.geocoding"
    label = "geocoding"
    verbose_name = _("Référentiel d'adresses")
