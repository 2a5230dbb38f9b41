"""Cutting zones into turfs and ordering walk lists."""

import json
import math
import random

import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django_tenants.utils import tenant_context

from bench.synthetic import scatter_buildings
from crm.field.models import Turf, Zone
from crm.field.turfs import CannotCut, cut_zone, walk_order
from crm.field.zones import as_multipolygon
from tests.conftest import SHARED

GEO = SHARED / "data" / "geo"


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def real_commune(code, path="communes-45-loiret.geojson"):
    features = json.loads((GEO / path).read_text(encoding="utf-8"))["features"]
    feature = next(f for f in features if f["properties"]["code"] == code)
    geometry, _ = as_multipolygon(GEOSGeometry(json.dumps(feature["geometry"]), srid=4326))
    return Zone.objects.create(name=feature["properties"]["nom"], code=code, geometry=geometry)


def test_cutting_a_real_commune_puts_every_address_in_exactly_one_turf(campaign):
    with tenant_context(campaign):
        zone = real_commune("45234")  # Orléans: concave outline along the Loire
        doors = scatter_buildings(zone.pk, 3000, seed=7)
        turfs = cut_zone(zone, doors_per_turf=150)

        assert len(turfs) == round(doors / 150)
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*), count(DISTINCT address_id) FROM field_turf_addresses ta "
                "JOIN field_turf t ON t.id = ta.turf_id WHERE t.zone_id = %s",
                [zone.pk],
            )
            memberships, distinct = cur.fetchone()
            cur.execute("SELECT count(*) FROM crm_address WHERE point IS NOT NULL")
            addresses = cur.fetchone()[0]
        assert memberships == distinct == addresses

        counts = [t.door_count for t in turfs]
        assert sum(counts) == doors
        assert max(counts) <= 1.5 * min(counts)
        assert all(t.contact_count > 0 for t in turfs)
        # Each turf's outline holds its own buildings and the turfs tile the zone.
        with connection.cursor() as cur:
            cur.execute(
                """
                SELECT count(*) FROM field_turf_addresses ta JOIN field_turf t ON t.id = ta.turf_id
                JOIN crm_address a ON a.id = ta.address_id WHERE NOT ST_Covers(t.geometry, a.point)
                """
            )
            assert cur.fetchone()[0] == 0
            cur.execute(
                "SELECT ST_Area(ST_Union(t.geometry)::geography), sum(ST_Area(t.geometry::geography)), "
                "ST_Area(z.geometry::geography) FROM field_turf t JOIN field_zone z ON z.id = t.zone_id "
                "WHERE z.id = %s GROUP BY z.geometry",
                [zone.pk],
            )
            union, total, zone_area = cur.fetchone()
        assert total == pytest.approx(union, rel=1e-5)  # no overlap
        assert union == pytest.approx(zone_area, rel=1e-5)  # no gap


def test_cutting_again_replaces_the_turfs_unless_they_are_assigned(campaign):
    with tenant_context(campaign):
        zone = real_commune("45208")
        scatter_buildings(zone.pk, 400, seed=3)
        first = cut_zone(zone, doors_per_turf=100)
        second = cut_zone(zone, doors_per_turf=200)
        assert len(second) < len(first)
        assert Turf.objects.filter(zone=zone).count() == len(second)
        with pytest.raises(CannotCut, match="entre 10 et 5000"):
            cut_zone(zone, doors_per_turf=0)


def test_zone_without_addresses_cannot_be_cut(campaign):
    with tenant_context(campaign):
        zone = real_commune("45208")
        with pytest.raises(CannotCut, match="aucune adresse"):
            cut_zone(zone, doors_per_turf=150)
        assert not Turf.objects.exists()


def route_length(lon, lat, order):
    scale = math.cos(math.radians(sum(lat) / len(lat)))
    return sum(math.hypot((lon[a] - lon[b]) * scale, lat[a] - lat[b]) for a, b in zip(order, order[1:], strict=False))


def test_walk_order_visits_every_door_once_and_follows_the_street():
    rng = random.Random(5)
    # Doors around a ring road, given in random order: the walk should go round it.
    angles = [rng.uniform(0, 2 * math.pi) for _ in range(300)]
    lon = [1.9 + 0.01 * math.cos(a) / math.cos(math.radians(47.9)) for a in angles]
    lat = [47.9 + 0.01 * math.sin(a) for a in angles]
    order = walk_order(lon, lat)
    assert sorted(order) == list(range(300))
    circumference = 2 * math.pi * 0.01
    assert route_length(lon, lat, order) <= 1.05 * circumference
    assert route_length(lon, lat, order) < route_length(lon, lat, list(range(300))) / 10


def test_walk_order_is_shorter_than_nearest_neighbour_alone():
    rng = random.Random(9)
    lon = [rng.uniform(1.90, 1.92) for _ in range(500)]
    lat = [rng.uniform(47.90, 47.91) for _ in range(500)]
    greedy = walk_order(lon, lat, sweeps=0)
    improved = walk_order(lon, lat)
    assert sorted(improved) == list(range(500))
    assert route_length(lon, lat, improved) < route_length(lon, lat, greedy)
