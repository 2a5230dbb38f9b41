"""Actions, assignments, walk lists and field reports through the API the phone app uses."""

import datetime as dt
import json
import random
import uuid

import pytest
from django.contrib.gis.geos import Polygon
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from bench.synthetic import scatter_buildings
from campaigns.accounts.models import Role, Team
from crm.field import review
from crm.field.models import Assignment, FieldReport, ReviewBatch, Turf, Zone
from crm.field.turfs import cut_zone
from crm.models import ConsentEvent, Contact, Interaction
from tests.conftest import host_of, make_user

SURVEY = [
    {"id": "soutien", "label": "Soutien", "type": "scale", "updates": "support_level"},
    {"id": "sms", "label": "Accepte les SMS", "type": "yes_no", "updates": "consent_sms"},
    {"id": "aide", "label": "Veut aider", "type": "yes_no", "updates": "volunteer"},
    {"id": "sujet", "label": "Sujet", "type": "single", "choices": ["Logement", "Transports"], "updates": "tag"},
]


def client_for(campaign, user):
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(user)
    return client


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def field(shared_campaign, db):
    return make_field(shared_campaign)


def make_field(campaign):
    """A zone cut into turfs, a door-to-door action, a volunteer assigned to turf 1."""
    organizer = make_user(campaign, Role.ORGANIZER)
    volunteer = make_user(campaign, Role.VOLUNTEER)
    other = make_user(campaign, Role.VOLUNTEER)
    with tenant_context(campaign):
        zone = Zone.objects.create(name="Bourgneuf", code="BN", geometry=_square())
        scatter_buildings(zone.pk, 120, seed=4)
        turfs = cut_zone(zone, doors_per_turf=60)
    org = client_for(campaign, organizer)
    today = timezone.localdate()
    action = post_json(org, "/api/actions/", {
        "name": "Porte-à-porte de novembre", "kind": "door", "zones": [zone.pk],
        "starts_on": str(today - dt.timedelta(days=1)), "ends_on": str(today + dt.timedelta(days=7)),
        "objective": 100, "script": "Bonjour, je viens de la part de la liste…", "survey": SURVEY,
    })  # fmt: skip
    assert action.status_code == 201, action.content
    now = timezone.now()
    assignment = post_json(org, "/api/assignments/", {
        "action": action.json()["id"], "turf": turfs[0].pk, "volunteer": volunteer.pk,
        "starts_at": (now - dt.timedelta(hours=2)).isoformat(), "ends_at": (now + dt.timedelta(hours=6)).isoformat(),
    })  # fmt: skip
    assert assignment.status_code == 201, assignment.content
    return {
        "campaign": campaign, "organizer": organizer, "volunteer": volunteer, "other": other, "turfs": turfs,
        "action": action.json(), "assignment": assignment.json()["id"], "zone": zone,
    }  # fmt: skip


def _square():
    from django.contrib.gis.geos import MultiPolygon

    return MultiPolygon(Polygon.from_bbox((1.90, 47.90, 1.92, 47.91)), srid=4326)


def door_reports(walk, action_id, turf_id, n, result="talked", answers=None):
    doors = [(b, d) for s in walk["streets"] for b in s["buildings"] for d in b["doors"]]
    reports = []
    for building, door in doors[:n]:
        person = door["people"][0]["id"] if door["people"] else None
        reports.append({
            "uuid": str(uuid.uuid4()), "action": action_id, "turf": turf_id, "address": building["address"],
            "household": door["household"], "contact": person, "result": result, "answers": answers or {},
            "done_at": timezone.now().isoformat(),
        })  # fmt: skip
    return reports


def test_volunteer_sees_their_assignment_and_walk_list_without_sensitive_fields(field):
    client = client_for(field["campaign"], field["volunteer"])
    mine = client.get("/api/assignments/", {"current": 1}).json()
    assert [a["id"] for a in mine] == [field["assignment"]]
    assert mine[0]["action_detail"]["survey"][0]["id"] == "soutien"
    assert [c["code"] for c in mine[0]["action_detail"]["result_codes"]][:2] == ["not_home", "talked"]
    walk = client.get(f"/api/assignments/{field['assignment']}/walk-list/").json()
    buildings = [b for s in walk["streets"] for b in s["buildings"]]
    with tenant_context(field["campaign"]):
        turf = Turf.objects.get(pk=field["turfs"][0].pk)
        assert len(buildings) == turf.addresses.count()
        assert sum(len(b["doors"]) for b in buildings) == turf.door_count
    assert [b["position"] for b in buildings] == list(range(1, len(buildings) + 1))
    people = [p for b in buildings for d in b["doors"] for p in d["people"]]
    assert people and all(set(p) == {"id", "first_names", "last_name"} for p in people)
    # The base itself stays closed to volunteers.
    assert client.get("/api/contacts/").status_code == 403


