import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from campaigns.commands import campaign_or_error, existing_file
from crm.importing.pipeline import create_job, run_import
from crm.models import ImportJob, SavedMapping


class Command(BaseCommand):
    help = (
        "Import contacts from a CSV (any common encoding and delimiter) or XLSX file into a campaign. "
        "Ends with one line: created=N merged=N rejected=N, then the path of the rejected-rows report."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Campaign slug.")
        parser.add_argument("file")
        parser.add_argument(
            "--mapping",
            help='Column mapping: JSON ({"Nom": "birth_name", ...}), a JSON file, or a saved mapping name.',
        )
        parser.add_argument("--source", default="", help="Where these people come from (shown on each contact).")
        parser.add_argument(
            "--electoral-list", action="store_true",
            help="The file is an electoral list: its people are erased after the election unless they consent.",
        )  # fmt: skip

    def handle(self, *args, **options):
        campaign = campaign_or_error(options["campaign"])
        path = existing_file(options["file"])
        with tenant_context(campaign):
            mapping = self._mapping(options["mapping"])
            job = create_job(file_path=path.resolve(), file_name=path.name, mapping=mapping, source=options["source"],
                             electoral_list=options["electoral_list"])  # fmt: skip
            job = run_import(job, on_progress=self._progress)
        if self.stderr.isatty():
            self.stderr.write("")
        if job.status != ImportJob.Status.DONE:
            raise CommandError(f"Nothing imported: {job.error}")
        self.stdout.write(f"located={job.located_count}")
        self.stdout.write(f"created={job.created_count} merged={job.merged_count} rejected={job.rejected_count}")
        self.stdout.write(job.report_path)

    def _progress(self, progress):
        line = f"{progress.percent:3d} % {progress.step}".rstrip()
        if self.stderr.isatty():  # one line, rewritten
            self.stderr.write(line.ljust(100), ending="\r")
        else:
            self.stderr.write(line)

    def _mapping(self, value):
        if not value:
            return None
        saved = SavedMapping.objects.filter(name=value).first()
        if saved:
            return saved.mapping
        text = Path(value).read_text(encoding="utf-8") if Path(value).is_file() else value
        try:
            mapping = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--mapping is neither a saved mapping, a JSON file nor JSON: {exc}") from None
        if not isinstance(mapping, dict):
            raise CommandError('--mapping must be a JSON object: {"column header": "field", ...}')
        return mapping
