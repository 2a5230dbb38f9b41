from django.contrib import admin

from config.admin_sites import campaign_admin

from .models import SiteSettings


@admin.register(SiteSettings, site=campaign_admin)
class SiteSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "tagline"]