def test_replaying_an_offline_batch_three_times_in_any_order_stores_each_report_once(field):
    client = client_for(field["campaign"], field["volunteer"])
    walk = client.get(f"/api/assignments/{field['assignment']}/walk-list/").json()
    batch = door_reports(walk, field["action"]["id"], field["turfs"][0].pk, 12)
    first = post_json(client, "/api/reports/", {"reports": batch}).json()["results"]
    assert [r["status"] for r in first] == [201] * 12
    rng = random.Random(1)
    for _ in range(2):
        shuffled = batch[:]
        rng.shuffle(shuffled)
        again = post_json(client, "/api/reports/", {"reports": shuffled}).json()["results"]
        assert [r["status"] for r in again] == [200] * 12
        assert {r["uuid"]: r["report"]["id"] for r in again} == {r["uuid"]: r["report"]["id"] for r in first}
    single = post_json(client, "/api/reports/", batch[0])
    assert single.status_code == 200
    with tenant_context(field["campaign"]):
        assert FieldReport.objects.count() == 12
        # All twelve wait in the volunteer's one review batch of the day; committed,
        # each contact's timeline gets its line once.
        [review_batch] = ReviewBatch.objects.all()
        assert review_batch.reports.count() == 12
        assert not Interaction.objects.filter(kind=Interaction.Kind.FIELD_REPORT).exists()
        review.commit(review_batch)
        review.commit(review_batch)
        assert Interaction.objects.filter(kind=Interaction.Kind.FIELD_REPORT).count() == sum(
            1 for r in batch if r["contact"]
        )
    today = client.get("/api/reports/today/").json()
    assert today["total"] == 12 and today["by_result"] == {"talked": 12}
    walk = client.get(f"/api/assignments/{field['assignment']}/walk-list/").json()
    done = [d for s in walk["streets"] for b in s["buildings"] for d in b["doors"] if d["done"]]
    assert len(done) == 12


def test_answers_update_the_contact_and_its_timeline(field):
    client = client_for(field["campaign"], field["volunteer"])
    walk = client.get(f"/api/assignments/{field['assignment']}/walk-list/").json()
    answers = {"soutien": 4, "sms": True, "aide": True, "sujet": "Logement"}
    report = door_reports(walk, field["action"]["id"], field["turfs"][0].pk, 1, answers=answers)[0]
    assert post_json(client, "/api/reports/", report).status_code == 201
    with tenant_context(field["campaign"]):
        contact = Contact.objects.get(pk=report["contact"])
        assert contact.support_level is None  # waiting for review
        review.commit(ReviewBatch.objects.get())
        contact.refresh_from_db()
        assert contact.support_level == 4 and contact.consent_sms is True
        assert {t.name for t in contact.tags.all()} == {"Logement", "Veut s'engager"}
        assert contact.last_contacted_at is not None
        assert ConsentEvent.objects.filter(contact=contact, channel="sms", granted=True).exists()
    bad = door_reports(walk, field["action"]["id"], field["turfs"][0].pk, 1, answers={"soutien": 9})[0]
    response = post_json(client, "/api/reports/", bad)
    assert response.status_code == 400 and "Soutien" in response.json()["detail"]


def test_reports_outside_the_assignment_are_refused_and_stored_nowhere(field, campaign_b):
    volunteer, other = field["volunteer"], field["other"]
    client = client_for(field["campaign"], volunteer)
    with tenant_context(field["campaign"]):
        own_walk = client.get(f"/api/assignments/{field['assignment']}/walk-list/").json()
        other_turf = field["turfs"][1]
        foreign_address = other_turf.addresses.first()
    action_id = field["action"]["id"]
    probes = {
        "other turf": {**door_reports(own_walk, action_id, field["turfs"][0].pk, 1)[0], "turf": other_turf.pk,
                       "address": foreign_address.pk, "household": None, "contact": None},
        "address outside the turf": {**door_reports(own_walk, action_id, field["turfs"][0].pk, 1)[0],
                                     "address": foreign_address.pk, "household": None, "contact": None},
        "before the assignment": {**door_reports(own_walk, action_id, field["turfs"][0].pk, 1)[0],
                                  "done_at": (timezone.now() - dt.timedelta(days=1)).isoformat()},
        "unknown action": {**door_reports(own_walk, action_id, field["turfs"][0].pk, 1)[0], "action": 999999},
    }  # fmt: skip
    for what, report in probes.items():
        response = post_json(client, "/api/reports/", report)
        assert response.status_code == 403, what
    # Someone without an assignment, and someone from another campaign.
    stranger = client_for(field["campaign"], other)
    assert (
        post_json(stranger, "/api/reports/", door_reports(own_walk, action_id, field["turfs"][0].pk, 1)[0]).status_code
        == 403
    )
    assert stranger.get(f"/api/assignments/{field['assignment']}/walk-list/").status_code == 404
    elsewhere = campaign_b
    outsider = client_for(elsewhere, make_user(elsewhere, Role.VOLUNTEER))
    outsider.defaults["HTTP_HOST"] = host_of(field["campaign"])
    assert post_json(
        outsider, "/api/reports/", door_reports(own_walk, action_id, field["turfs"][0].pk, 1)[0]
    ).status_code in (401, 403)
    # An assignment that has ended.
    with tenant_context(field["campaign"]):
        Assignment.objects.filter(pk=field["assignment"]).update(
            starts_at=timezone.now() - dt.timedelta(days=3), ends_at=timezone.now() - dt.timedelta(days=2)
        )
    assert client.get(f"/api/assignments/{field['assignment']}/walk-list/").status_code == 403
    late = door_reports(own_walk, action_id, field["turfs"][0].pk, 1)[0]
    late["done_at"] = (timezone.now() - dt.timedelta(days=2, hours=12)).isoformat()
    assert post_json(client, "/api/reports/", late).status_code == 403
    with tenant_context(field["campaign"]):
        assert not FieldReport.objects.exists()


