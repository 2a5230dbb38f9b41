"""The map's contributions layer (team) and the public map's data."""

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from participation import moderation, services
from participation.ideas import services as ideas
from tests.conftest import host_of, make_user

BBOX = "bbox=1.8,47.8,2.0,48.0&zoom=13"


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def idea_box(title, **fields):
    project = services.create_project("programme", title=title, starts_at=timezone.now() - dt.timedelta(days=2),
                                      **fields)  # fmt: skip
    step = project.steps.get(kind="collect")
    step.starts_at = timezone.now() - dt.timedelta(days=1)
    step.save()
    return step


def test_team_layer_and_public_map_show_what_each_may_see(campaign, django_capture_on_commit_callbacks):
    author = make_user(campaign, Role.CITIZEN, "auteur@ex.fr")
    moderator = make_user(campaign, Role.ORGANIZER)
    with tenant_context(campaign):
        public_step = idea_box("Public")
        private_step = idea_box("Interne", visibility="private")
        with django_capture_on_commit_callbacks() as published:
            public = ideas.submit_proposal(public_step, author=author, title="Banc public", body="…",
                                           location=Point(1.9, 47.9, srid=4326))  # fmt: skip
        internal = ideas.submit_proposal(private_step, author=author, title="Idée interne", body="…",
                                         location=Point(1.91, 47.91, srid=4326))  # fmt: skip
        hidden = ideas.submit_proposal(public_step, author=author, title="Pub", body="…",
                                       location=Point(1.92, 47.92, srid=4326))  # fmt: skip
        moderation.hide(hidden, moderator=moderator, reason="Spam")
        ideas.submit_proposal(public_step, author=author, title="Sans lieu", body="…")
    # A geolocated proposal is announced to the live maps after commit.
    assert len(published) == 1

    staff = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        staff.force_login(moderator)
    titles = {f["properties"]["title"] for f in staff.get(f"/api/map/contributions/?{BBOX}").json()["features"]}
    assert titles == {"Banc public", "Idée interne"}
    anonymous = Client(HTTP_HOST=host_of(campaign))
    assert anonymous.get(f"/api/map/contributions/?{BBOX}").status_code in (401, 403)
    body = anonymous.get(f"/api/public/contributions/?{BBOX}").json()
    assert [f["properties"]["title"] for f in body["features"]] == ["Banc public"]
    assert set(body["features"][0]["properties"]) == {"kind", "id", "title", "theme", "status", "votes", "url"}
    assert anonymous.get("/api/public/contributions/?bbox=nope").status_code == 400
    assert anonymous.get("/carte/").status_code == 200
    assert public.pk and internal.pk


def test_dashboard_participation_per_day_equals_direct_counts(campaign):
    from django.db import connection

    from participation.aid import services as aid
    from participation.models import CitizenProfile

    author = make_user(campaign, Role.CITIZEN, "stats@ex.fr")
    voters = [make_user(campaign, Role.CITIZEN, f"stats{n}@ex.fr") for n in range(3)]
    with tenant_context(campaign):
        for user in [author, *voters]:
            CitizenProfile.objects.create(user=user, email_confirmed_at=timezone.now())
        step = idea_box("Stats")
        proposals = [ideas.submit_proposal(step, author=author, title=f"Idée {n}", body="…") for n in range(2)]
        for v in voters:
            ideas.vote(proposals[0], v)
        moderation.hide(ideas.submit_proposal(step, author=author, title="Cachée", body="…"), moderator=None,
                        reason="x")  # fmt: skip
        aid.post_help(author=author, kind="request", category="Transport", title="Un trajet", body="…")
    organizer = make_user(campaign, Role.ORGANIZER)
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(organizer)
    chart = client.get("/equipe/tableau-de-bord/").context["charts"]["participation"]
    totals = [sum(row[i] for row in chart["rows"]) for i in range(1, len(chart["columns"]))]
    with tenant_context(campaign), connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM ideas_proposal WHERE visibility = 'visible'")
        visible = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM ideas_vote")
        votes = cur.fetchone()[0]
    assert chart["columns"][1:3] == ["Propositions", "Soutiens"]
    assert totals[:2] == [visible, votes] == [2, 3] and totals[-1] == 1
    csv_lines = client.get("/equipe/tableau-de-bord/participation.csv").content.decode().splitlines()
    assert csv_lines[0].startswith("Jour,Propositions,Soutiens")
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert client.get("/equipe/tableau-de-bord/", {"since": tomorrow}).context["charts"]["participation"]["rows"] == []


def test_public_map_shows_only_public_zones_by_name(campaign):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from crm.field.models import Zone

    with tenant_context(campaign):
        outline = MultiPolygon(Polygon.from_bbox((1.85, 47.85, 1.95, 47.95)), srid=4326)
        Zone.objects.create(name="Quartier Madeleine", code="QM", priority=1, geometry=outline, public=True,
                            notes="Priorité interne : ne pas publier")  # fmt: skip
        Zone.objects.create(name="Zone secrète", code="ZS", priority=1, geometry=outline)
    body = Client(HTTP_HOST=host_of(campaign)).get(f"/api/public/zones/?{BBOX}").json()
    assert [f["properties"] for f in body["features"]] == [{"name": "Quartier Madeleine"}]
    assert body["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
