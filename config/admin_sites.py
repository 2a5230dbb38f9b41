"""Two admin sites: one on each campaign's host for its team, one on the platform
host for platform staff. Registering campaign models on the platform site would
point it at tables that do not exist in `public`."""

from django.contrib.admin import AdminSite
from django.utils.translation import gettext_lazy as _


class CampaignAdminSite(AdminSite):
    site_header = _("Terrain — administration de la campagne")
    site_title = _("Terrain")

    def each_context(self, request):
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            context["site_header"] = f"{tenant.name} — {_('administration')}"
        return context


class PlatformAdminSite(AdminSite):
    site_header = _("Terrain — administration de la plateforme")
    site_title = _("Terrain plateforme")


campaign_admin = CampaignAdminSite(name="admin")
platform_admin = PlatformAdminSite(name="admin")
