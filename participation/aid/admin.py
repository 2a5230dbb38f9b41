from django.contrib import admin

from config.admin_sites import OneRowAdmin, campaign_admin

from .models import AidSettings, HelpPost


@admin.register(AidSettings, site=campaign_admin)
class AidSettingsAdmin(OneRowAdmin):
    list_display = ["__str__"]


@admin.register(HelpPost, site=campaign_admin)
class HelpPostAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "category", "status", "visibility", "created"]
    list_filter = ["kind", "status", "visibility"]
    exclude = ["area"]  # Django's map widget loads OpenLayers from a CDN
    readonly_fields = ["author"]
