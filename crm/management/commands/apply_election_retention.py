from django.core.management.base import BaseCommand
from django_tenants.utils import tenant_context

from campaigns.commands import campaign_or_error
from crm.models import Contact
from crm.retention import apply_election_retention


class Command(BaseCommand):
    help = (
        "Erase the people known only from an electoral-list import once the last election date plus the grace "
        "period has passed (see who would go with --dry-run)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Campaign slug.")
        parser.add_argument("--dry-run", action="store_true", help="List who would be erased; change nothing.")

    def handle(self, *args, **options):
        campaign = campaign_or_error(options["campaign"])
        with tenant_context(campaign):
            report = apply_election_retention(dry_run=options["dry_run"])
            if report["purge_on"] is None:
                self.stdout.write("No election date set for this campaign: nothing to do.")
                return
            if options["dry_run"] or not report["due"]:
                for contact in Contact.objects.filter(pk__in=report["ids"]).order_by("pk"):
                    self.stdout.write(f"{contact.pk}\t{contact}")
                self.stdout.write(f"would_erase={report['count']} on={report['purge_on']}")
            else:
                self.stdout.write(f"erased={report['count']}")
