from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from campaigns.commands import campaign_or_error, existing_file
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
        campaign = campaign_or_error(options["campaign"])
        path = existing_file(options["file"])
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
