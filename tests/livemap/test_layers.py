"""The map's layers by viewport: counts that add up, filters, coverage, who sees support."""

import datetime as dt
import uuid

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from bench.synthetic import scatter_buildings
from campaigns.accounts.models import Role
from crm.field.actions import default_result_codes
from crm.field.models import Action, FieldReport, Zone
from crm.field.turfs import cut_zone
from crm.models import Contact
from livemap.cells import rebuild as rebuild_cells
from tests.conftest import host_of, make_user

BOX = "1.89,47.89,1.94,47.92"


@pytest.fixture
def field(shared_campaign, db):
    campaign = shared_campaign
    with tenant_context(campaign):
        outline = MultiPolygon(Polygon.from_bbox((1.90, 47.90, 1.92, 47.91)), srid=4326)
        zone = Zone.objects.create(name="Centre", code="C", priority=1, geometry=outline)
        scatter_buildings(zone.pk, 200, seed=6, flats_every=10**9)
        turfs = cut_zone(zone, doors_per_turf=50)
        today = timezone.localdate()
        door = Action.objects.create(name="PAP", kind="door", starts_on=today, ends_on=today,
                                     result_codes=default_result_codes("door"))  # fmt: skip
        phone = Action.objects.create(name="Phoning", kind="phone", starts_on=today, ends_on=today,
                                      result_codes=default_result_codes("phone"))  # fmt: skip
        first = turfs[0]
        addresses = list(first.addresses.all()[:20])
        for i, address in enumerate(addresses):
            FieldReport.objects.create(
                uuid=uuid.uuid4(), action=door, turf=first, address=address, result="talked" if i % 2 else "not_home",
                reached=bool(i % 2), location=address.point, done_at=timezone.now() - dt.timedelta(days=i % 3),
            )  # fmt: skip
        FieldReport.objects.create(uuid=uuid.uuid4(), action=phone, result="talked", reached=True,
                                   location=Point(1.91, 47.905, srid=4326), done_at=timezone.now())  # fmt: skip
        rebuild_cells()  # reports made in bulk above; the API keeps the cells current by itself
        for c in Contact.objects.filter(household__address__in=addresses[:10]):
            c.support_level, c.last_contacted_at = (5 if c.pk % 2 else 2), timezone.now()
            c.save()
    return {"campaign": campaign, "door": door, "phone": phone, "turf": first, "addresses": addresses}


def client_for(campaign, role):
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(make_user(campaign, role))
    return client


def test_report_cells_and_points_add_up_to_the_reports_in_the_view(field):
    client = client_for(field["campaign"], Role.TEAM_LEADER)
    for zoom in (9, 12, 14):
        cells = client.get("/api/map/reports/", {"bbox": BOX, "zoom": zoom}).json()
        assert cells["mode"] == "cells"
        assert sum(f["properties"]["count"] for f in cells["features"]) == 21
        assert sum(f["properties"]["reached"] for f in cells["features"]) == 11
    points = client.get("/api/map/reports/", {"bbox": BOX, "zoom": 16}).json()
    assert points["mode"] == "points" and len(points["features"]) == 21
    only_door = client.get("/api/map/reports/", {"bbox": BOX, "zoom": 16, "kind": "door", "result": "talked"}).json()
    assert len(only_door["features"]) == 10
    today = timezone.localdate().isoformat()
    assert len(client.get("/api/map/reports/", {"bbox": BOX, "zoom": 16, "since": today}).json()["features"]) == 8
    elsewhere = client.get("/api/map/reports/", {"bbox": "2.5,48.5,2.6,48.6", "zoom": 16}).json()
    assert elsewhere["features"] == []
    with connection.cursor() as cur, tenant_context(field["campaign"]):
        cur.execute("SELECT count(*) FROM field_fieldreport WHERE action_id = %s AND result = 'talked'",
                    [field["door"].pk])  # fmt: skip
        assert cur.fetchone()[0] == len(only_door["features"])


