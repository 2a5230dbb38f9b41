from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AidConfig(AppConfig):
    name = "participation.aid"
    label = "aid"
    verbose_name = _("Entraide")

    def ready(self):
        from participation import moderation
        from participation import views as site_views

        from .models import HelpPost

        moderation.register(HelpPost)
        site_views.FLAGGABLE["annonce"] = HelpPost
