from django.core.management.base import BaseCommand
from django_tenants.utils import tenant_context

from campaigns.commands import campaign_or_error
from crm.gdpr import apply_retention
from crm.models import Contact, CrmSettings


class Command(BaseCommand):
    help = "Erase the contacts kept past the campaign's retention period (see who would go with --dry-run)."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Campaign slug.")
        parser.add_argument("--dry-run", action="store_true", help="List who would be erased; change nothing.")

    def handle(self, *args, **options):
        campaign = campaign_or_error(options["campaign"])
        with tenant_context(campaign):
            months = CrmSettings.current().retention_months
            if not months:
                self.stdout.write("No retention period set for this campaign: nothing to do.")
                return
            count, ids = apply_retention(dry_run=options["dry_run"])
            if options["dry_run"]:
                for contact in Contact.objects.filter(pk__in=ids).order_by("pk")[:1000]:
                    self.stdout.write(f"{contact.pk}\t{contact}\t{contact.email}")
                self.stdout.write(f"would_erase={count} (no contact for {months} months)")
            else:
                self.stdout.write(f"erased={count}")