def test_report_points_and_the_result_filter_speak_the_actions_words(field):
    """A point says what happened in the words of its action ("Absent", not
    "not_home"), its action's own words if it has some; the map's result filter
    offers those words."""
    with tenant_context(field["campaign"]):
        door = field["door"]
        door.result_codes = [{**c, "label": "Pas là"} if c["code"] == "not_home" else c for c in door.result_codes]
        door.save()
        Action.objects.filter(pk=field["phone"].pk).update(result_codes=[])  # its kind's defaults
    client = client_for(field["campaign"], Role.TEAM_LEADER)
    points = client.get("/api/map/reports/", {"bbox": BOX, "zoom": 16}).json()["features"]
    labels = {(p["properties"]["kind"], p["properties"]["result"], p["properties"]["result_label"]) for p in points}
    assert labels == {("door", "not_home", "Pas là"), ("door", "talked", "Ouvert / discuté"),
                      ("phone", "talked", "Discuté")}  # fmt: skip
    page = client.get("/equipe/carte/").content.decode()
    assert '<option value="not_home">Pas là</option>' in page
    assert '<optgroup label="Phoning"><option value="no_answer">Pas de réponse</option>' in page
    assert '<optgroup label="Boîtage"><option value="dropped">' in page  # no such action yet: the defaults


def test_reports_sent_through_the_api_are_counted_in_the_cells_at_once(field, django_capture_on_commit_callbacks):
    organizer = client_for(field["campaign"], Role.ORGANIZER)
    before = organizer.get("/api/map/reports/", {"bbox": BOX, "zoom": 10}).json()
    report = {"uuid": str(uuid.uuid4()), "action": field["door"].pk, "turf": field["turf"].pk,
              "address": field["addresses"][0].pk, "result": "talked"}  # fmt: skip
    report["done_at"] = timezone.now().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        assert organizer.post("/api/reports/", report, content_type="application/json").status_code == 201
    for zoom in (6, 10, 14):
        cells = organizer.get("/api/map/reports/", {"bbox": BOX, "zoom": zoom}).json()
        live = organizer.get("/api/map/reports/", {"bbox": BOX, "zoom": zoom, "since": "2000-01-01"}).json()
        assert sum(f["properties"]["count"] for f in cells["features"]) == 22
        assert sorted((f["properties"]["count"], f["properties"]["reached"]) for f in cells["features"]) == sorted(
            (f["properties"]["count"], f["properties"]["reached"]) for f in live["features"]
        )
    assert sum(f["properties"]["count"] for f in before["features"]) == 21


def test_zones_and_turfs_carry_coverage_and_support_only_for_those_who_may_see_it(field):
    organizer = client_for(field["campaign"], Role.ORGANIZER)
    turfs = organizer.get("/api/map/turfs/", {"bbox": BOX, "zoom": 14}).json()["features"]
    first = next(f for f in turfs if f["properties"]["id"] == field["turf"].pk)
    assert first["properties"]["visited"] == 20 and first["properties"]["doors"] == 50
    assert first["properties"]["coverage"] == 0.4
    assert first["properties"]["support"] is not None
    zones = organizer.get("/api/map/zones/", {"bbox": BOX, "zoom": 14}).json()["features"]
    assert zones[0]["properties"]["visited"] == 20 and zones[0]["properties"]["doors"] == 200
    volunteer = client_for(field["campaign"], Role.VOLUNTEER)
    assert (
        "support" not in volunteer.get("/api/map/turfs/", {"bbox": BOX, "zoom": 14}).json()["features"][0]["properties"]
    )


def test_bad_viewports_get_a_clear_400_and_citizens_get_nothing(field):
    client = client_for(field["campaign"], Role.ORGANIZER)
    for params in ({"bbox": "a,b,c,d"}, {"bbox": "2,48,1,47"}, {"bbox": BOX, "zoom": 40}, {}):
        response = client.get("/api/map/reports/", params)
        assert response.status_code == 400 and "bbox" in response.json()
    assert client.get("/api/map/reports/", {"bbox": BOX, "since": "hier"}).status_code == 400
    citizen = client_for(field["campaign"], Role.CITIZEN)
    assert citizen.get("/api/map/reports/", {"bbox": BOX}).status_code == 403
    assert citizen.get("/equipe/carte/").status_code == 403
    page = client.get("/equipe/carte/")
    assert page.status_code == 200 and "vendor/leaflet/leaflet.js" in page.content.decode()
    script = client.get("/equipe/carte/carte.js").content.decode()
    assert "var map_staff = L.map(" in script and "feature_group_support" in script
    assert (
        "feature_group_support"
        not in client_for(field["campaign"], Role.VOLUNTEER).get("/equipe/carte/carte.js").content.decode()
    )


