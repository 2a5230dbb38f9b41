from django import forms
from django.contrib import admin
from django.contrib.auth.forms import ReadOnlyPasswordHashField

from config.admin_sites import campaign_admin, platform_admin

from .models import AuditEntry, Team, User
from .roles import assign_role


class UserChangeForm(forms.ModelForm):
    password = ReadOnlyPasswordHashField()

    class Meta:
        model = User
        fields = ["email", "full_name", "display_name", "role", "is_active", "language", "password"]


class UserAdmin(admin.ModelAdmin):
    form = UserChangeForm
    list_display = ["email", "full_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "full_name", "display_name"]
    ordering = ["email"]
    readonly_fields = ["last_login", "date_joined"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "role" in form.changed_data or not change:
            assign_role(obj, obj.role)


class PlatformUserAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "is_superuser", "is_active", "last_login"]
    search_fields = ["email", "full_name"]
    fields = ["email", "full_name", "is_superuser", "is_active", "last_login"]
    readonly_fields = ["last_login"]


campaign_admin.register(User, UserAdmin)
platform_admin.register(User, PlatformUserAdmin)


@admin.register(Team, site=campaign_admin)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "created"]
    filter_horizontal = ["leaders", "members"]
    search_fields = ["name"]


@admin.register(AuditEntry, site=campaign_admin)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "target_type", "target_id"]
    list_filter = ["action"]
    readonly_fields = ["at", "actor", "action", "target_type", "target_id", "data"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
