"""A campaign lives in its own time zone: a list in Guadeloupe (UTC-4) sees its
20:00 meeting at 20:00, its projects' days start at its midnight, and its tasks count
hours the same way; a campaign in mainland France beside it keeps Paris time."""

import datetime as dt
import zoneinfo

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.tenancy import each_campaign
from participation.models import Event
from participation.services import create_project
from tests.conftest import host_of

GUADELOUPE = zoneinfo.ZoneInfo("America/Guadeloupe")
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def antilles(campaign_factory):
    return campaign_factory(name="Pointe-à-Pitre ensemble", time_zone="America/Guadeloupe").campaign


def test_an_event_reads_at_the_campaigns_own_hour(antilles, shared_campaign):
    with tenant_context(antilles):
        # Typed by the team as "5 March 2027, 20:00": their 20:00, 00:00 UTC the next day.
        event = Event.objects.create(
            title="Réunion publique", slug="reunion", starts_at=timezone.make_aware(dt.datetime(2027, 3, 5, 20))
        )
    assert event.starts_at == dt.datetime(2027, 3, 6, 0, tzinfo=dt.UTC)
    page = Client(HTTP_HOST=host_of(antilles)).get("/evenements/reunion/").content.decode()
    assert "vendredi 5 mars 2027, 20:00" in page
    # The same moment in a campaign in Paris: 01:00 on the 6th.
    with tenant_context(shared_campaign):
        Event.objects.create(title="Même instant", slug="meme-instant", starts_at=event.starts_at)
    paris_page = Client(HTTP_HOST=host_of(shared_campaign)).get("/evenements/meme-instant/").content.decode()
    assert "samedi 6 mars 2027, 01:00" in paris_page


def test_a_new_projects_days_begin_at_the_campaigns_midnight(antilles):
    with tenant_context(antilles):
        project = create_project("programme")
        steps = list(project.steps.order_by("position"))
    first = steps[0].starts_at.astimezone(GUADELOUPE)
    assert (first.date(), first.time()) == (timezone.now().astimezone(GUADELOUPE).date(), dt.time(0))
    # Every step changes at midnight there, and each lasts at least a day.
    for step in steps:
        assert step.starts_at.astimezone(GUADELOUPE).time() == dt.time(0)
        assert step.ends_at - step.starts_at >= dt.timedelta(days=1)


def test_the_clock_follows_the_campaign_a_task_or_command_enters(antilles, shared_campaign):
    assert timezone.get_current_timezone_name() == "Europe/Paris"  # the platform's
    with tenant_context(antilles):
        assert timezone.get_current_timezone() == GUADELOUPE
        with tenant_context(shared_campaign):
            assert timezone.get_current_timezone() == PARIS
        assert timezone.get_current_timezone() == GUADELOUPE
    assert timezone.get_current_timezone_name() == "Europe/Paris"
    zones = {campaign.pk: timezone.get_current_timezone_name() for campaign in each_campaign()}
    assert zones[antilles.pk] == "America/Guadeloupe" and zones[shared_campaign.pk] == "Europe/Paris"
