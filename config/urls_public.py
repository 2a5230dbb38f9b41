"""URLs of the platform host (PLATFORM_DOMAIN): what Terrain is, platform staff."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from campaigns.api import CampaignViewSet
from campaigns.views import platform_home
from config.admin_sites import platform_admin
from config.urls_common import common_patterns

router = DefaultRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")

urlpatterns = [
    path("", platform_home, name="home"),
    path("admin/", platform_admin.urls),
    path("api/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="config.urls_public"), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    *common_patterns,
]

handler500 = "campaigns.views.server_error"
