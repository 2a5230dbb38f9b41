from django.contrib import admin

from config.admin_sites import OneRowAdmin, campaign_admin

from .models import (
    CitizenProfile,
    Comment,
    Event,
    Flag,
    ModerationEntry,
    NewsPost,
    Page,
    ParticipantGroup,
    Project,
    Rsvp,
    SiteSettings,
    Step,
)


@admin.register(SiteSettings, site=campaign_admin)
class SiteSettingsAdmin(OneRowAdmin):
    list_display = ["__str__", "tagline"]


@admin.register(Page, site=campaign_admin)
class PageAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "in_menu", "published"]


@admin.register(NewsPost, site=campaign_admin)
class NewsPostAdmin(admin.ModelAdmin):
    list_display = ["title", "published_at"]
    search_fields = ["title"]


@admin.register(Event, site=campaign_admin)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "starts_at", "capacity", "published"]
    exclude = ["location"]  # Django's map widget loads OpenLayers from a CDN; the team's page has a Leaflet-free form


@admin.register(Rsvp, site=campaign_admin)
class RsvpAdmin(admin.ModelAdmin):
    list_display = ["event", "name", "email", "status", "created"]
    list_filter = ["status"]


class StepInline(admin.TabularInline):
    model = Step
    extra = 0


@admin.register(Project, site=campaign_admin)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "visibility", "anonymous", "published"]
    inlines = [StepInline]


@admin.register(ParticipantGroup, site=campaign_admin)
class ParticipantGroupAdmin(admin.ModelAdmin):
    filter_horizontal = ["members"]


@admin.register(CitizenProfile, site=campaign_admin)
class CitizenProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "email_confirmed_at", "banned_until"]
    raw_id_fields = ["user", "contact"]


@admin.register(Comment, site=campaign_admin)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "visibility", "created"]
    list_filter = ["visibility"]


@admin.register(Flag, site=campaign_admin)
class FlagAdmin(admin.ModelAdmin):
    list_display = ["reason", "created", "resolved_at"]


@admin.register(ModerationEntry, site=campaign_admin)
class ModerationEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "moderator", "reason"]

    def has_change_permission(self, request, obj=None):
        return False
