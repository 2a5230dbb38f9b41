from django.contrib import admin

from config.admin_sites import OneRowAdmin, ReadOnlyAdmin, campaign_admin

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
class FieldReportAdmin(ReadOnlyAdmin):
    """Read only here: a report is what a volunteer logged. The review page
    (/equipe/revue/) corrects or rejects it, each change audited and undone by a
    rollback; it shows the answers (the support level among them, an opinion) only to
    the roles allowed, each reading audited, and the details of a new person met. Here
    they are left out, and a report deleted here would stay counted on the live map."""

    list_display = ["done_at", "action", "volunteer", "result", "reached"]
    list_filter = ["result", "reached"]
    exclude = ["answers", "new_person"]


@admin.register(ReviewSettings, site=campaign_admin)
class ReviewSettingsAdmin(OneRowAdmin):
    list_display = ["__str__", "delay_minutes", "min_seconds_between_doors", "max_gps_distance_m", "same_result_min"]
