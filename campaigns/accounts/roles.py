"""Roles are Django groups with permissions, one group per role in each campaign.

The role field on User is the source of truth; `assign_role` keeps the group
membership in step so Django's permission checks (admin, DRF) agree with it.
"""

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django_tenants.utils import get_public_schema_name

from .models import Role

# Model permissions per role, as "app_label.codename". Finer rules (a volunteer
# only sees contacts of their own turf) live in rules.py as predicates.
ROLE_PERMISSIONS = {
    Role.ADMIN: "__all__",
    Role.ORGANIZER: [
        "crm.view_contact",
        "crm.add_contact",
        "crm.change_contact",
        "crm.view_address",
        "crm.add_address",
        "crm.change_address",
        "accounts.view_user",
        "accounts.view_team",
        "accounts.add_team",
        "accounts.change_team",
    ],
    Role.TEAM_LEADER: ["accounts.view_team"],
    Role.VOLUNTEER: [],
    Role.CITIZEN: [],
}

# Apps whose models the campaign's admin manages in its admin site (all permissions).
TENANT_PERMISSION_APPS = ("crm", "field", "messaging", "livemap", "participation", "ideas", "surveys", "aid",
                          "debate", "accounts")  # fmt: skip


def group_name(role):
    return f"role:{role}"


def ensure_role_groups():
    """Create or refresh the role groups in the current schema."""
    # The permissions of the last migrated app may not exist yet: post_migrate runs this
    # before Django's own handler for that app. Create them all first (idempotent).
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    for label in TENANT_PERMISSION_APPS:
        create_permissions(apps.get_app_config(label), verbosity=0)
    for role in Role:
        group, _ = Group.objects.get_or_create(name=group_name(role))
        wanted = ROLE_PERMISSIONS[role]
        if wanted == "__all__":
            perms = Permission.objects.filter(content_type__app_label__in=TENANT_PERMISSION_APPS)
        else:
            perms = [
                Permission.objects.get(content_type__app_label=label, codename=codename)
                for label, codename in (p.split(".", 1) for p in wanted)
            ]
        group.permissions.set(perms)


def assign_role(user, role):
    user.role = role
    user.save(update_fields=["role"])
    user.groups.remove(*Group.objects.filter(name__startswith="role:"))
    user.groups.add(Group.objects.get(name=group_name(role)))


def sync_role_groups_after_migrate(sender, app_config=None, **kwargs):
    # post_migrate fires once per app; do the work once, after the last tenant app,
    # and only in campaign schemas (the public schema holds platform staff).
    if app_config is None or app_config.name != settings.TENANT_APPS[-1]:
        return
    if connection.schema_name == get_public_schema_name():
        return
    ensure_role_groups()
