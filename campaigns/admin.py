from django.contrib import admin

from config.admin_sites import platform_admin

from .models import Campaign, Domain, PlatformAuditEntry


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Campaign, site=platform_admin)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "schema_name", "kind", "language", "created"]
    search_fields = ["name", "schema_name"]
    readonly_fields = ["schema_name", "created"]
    inlines = [DomainInline]

    def has_add_permission(self, request):
        # Campaigns are created by provisioning (command or API), which clones the schema.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PlatformAuditEntry, site=platform_admin)
class PlatformAuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "campaign_slug"]
    readonly_fields = ["at", "actor", "action", "campaign_slug", "data"]

    def has_add_permission(self, request):
        return False
