from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """E-mail (SendGrid) and SMS to segments: consent-aware, each recipient sent once."""

    name = "crm.messaging"
    label = "messaging"
    verbose_name = _("Messages")

    def ready(self):
        from crm.signals import contact_erased

        from .services import forget_erased_contact

        contact_erased.connect(forget_erased_contact, dispatch_uid="messaging.forget_erased_contact")
