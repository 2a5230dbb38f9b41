from django.contrib import admin

from config.admin_sites import campaign_admin

from .models import Zone


@admin.register(Zone, site=campaign_admin)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "priority"]
    list_filter = ["kind", "priority"]
    search_fields = ["name", "code"]
    # Django's map widget loads OpenLayers from a CDN; zones are drawn on our Leaflet map.
    readonly_fields = ["geometry"]