def test_bad_reports_get_a_message_naming_the_field(field):
    client = client_for(field["campaign"], field["volunteer"])
    base = {"uuid": str(uuid.uuid4()), "action": field["action"]["id"], "turf": field["turfs"][0].pk,
            "result": "talked", "done_at": timezone.now().isoformat()}  # fmt: skip
    cases = {
        "uuid": {**base, "uuid": "pas-un-uuid"},
        "done_at": {**base, "done_at": "hier"},
        "result": {**base, "result": "inventé"},
        "leaflets": {**base, "leaflets": -3},
        "location": {**base, "location": {"longitude": 500, "latitude": 0}},
        "household": {**base, "household": 2**63},  # past the database's bigint
        "contact": {**base, "contact": -1},
        "covered": {**base, "covered": {"type": "Cercle"}},
    }
    for name, report in cases.items():
        response = post_json(client, "/api/reports/", report)
        assert response.status_code == 400, name
        assert name in response.json()["detail"] or "inventé" in response.json()["detail"], name
    assert post_json(client, "/api/reports/", {"reports": "x"}).status_code == 400
    with tenant_context(field["campaign"]):
        assert not FieldReport.objects.exists()


def test_organizer_gets_clear_errors_for_a_bad_survey_and_cuts_zones_through_the_api(field):
    org = client_for(field["campaign"], field["organizer"])
    response = post_json(org, "/api/actions/", {
        "name": "Phoning", "kind": "phone", "starts_on": "2026-12-01", "ends_on": "2026-11-01",
        "survey": [{"id": "q", "label": "Quoi ?", "type": "roman"}],
    })  # fmt: skip
    assert response.status_code == 400
    assert "roman" in json.dumps(response.json(), ensure_ascii=False)
    cut = post_json(org, f"/api/zones/{field['zone'].pk}/cut/", {"doors_per_turf": 50})
    assert cut.status_code == 400 and "affectés" in cut.json()["doors_per_turf"][0]
    volunteer = client_for(field["campaign"], field["volunteer"])
    assert post_json(volunteer, f"/api/zones/{field['zone'].pk}/cut/", {"doors_per_turf": 50}).status_code == 403


def test_team_progress_counts_doors_reached_people_and_ranks_volunteers(field):
    campaign = field["campaign"]
    leader = make_user(campaign, Role.TEAM_LEADER)
    with tenant_context(campaign):
        team = Team.objects.create(name="Équipe Nord")
        team.leaders.add(leader)
        team.members.add(field["volunteer"])
    client = client_for(campaign, field["volunteer"])
    walk = client.get(f"/api/assignments/{field['assignment']}/walk-list/").json()
    reports = door_reports(walk, field["action"]["id"], field["turfs"][0].pk, 5)
    for r in reports[:2]:
        r["result"] = "not_home"
    post_json(client, "/api/reports/", {"reports": reports})
    progress = client_for(campaign, leader).get(f"/api/actions/{field['action']['id']}/progress/").json()
    assert progress["done"] == 5 and progress["reached"] == 3 and progress["percent"] == 5.0
    [me] = progress["volunteers"]
    assert me["results"] == {"talked": 3, "not_home": 2} and me["rank"] == 1
    assert progress["teams"] == [{"team": team.pk, "name": "Équipe Nord", "reports": 5, "doors": 5, "reached": 3,
                                  "leaflets": 0, "measure": 5}]  # fmt: skip
    assert client.get(f"/api/actions/{field['action']['id']}/progress/").status_code == 403
    # The action's page ranks them too, with the results in the action's words.
    page = client_for(campaign, leader).get(f"/equipe/actions/{field['action']['id']}/").content.decode()
    assert "Ouvert / discuté : 3, Absent : 2" in page


def test_a_turf_prints_as_a_pdf_with_its_map_and_walk_list(field):
    client = client_for(field["campaign"], field["volunteer"])
    response = client.get(f"/api/assignments/{field['assignment']}/printable/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    pages = response.content.count(b"/Type /Page\n") or response.content.count(b"/Type /Page")
    assert pages >= 2  # the map, then the walk list
    stranger = client_for(field["campaign"], field["other"])
    assert stranger.get(f"/api/assignments/{field['assignment']}/printable/").status_code == 404
    org = client_for(field["campaign"], field["organizer"])
    page = org.get(f"/equipe/actions/{field['action']['id']}/").content.decode()
    link = f"/equipe/secteurs/{field['turfs'][0].pk}/imprimer/?action={field['action']['id']}"
    assert link in page.replace("&amp;", "&")
    printed = org.get(link)
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")
