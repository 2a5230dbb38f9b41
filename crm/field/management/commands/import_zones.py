from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from campaigns.models import Campaign
from crm.field.models import Zone
from crm.field.zones import BadZoneFile, import_zones


class Command(BaseCommand):
    help = "Import zones (polygons and multipolygons) from a GeoJSON file into a campaign."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True)
        parser.add_argument("file")
        parser.add_argument("--name-field", default="nom")
        parser.add_argument("--code-field", default="code")
        parser.add_argument("--kind", default=Zone.Kind.ZONE, choices=[k.value for k in Zone.Kind])

    def handle(self, *args, **options):
        campaign = Campaign.objects.filter(schema_name=options["campaign"]).exclude(schema_name="public").first()
        if campaign is None:
            raise CommandError(f"No campaign '{options['campaign']}'.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"File not found: {path}")
        with tenant_context(campaign):
            try:
                result = import_zones(
                    path.read_bytes(), name_field=options["name_field"], code_field=options["code_field"],
                    kind=options["kind"],
                )  # fmt: skip
            except BadZoneFile as exc:
                raise CommandError(f"{path.name}: {exc} Nothing was imported.") from None
        for line in result.warnings:
            self.stderr.write(f"warning: {line}")
        for line in result.refused:
            self.stderr.write(f"refused: {line}")
        self.stdout.write(f"created={result.created} updated={result.updated} refused={len(result.refused)}")
