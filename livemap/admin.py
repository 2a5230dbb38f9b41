from django.contrib import admin

from config.admin_sites import OneRowAdmin, campaign_admin

from .models import MapSettings


@admin.register(MapSettings, site=campaign_admin)
class MapSettingsAdmin(OneRowAdmin):
    """The background of every map the campaign shows (tile URL and attribution)."""