def test_dashboard_numbers_equal_counts_made_directly_in_sql(field):
    organizer = client_for(field["campaign"], Role.ORGANIZER)
    page = organizer.get("/equipe/tableau-de-bord/")
    assert page.status_code == 200
    charts = page.context["charts"]
    with connection.cursor() as cur, tenant_context(field["campaign"]):
        # Results in the actions' words: a door "talked" is "Ouvert / discuté", a call's "Discuté".
        cur.execute("SELECT a.kind, r.result, count(*) FROM field_fieldreport r "
                    "JOIN field_action a ON a.id = r.action_id GROUP BY 1, 2")  # fmt: skip
        words = {(kind, c["code"]): c["label"] for kind in ("door", "phone") for c in default_result_codes(kind)}
        assert dict(map(tuple, charts["results"]["rows"])) == {words[k, r]: n for k, r, n in cur.fetchall()}
        assert set(dict(map(tuple, charts["results"]["rows"]))) == {"Absent", "Ouvert / discuté", "Discuté"}
        cur.execute("SELECT count(*) FILTER (WHERE address_id IS NOT NULL), count(*) FILTER (WHERE reached) "
                    "FROM field_fieldreport")  # fmt: skip
        doors, reached = cur.fetchone()
    assert sum(r[1] for r in charts["per_day"]["rows"]) == doors == 20
    assert sum(r[2] for r in charts["per_day"]["rows"]) == reached == 11
    assert {r[0]: r[1] for r in charts["actions"]["rows"]} == {"PAP": 20, "Phoning": 1}
    assert "support" in charts
    filtered = organizer.get("/equipe/tableau-de-bord/", {"kind": "phone"}).context["charts"]
    assert filtered["results"]["rows"] == [["Discuté", 1]]
    csv_lines = organizer.get("/equipe/tableau-de-bord/results.csv").content.decode().splitlines()
    assert csv_lines[0] == "Résultat,Comptes rendus" and len(csv_lines) == 4
    assert organizer.get("/equipe/tableau-de-bord/inconnu.csv").status_code == 404
    # Days: in words in the page's tables, ISO in the CSV (spreadsheets read it as a date).
    days = [row[0] for row in charts["per_day"]["rows"]]
    html = page.content.decode()
    assert all(f'<time datetime="{day}">' in html and f"<td>{day}</td>" not in html for day in days)
    per_day_csv = organizer.get("/equipe/tableau-de-bord/per_day.csv").content.decode().splitlines()
    assert [line.split(",")[0] for line in per_day_csv[1:]] == days
    leader = client_for(field["campaign"], Role.TEAM_LEADER)
    assert "support" not in leader.get("/equipe/tableau-de-bord/").context["charts"]
    assert client_for(field["campaign"], Role.VOLUNTEER).get("/equipe/tableau-de-bord/").status_code == 403


def test_volunteer_positions_only_shared_ones_during_an_assignment_for_their_leaders(field):
    from campaigns.accounts.models import Team
    from crm.field.models import Assignment

    campaign = field["campaign"]
    sharing, silent, done = (make_user(campaign, Role.VOLUNTEER) for _ in range(3))
    leader, other_leader = make_user(campaign, Role.TEAM_LEADER), make_user(campaign, Role.TEAM_LEADER)
    now = timezone.now()
    with tenant_context(campaign):
        team = Team.objects.create(name="Nord")
        team.leaders.add(leader)
        team.members.add(sharing, silent, done)
        Team.objects.create(name="Sud").leaders.add(other_leader)
        for user, hours in ((sharing, 2), (silent, 2), (done, -1)):
            window = {"starts_at": now - dt.timedelta(hours=3), "ends_at": now + dt.timedelta(hours=hours)}
            Assignment.objects.create(action=field["door"], turf=field["turf"], volunteer=user, **window)
        address = field["addresses"][0]
        for user, source in ((sharing, "gps"), (silent, "address"), (done, "gps")):
            FieldReport.objects.create(uuid=uuid.uuid4(), action=field["door"], turf=field["turf"], volunteer=user,
                                       address=address, result="talked", location=Point(1.905, 47.905, srid=4326),
                                       location_source=source, done_at=now - dt.timedelta(minutes=5))  # fmt: skip

    def seen(user):
        client = Client(HTTP_HOST=host_of(campaign))
        with tenant_context(campaign):
            client.force_login(user)
        response = client.get("/api/map/volunteers/")
        return response.status_code, [f["properties"]["volunteer"] for f in response.json().get("features", [])]

    assert seen(leader) == (200, [sharing.pk])
    assert seen(other_leader) == (200, [])
    assert seen(sharing)[0] == 403
