"""The team's pages for field actions: create, cut turfs, assign, follow progress."""

import datetime as dt

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from bench.synthetic import scatter_buildings
from campaigns.accounts.models import Role
from crm.field.actions import BadSurvey
from crm.field.forms import survey_from_text, survey_to_text
from crm.field.models import Action, Assignment, CallListEntry, Turf, Zone
from crm.models import Contact, Segment
from tests.conftest import host_of, make_user


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def logged_in(campaign, role):
    user = make_user(campaign, role)
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(user)
    return client, user


def test_survey_typed_one_question_per_line_round_trips():
    text = (
        "Soutien | échelle | | soutien\n"
        "Accepte les SMS | oui/non | | accord SMS\n"
        "Sujet | choix | Logement / Transports | étiquette\n"
        "Adhérent ? | oui/non | | étiquette: Adhérent\n"
        "Remarque | texte"
    )
    survey = survey_from_text(text)
    assert [q["type"] for q in survey] == ["scale", "yes_no", "single", "yes_no", "text"]
    assert survey[2]["choices"] == ["Logement", "Transports"] and survey[3]["tag"] == "Adhérent"
    assert survey_from_text(survey_to_text(survey)) == survey
    with pytest.raises(BadSurvey, match="Ligne 2 : type « roman »"):
        survey_from_text("Soutien | échelle\nQuoi | roman")
    with pytest.raises(BadSurvey, match="Ligne 1 : « âge »"):
        survey_from_text("Âge | texte | | âge")


def test_organizer_creates_an_action_cuts_a_zone_and_assigns_a_volunteer(campaign):
    client, _organizer = logged_in(campaign, Role.ORGANIZER)
    volunteer = make_user(campaign, Role.VOLUNTEER)
    with tenant_context(campaign):
        outline = MultiPolygon(Polygon.from_bbox((1.9, 47.9, 1.91, 47.905)), srid=4326)
        zone = Zone.objects.create(name="Les Aubiers", code="AUB", geometry=outline)
        scatter_buildings(zone.pk, 300, seed=8)
    bad = client.post("/equipe/actions/", {"name": "PAP", "kind": "door", "starts_on": "2026-12-05",
                                           "ends_on": "2026-12-01", "survey_text": "Soutien | roman"})  # fmt: skip
    assert bad.status_code == 200
    assert (
        "Ligne 1 : type « roman » inconnu" in bad.content.decode()
        and "La fin est avant le début" in bad.content.decode()
    )
    response = client.post("/equipe/actions/", {
        "name": "Porte-à-porte des Aubiers", "kind": "door", "starts_on": "2026-12-01", "ends_on": "2026-12-05",
        "objective": 400, "zones": [zone.pk], "script": "Bonjour !", "survey_text": "Soutien | échelle | | soutien",
    })  # fmt: skip
    with tenant_context(campaign):
        action = Action.objects.get(name="Porte-à-porte des Aubiers")
    assert response.status_code == 302 and response["Location"] == f"/equipe/actions/{action.pk}/"
    assert action.survey[0]["updates"] == "support_level" and action.result_codes[0]["code"] == "not_home"

    cut = client.post(f"/equipe/actions/{action.pk}/", {"form": "cut", "cut-zone": zone.pk, "cut-doors_per_turf": 100})
    assert cut.status_code == 302
    with tenant_context(campaign):
        turf = Turf.objects.filter(zone=zone).order_by("name").first()
    now = timezone.localtime()
    later = now + dt.timedelta(hours=3)
    assign = client.post(f"/equipe/actions/{action.pk}/", {
        "form": "assign", "assign-turf": turf.pk, "assign-volunteer": volunteer.pk,
        "assign-starts_at": now.strftime("%Y-%m-%dT%H:%M"), "assign-ends_at": later.strftime("%Y-%m-%dT%H:%M"),
    })  # fmt: skip
    assert assign.status_code == 302
    with tenant_context(campaign):
        assert Assignment.objects.get(action=action).volunteer == volunteer
    page = client.get(f"/equipe/actions/{action.pk}/").content.decode()
    assert turf.name in page and volunteer.public_name in page and "0 sur 400" in page
    no_one = client.post(f"/equipe/actions/{action.pk}/", {"form": "assign", "assign-turf": turf.pk,
                                                          "assign-starts_at": "2026-12-01T09:00",
                                                          "assign-ends_at": "2026-12-01T08:00"})  # fmt: skip
    assert "Affectez à un ou une bénévole" in no_one.content.decode()


def test_a_phone_bank_gets_its_call_list_from_its_segment(campaign):
    client, _organizer = logged_in(campaign, Role.ORGANIZER)
    with tenant_context(campaign):
        for i in range(3):
            Contact.objects.create(first_names=f"A{i}", birth_name="Appel", phone=f"+3361234567{i}", source="phoning")
        Contact.objects.create(first_names="Refus", birth_name="Appel", phone="+33612345679", source="phoning",
                               consent_phone=False)  # fmt: skip
        segment = Segment.objects.create(name="À appeler", filters={"source": "phoning"})
    missing = client.post("/equipe/actions/", {"name": "Phoning", "kind": "phone", "starts_on": "2026-12-01",
                                               "ends_on": "2026-12-01"})  # fmt: skip
    assert "choisissez-le" in missing.content.decode()
    client.post("/equipe/actions/", {"name": "Phoning", "kind": "phone", "starts_on": "2026-12-01",
                                     "ends_on": "2026-12-01", "segment": segment.pk})  # fmt: skip
    with tenant_context(campaign):
        action = Action.objects.get(name="Phoning")
        assert CallListEntry.objects.filter(action=action).count() == 3
    assert "0 personnes traitées sur 3" in client.get(f"/equipe/actions/{action.pk}/").content.decode()


def test_team_leaders_follow_actions_and_volunteers_use_the_app(campaign):
    with tenant_context(campaign):
        today = timezone.localdate()
        action = Action.objects.create(name="Tractage marché", kind="leafleting", starts_on=today, ends_on=today)
    leader, _ = logged_in(campaign, Role.TEAM_LEADER)
    page = leader.get(f"/equipe/actions/{action.pk}/")
    assert page.status_code == 200 and "Découper" not in page.content.decode()
    assert leader.post("/equipe/actions/", {"name": "x"}).status_code == 200  # no form for them: nothing created
    with tenant_context(campaign):
        assert Action.objects.count() == 1
    volunteer, _ = logged_in(campaign, Role.VOLUNTEER)
    assert volunteer.get("/equipe/actions/").status_code == 403
    assert volunteer.get("/terrain/").status_code == 200
