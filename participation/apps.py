from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "participation"
    verbose_name = _("Participation")

    def ready(self):
        from crm.signals import contact_erased

        from .citizens import forget_erased_contact

        contact_erased.connect(forget_erased_contact, dispatch_uid="participation.forget_erased_contact")
