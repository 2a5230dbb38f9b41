"""Indicators on zones, the priority score, and the zones API."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from crm.field.models import Zone
from crm.field.targeting import BadIndicators, import_indicators, set_weights
from crm.field.zones import import_zones
from tests.conftest import SHARED, host_of, make_user

CANTONS = SHARED / "data" / "geo" / "cantons-14-calvados.geojson"


@pytest.fixture
def campaign(shared_campaign, db):
    with tenant_context(shared_campaign):
        import_zones(CANTONS.read_bytes())
    return shared_campaign


def three_codes(campaign):
    with tenant_context(campaign):
        return list(Zone.objects.order_by("code").values_list("code", flat=True)[:3])


def test_indicators_and_weights_rank_the_zones_by_the_documented_formula(campaign):
    a, b, c = three_codes(campaign)
    csv_text = f"code;inscrits;abstention 2020\n{a};1 000;40,0\n{b};3000;20\n{c};2000;60 %\n"
    with tenant_context(campaign):
        assert import_indicators(csv_text.encode("cp1252")) == 3
        set_weights({"inscrits": 1, "abstention 2020": 2})
        scores = dict(Zone.objects.filter(code__in=[a, b, c]).values_list("code", "score"))
        # scaled inscrits: a 0, b 1, c 0.5; scaled abstention: a 0.5, b 0, c 1
        assert scores == {a: pytest.approx(1.0), b: pytest.approx(1.0), c: pytest.approx(2.5)}
        assert Zone.objects.order_by("-score").first().code == c
        set_weights({"inscrits": -1})
        assert Zone.objects.get(code=a).score == pytest.approx(0.0)
        assert Zone.objects.get(code=b).score == pytest.approx(-1.0)


def test_bad_indicator_files_change_nothing_and_say_where(campaign):
    a, *_ = three_codes(campaign)
    with tenant_context(campaign):
        with pytest.raises(BadIndicators) as bad:
            import_indicators(f"code;inscrits\n{a};1200\n99999;10\n{a};beaucoup\n".encode())
        assert bad.value.problems == [
            "ligne 3 : aucune zone de code « 99999 »",
            "ligne 4, colonne « inscrits » : « beaucoup » n'est pas un nombre",
        ]
        assert Zone.objects.get(code=a).indicators == {}
    with pytest.raises(CommandError, match="File not found"):
        call_command("import_indicators", "--campaign", campaign.schema_name, str(SHARED / "absent.csv"))


def test_zones_api_gives_geojson_by_bounding_box_to_the_team(campaign):
    volunteer = make_user(campaign, Role.VOLUNTEER)
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(volunteer)
    everything = client.get("/api/zones/").json()
    assert everything["type"] == "FeatureCollection" and len(everything["features"]) == 25
    caen = client.get("/api/zones/", {"in_bbox": "-0.40,49.17,-0.35,49.20"}).json()["features"]
    assert 0 < len(caen) < 25
    assert client.put("/api/zones/weights/", {"weights": {"x": 1}}, content_type="application/json").status_code == 403


def test_organizer_uploads_zones_and_indicators_through_the_api(campaign):
    organizer = make_user(campaign, Role.ORGANIZER)
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(organizer)
    bad = client.post("/api/zones/import/", {"file": io.BytesIO(b"pas du json")})
    assert bad.status_code == 400 and "GeoJSON" in bad.json()["file"][0]
    again = client.post("/api/zones/import/", {"file": io.BytesIO(CANTONS.read_bytes())}).json()
    assert (again["created"], again["updated"]) == (0, 25)
    a, b, _c = three_codes(campaign)
    upload = io.BytesIO(f"code,inscrits\n{a},100\n{b},300\n".encode())
    assert client.post("/api/zones/indicators/", {"file": upload}).json() == {"zones": 2}
    client.put("/api/zones/weights/", json.dumps({"weights": {"inscrits": 1}}), content_type="application/json")
    ranked = client.get("/api/zones/").json()["features"]
    assert ranked[0]["properties"]["code"] == b and ranked[0]["properties"]["score"] == pytest.approx(1.0)


def test_organizer_attaches_indicators_and_sets_weights_from_the_zone_page(campaign):
    organizer = make_user(campaign, Role.ORGANIZER)
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(organizer)
    a, b, _c = three_codes(campaign)
    upload = io.BytesIO(f"code;abstention\n{a};10\n{b};30\n".encode())
    upload.name = "indicateurs.csv"
    page = client.post("/equipe/zones/", {"form": "indicators", "file": upload, "key_field": "code"}, follow=True)
    assert "Indicateurs attachés à 2 zones" in page.content.decode()
    bad = client.post("/equipe/zones/", {"form": "weights", "weights": "abstention = beaucoup"}, follow=True)
    assert "Ligne 1" in bad.content.decode()
    ok = client.post("/equipe/zones/", {"form": "weights", "weights": "abstention = 2"}, follow=True)
    assert "Pondération enregistrée" in ok.content.decode() and "abstention = 2" in ok.content.decode()
    with tenant_context(campaign):
        assert Zone.objects.get(code=b).score == pytest.approx(2.0)
        assert Zone.objects.get(code=a).score == pytest.approx(0.0)


def test_a_turf_drawn_by_hand_holds_the_buildings_it_covers(campaign):
    from bench.synthetic import scatter_buildings
    from crm.field.models import Turf

    organizer = make_user(campaign, Role.ORGANIZER)
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(organizer)
        zone = Zone.objects.order_by("code").first()
        scatter_buildings(zone.pk, 50, seed=5, flats_every=10**9)
        x0, y0, x1, y1 = zone.geometry.extent
    square = {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}
    response = client.post("/api/turfs/", json.dumps({"type": "Feature", "geometry": square,
                                                      "properties": {"name": "Tout le canton"}}),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    with tenant_context(campaign):
        turf = Turf.objects.get(name="Tout le canton")
        assert turf.door_count == turf.addresses.count() == 50
