from django.contrib import admin

from config.admin_sites import campaign_admin

from .models import TextSection


@admin.register(TextSection, site=campaign_admin)
class TextSectionAdmin(admin.ModelAdmin):
    list_display = ["title", "step", "position"]
