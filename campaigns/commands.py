"""Helpers shared by the management commands that act inside one campaign."""

from pathlib import Path

from django.core.management.base import CommandError

from .models import Campaign


def campaign_or_error(slug):
    campaign = Campaign.objects.filter(schema_name=slug).exclude(schema_name="public").first()
    if campaign is None:
        raise CommandError(f"No campaign '{slug}'.")
    return campaign


def existing_file(path):
    path = Path(path)
    if not path.is_file():
        raise CommandError(f"File not found: {path}")
    return path
