from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """E-mail (SendGrid) and SMS to segments: consent-aware, each recipient sent once."""

    name = "crm.messaging"
    label = "messaging"
    verbose_name = _("Messages")
