from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from campaigns.commands import campaign_or_error, existing_file
from crm.field.targeting import BadIndicators, import_indicators


class Command(BaseCommand):
    help = "Attach numbers to zones from a CSV keyed by zone code (registered voters, turnout, scores...)."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True)
        parser.add_argument("file")
        parser.add_argument("--key-field", default="code")

    def handle(self, *args, **options):
        campaign = campaign_or_error(options["campaign"])
        path = existing_file(options["file"])
        with tenant_context(campaign):
            try:
                count = import_indicators(path.read_bytes(), key_field=options["key_field"])
            except BadIndicators as exc:
                raise CommandError(f"{path.name}: nothing changed.\n" + "\n".join(exc.problems)) from None
        self.stdout.write(f"zones={count}")
