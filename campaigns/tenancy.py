"""Work that loops over every campaign (periodic tasks start in the public schema)."""

from django_tenants.utils import get_public_schema_name, get_tenant_model, tenant_context


def each_campaign():
    """Every live campaign, each yielded while the connection is in its schema."""
    for campaign in list(get_tenant_model().objects.exclude(schema_name=get_public_schema_name())):
        with tenant_context(campaign):
            yield campaign
