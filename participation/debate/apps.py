from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DebateConfig(AppConfig):
    name = "participation.debate"
    label = "debate"
    verbose_name = _("Consultation")

    def ready(self):
        from participation import moderation
        from participation import views as site_views
        from participation.models import Step

        from . import views
        from .models import Argument, Contribution

        moderation.register(Contribution)
        moderation.register(Argument)
        site_views.FLAGGABLE.update(contribution=Contribution, argument=Argument)
        site_views.STEP_VIEWS[Step.Kind.CONSULTATION] = views.step_consultation
