from django.core.management.base import BaseCommand, CommandError

from crm.geocoding.loader import BadAddressFile, load_addresses


class Command(BaseCommand):
    help = "Load a BAN address file (adresses-NN.csv from the Base Adresse Nationale) for offline geocoding."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **options):
        try:
            loaded, skipped = load_addresses(
                options["file"], on_progress=lambda n, s: self.stderr.write(f"{n} addresses read ({s:.0f} s)")
            )
        except (OSError, BadAddressFile, UnicodeDecodeError) as exc:
            raise CommandError(f"{options['file']}: {exc}") from None
        self.stdout.write(f"loaded={loaded} skipped={skipped}")
