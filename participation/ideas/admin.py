from django.contrib import admin

from config.admin_sites import campaign_admin

from .models import Proposal, Question


@admin.register(Proposal, site=campaign_admin)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["title", "step", "status", "votes_count", "visibility", "created"]
    list_filter = ["status", "visibility"]
    exclude = ["location"]  # Django's map widget loads OpenLayers from a CDN
    readonly_fields = ["author", "votes_count", "comments_count", "origin"]


@admin.register(Question, site=campaign_admin)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "step", "votes_count", "answered_at", "visibility"]
    readonly_fields = ["author", "votes_count"]
