from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "participation.surveys"
    label = "surveys"
    verbose_name = _("Questionnaires")

    def ready(self):
        from participation import views as site_views
        from participation.models import Step

        from . import views

        site_views.STEP_VIEWS[Step.Kind.QUESTIONNAIRE] = views.step_questionnaire
