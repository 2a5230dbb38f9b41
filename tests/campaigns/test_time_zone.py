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


def test_the_dashboard_and_the_map_count_days_from_the_campaigns_midnight(antilles):
    """A door knocked at 22:00 in Pointe-à-Pitre (02:00 UTC the next day) counts on its
    own day there, in the dashboard's days and in the map's "since/until" filters."""
    from django.contrib.gis.geos import Point

    from campaigns.accounts.models import Role
    from crm.field.actions import default_result_codes
    from crm.field.models import Action, FieldReport
    from participation.ideas.models import Proposal
    from tests.conftest import make_user

    evening = dt.datetime(2026, 11, 19, 22, 0, tzinfo=GUADELOUPE)  # 2026-11-20 02:00 UTC
    with tenant_context(antilles):
        action = Action.objects.create(
            name="PAP",
            kind="door",
            starts_on=dt.date(2026, 11, 1),
            ends_on=dt.date(2026, 11, 30),
            result_codes=default_result_codes("door"),
        )
        FieldReport.objects.create(
            uuid="00000000-0000-4000-8000-000000000001",
            action=action,
            result="talked",
            reached=True,
            location=Point(-61.53, 16.24, srid=4326),
            done_at=evening,
        )
        project = create_project("programme")
        step = project.steps.get(kind="collect")
        author = make_user(antilles, Role.CITIZEN)
        proposal = Proposal.objects.create(step=step, author=author, title="Un marché couvert", body="…")
        Proposal.objects.filter(pk=proposal.pk).update(created=evening)
    organizer = Client(HTTP_HOST=host_of(antilles))
    with tenant_context(antilles):
        organizer.force_login(make_user(antilles, Role.ORGANIZER))
    charts = organizer.get("/equipe/tableau-de-bord/").context["charts"]
    assert charts["per_day"]["rows"] == [["2026-11-19", 0, 1]]
    assert [row[:2] for row in charts["participation"]["rows"]] == [["2026-11-19", 1]]
    bbox = {"bbox": "-61.6,16.2,-61.5,16.3", "zoom": 16}
    seen = [
        len(organizer.get("/api/map/reports/", {**bbox, **days}).json()["features"])
        for days in ({"since": "2026-11-19", "until": "2026-11-19"}, {"since": "2026-11-20"}, {"until": "2026-11-18"})
    ]
    assert seen == [1, 0, 0]


@pytest.mark.parametrize("anonymous", [False, True])
def test_a_questionnaire_answered_at_nine_pm_counts_for_that_day_there(antilles, anonymous):
    from unittest import mock

    from participation.surveys import services as surveys
    from participation.surveys.models import Response
    from tests.participation.test_surveys import citizen, open_step

    # 21:00 on 5 March in Guadeloupe: already 6 March in UTC.
    evening = dt.datetime(2027, 3, 5, 21, tzinfo=GUADELOUPE)
    person = citizen(antilles, "soir@ex.fr")
    with tenant_context(antilles), mock.patch("django.utils.timezone.now", return_value=evening.astimezone(dt.UTC)):
        _project, step = open_step("strengths-weaknesses", anonymous=anonymous)
        questionnaire = surveys.questionnaire_for(step)
        questionnaire.sections.all().delete()
        surveys.submit(questionnaire, person, {}, surveys.visible_sections(questionnaire, person))
        assert Response.objects.get(questionnaire=questionnaire).submitted_on == dt.date(2027, 3, 5)
