from django.core.management.base import BaseCommand

from demo.seed import seed_demo


class Command(BaseCommand):
    help = "Create the demo campaign (demo.<PLATFORM_DOMAIN>) with a login for each role and print them."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=5000, help="How many residents in the demo town.")
        parser.add_argument("--reset", action="store_true", help="Drop the demo campaign and build it again.")
        parser.add_argument("--password", help="Use this password for every demo login instead of random ones.")

    def handle(self, *args, **options):
        result = seed_demo(people=options["people"], reset=options["reset"], password=options["password"])
        self.stdout.write(self.style.SUCCESS(f"Demo campaign '{result.campaign.name}' at {result.url}"))
        self.stdout.write(f"{result.contacts} contacts. Logins (passwords change each time seed_demo runs):")
        width = max(len(email) for email, _, _ in result.logins)
        for email, role, password in result.logins:
            self.stdout.write(f"  {email:<{width}}  {password}  ({role})")
