from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django_tenants.utils import get_public_schema_name

from campaigns.models import Campaign, Domain
from campaigns.provisioning import sync_template_schema


class Command(BaseCommand):
    help = (
        "Make sure the platform's own site answers at PLATFORM_DOMAIN and that the template "
        "schema new campaigns are cloned from is up to date. Run after migrate_schemas."
    )

    def handle(self, *args, **options):
        connection.set_schema_to_public()
        platform, _ = Campaign.objects.get_or_create(schema_name=get_public_schema_name(), defaults={"name": "Terrain"})
        Domain.objects.get_or_create(domain=settings.PLATFORM_DOMAIN, defaults={"tenant": platform, "is_primary": True})
        changed = sync_template_schema(verbosity=options["verbosity"] - 1 if options["verbosity"] > 1 else 0)
        self.stdout.write("Template schema %s." % ("migrated" if changed else "already up to date"))
