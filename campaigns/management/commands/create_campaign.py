from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.http.request import validate_host

from campaigns.presets import preset_names
from campaigns.provisioning import ProvisioningError, create_campaign


class Command(BaseCommand):
    help = "Create a live campaign with its admin account and print its URL."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="Sub-domain and schema name: lowercase letters, digits, hyphens.")
        parser.add_argument("--name", required=True, help="Name shown to people, e.g. 'Orléans en commun'.")
        parser.add_argument("--preset", choices=None, help=f"One of: {', '.join(preset_names())}.")
        parser.add_argument(
            "--domain", action="append", default=[], help="Extra host name for this campaign (repeatable)."
        )
        parser.add_argument("--admin-email", help="E-mail of the campaign admin (default admin@<slug>.<domain>).")
        parser.add_argument("--language", default="fr", help="fr (default) or en.")
        parser.add_argument("--time-zone", default="Europe/Paris")
        parser.add_argument(
            "--email-password",
            action="store_true",
            help="Send the admin's first password by e-mail instead of printing it.",
        )

    def handle(self, *args, **options):
        try:
            result = create_campaign(
                slug=options["slug"],
                name=options["name"],
                preset=options["preset"],
                domains=options["domain"],
                admin_email=options["admin_email"],
                language=options["language"],
                time_zone=options["time_zone"],
                email_password=options["email_password"],
            )
        except ProvisioningError as exc:
            raise CommandError(
                "Campaign not created:\n" + "\n".join(f"  {_option(f)}: {' '.join(m)}" for f, m in exc.errors.items())
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Campaign '{result.campaign.name}' is live at {result.url}"))
        for host in options["domain"]:
            if not validate_host(host.strip().lower(), settings.ALLOWED_HOSTS):
                self.stderr.write(self.style.WARNING(f"Add {host} to ALLOWED_HOSTS, or this domain will answer 404."))
        self.stdout.write(f"Admin: {result.admin_email}")
        if options["email_password"]:
            self.stdout.write("The first password was sent to that address.")
        else:
            self.stdout.write(f"Password (shown once, change it after signing in): {result.admin_password}")


def _option(field):
    return "SLUG" if field == "slug" else "--" + field.replace("_", "-")
