from django.contrib import admin

from config.admin_sites import OneRowAdmin, campaign_admin

from .models import Action, FieldReport, ReviewSettings, Zone


@admin.register(Zone, site=campaign_admin)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "priority", "public"]
    list_editable = ["public"]
    list_filter = ["kind", "priority"]
    search_fields = ["name", "code"]
    # Django's map widget loads OpenLayers from a CDN; zones are drawn on our Leaflet map.
    readonly_fields = ["geometry"]


@admin.register(Action, site=campaign_admin)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "starts_on", "ends_on", "objective"]
    list_filter = ["kind"]


@admin.register(FieldReport, site=campaign_admin)
class FieldReportAdmin(admin.ModelAdmin):
    list_display = ["done_at", "action", "volunteer", "result", "reached"]
    list_filter = ["result", "reached"]
    raw_id_fields = ["contact", "address", "household", "turf"]
    readonly_fields = ["location", "covered"]


@admin.register(ReviewSettings, site=campaign_admin)
class ReviewSettingsAdmin(OneRowAdmin):
    list_display = ["__str__", "delay_minutes", "min_seconds_between_doors", "max_gps_distance_m", "same_result_min"]
