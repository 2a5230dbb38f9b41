"""Work that loops over every campaign (periodic tasks start in the public schema)."""

import zoneinfo

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, get_tenant_model, tenant_context


def each_campaign():
    """Every live campaign, each yielded while the connection is in its schema."""
    for campaign in list(get_tenant_model().objects.exclude(schema_name=get_public_schema_name())):
        with tenant_context(campaign):
            yield campaign


def zone_of(tenant):
    """A campaign's time zone; the platform's (TIME_ZONE) for the public schema or none set."""
    return zoneinfo.ZoneInfo(getattr(tenant, "time_zone", None) or settings.TIME_ZONE)


def campaign_zone():
    """The current campaign's time zone (the platform's outside a campaign)."""
    return zone_of(connection.tenant)


def use_campaign_clock(_connection, tenant):
    """django-tenants calls this whenever the connection enters a schema
    (EXTRA_SET_TENANT_METHOD_PATH): in a campaign, times are read and written in its
    time zone (a campaign in Guadeloupe sees its 20:00 meeting at 20:00, and its
    projects' days begin at its midnight), in requests, Celery tasks and commands
    alike; elsewhere in the platform's (TIME_ZONE)."""
    if tenant.schema_name != get_public_schema_name():
        timezone.activate(zone_of(tenant))
    else:
        timezone.deactivate()
