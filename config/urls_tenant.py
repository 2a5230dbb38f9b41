"""URLs of a campaign's host (<slug>.<PLATFORM_DOMAIN> or its own domains)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from campaigns.accounts.api import MeView
from config.admin_sites import campaign_admin
from config.urls_common import common_patterns
from crm import api as crm_api
from crm.field import api as field_api
from crm.field import urls as field_urls
from participation import modules_api
from participation import urls as participation_urls
from participation import views as participation_views
from participation.ideas import api as ideas_api

router = DefaultRouter()
router.register("contacts", crm_api.ContactViewSet, basename="contact")
router.register("imports", crm_api.ImportViewSet, basename="import")
router.register("mappings", crm_api.SavedMappingViewSet, basename="mapping")
router.register("tags", crm_api.TagViewSet, basename="tag")
router.register("segments", crm_api.SegmentViewSet, basename="segment")
router.register("zones", field_api.ZoneViewSet, basename="zone")
router.register("turfs", field_api.TurfViewSet, basename="turf")
router.register("actions", field_api.ActionViewSet, basename="action")
router.register("assignments", field_api.AssignmentViewSet, basename="assignment")
router.register("proposals", ideas_api.ProposalViewSet, basename="proposal")
router.register("questions", ideas_api.QuestionViewSet, basename="question")
router.register("help", modules_api.HelpPostViewSet, basename="help")
router.register("contributions", modules_api.ContributionViewSet, basename="contribution")
router.register("questionnaires", modules_api.QuestionnaireViewSet, basename="questionnaire")

urlpatterns = [
    path("", participation_views.home, name="home"),
    path("admin/", campaign_admin.urls),
    path("", include(participation_urls)),
    path("", include("participation.ideas.urls")),
    path("", include("participation.surveys.urls")),
    path("", include("participation.aid.urls")),
    path("", include("participation.debate.urls")),
    path("equipe/site/", include(participation_urls.staff_patterns)),
    path("equipe/", include("crm.urls")),
    path("equipe/", include("crm.field.urls")),
    path("terrain/", include(field_urls.app_urlpatterns)),
    path("messages/", include("crm.messaging.urls")),
    path("", include("livemap.urls")),
    path("api/me/", MeView.as_view(), name="api-me"),
    path("api/reports/", field_api.ReportView.as_view(), name="api-field-reports"),
    path("api/reports/today/", field_api.TodayView.as_view(), name="api-field-today"),
    path("api/doors/", field_api.DoorView.as_view(), name="api-doors"),
    path("api/duplicates/", crm_api.DuplicatesView.as_view(), name="api-duplicates"),
    path("api/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    *common_patterns,
]

handler500 = "campaigns.views.server_error"
