"""Two admin sites: one on each campaign's host for its team, one on the platform
host for platform staff. Registering campaign models on the platform site would
point it at tables that do not exist in `public`."""

from django.contrib.admin import AdminSite, ModelAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
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


class ReadOnlyAdmin(ModelAdmin):
    """Rows shown, never added, changed or deleted here: their own pages do that, with
    the rules and the audit the admin would skip (contacts, field reports)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OneRowAdmin(ModelAdmin):
    """A campaign's settings (a OneRowModel): its entry in the admin opens the one row,
    made with its defaults the first time; no second row (current() would never read
    it), no deleting."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        opts = self.model._meta
        row = self.model.current()
        return redirect(reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[row.pk]))
