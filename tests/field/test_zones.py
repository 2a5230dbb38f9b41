"""Importing zones from the real IGN boundaries in ../shared/data/geo, and broken files."""

import json

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from crm.field.models import Zone
from crm.field.zones import BadZoneFile, import_zones
from tests.conftest import SHARED

GEO = SHARED / "data" / "geo"


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


@pytest.mark.parametrize(
    ("file", "count"),
    [
        ("communes-45-loiret.geojson", 326),
        ("communes-68-haut-rhin.geojson", 366),
        ("cantons-14-calvados.geojson", 25),
        ("cantons-33-gironde.geojson", 33),
    ],
)
def test_real_boundary_files_import_completely(campaign, capsys, file, count):
    call_command("import_zones", "--campaign", campaign.schema_name, str(GEO / file))
    assert capsys.readouterr().out.strip() == f"created={count} updated=0 refused=0"
    with tenant_context(campaign):
        assert Zone.objects.count() == count
        source = json.loads((GEO / file).read_text(encoding="utf-8"))["features"]
        for feature in source[:: max(1, count // 20)]:
            zone = Zone.objects.get(code=feature["properties"]["code"])
            assert zone.name == feature["properties"]["nom"]
            assert zone.geometry.valid


def test_multipolygons_and_holes_survive(campaign):
    with tenant_context(campaign):
        import_zones((GEO / "communes-68-haut-rhin.geojson").read_bytes())
        source = json.loads((GEO / "communes-68-haut-rhin.geojson").read_text(encoding="utf-8"))["features"]
        holed = next(f for f in source if f["geometry"]["type"] == "Polygon" and len(f["geometry"]["coordinates"]) > 1)
        zone = Zone.objects.get(code=holed["properties"]["code"])
        assert len(zone.geometry[0]) == len(holed["geometry"]["coordinates"])  # outer ring + holes
        multi = next(f for f in source if f["geometry"]["type"] == "MultiPolygon")
        assert len(Zone.objects.get(code=multi["properties"]["code"]).geometry) == len(multi["geometry"]["coordinates"])


def test_importing_again_updates_instead_of_duplicating(campaign):
    with tenant_context(campaign):
        raw = (GEO / "cantons-14-calvados.geojson").read_bytes()
        import_zones(raw)
        again = import_zones(raw)
        assert (again.created, again.updated, Zone.objects.count()) == (0, 25, 25)


def feature(coords, nom="Zone", code="Z1"):
    return {"type": "Feature", "properties": {"nom": nom, "code": code},
            "geometry": {"type": "Polygon", "coordinates": [coords]}}  # fmt: skip


def collection(*features, **extra):
    return json.dumps({"type": "FeatureCollection", "features": list(features), **extra}).encode()


def test_self_intersecting_polygon_is_repaired_with_a_warning(campaign):
    bowtie = [[1.0, 47.0], [1.1, 47.1], [1.1, 47.0], [1.0, 47.1], [1.0, 47.0]]
    with tenant_context(campaign):
        result = import_zones(collection(feature(bowtie, "Nœud papillon")))
        assert result.created == 1
        assert "objet 0 (Nœud papillon)" in result.warnings[0] and "réparé" in result.warnings[0]
        assert Zone.objects.get(code="Z1").geometry.valid


def test_unrepairable_feature_is_refused_with_its_index_and_the_others_imported(campaign):
    good = [[1.0, 47.0], [1.1, 47.0], [1.1, 47.1], [1.0, 47.0]]
    line = {"type": "Feature", "properties": {"nom": "Route"}, "geometry": {"type": "LineString",
            "coordinates": [[1, 47], [2, 48]]}}  # fmt: skip
    with tenant_context(campaign):
        result = import_zones(collection(feature(good), line))
        assert result.created == 1
        assert result.refused == ["objet 1 (Route) : un polygone est attendu, pas LineString"]


def test_lambert_coordinates_without_crs_are_refused_and_nothing_is_created(campaign):
    lambert = [[619000, 6755000], [620000, 6755000], [620000, 6756000], [619000, 6755000]]
    with tenant_context(campaign), pytest.raises(BadZoneFile, match="Lambert 93"):
        import_zones(collection(feature([[1.0, 47.0], [1.1, 47.0], [1.1, 47.1], [1.0, 47.0]]), feature(lambert)))
    with tenant_context(campaign):
        assert not Zone.objects.exists()


def test_a_declared_projection_is_converted_to_wgs84(campaign):
    lambert = [[619000, 6755000], [620000, 6755000], [620000, 6756000], [619000, 6755000]]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}
    with tenant_context(campaign):
        import_zones(collection(feature(lambert), crs=crs))
        x, y = Zone.objects.get().geometry.centroid.coords
        assert 1.8 < x < 2.0 and 47.8 < y < 48.0  # near Orléans


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"nom;code\nOrleans;45234\n", "n'est pas du GeoJSON"),
        (b'{"type": "Point", "coordinates": [1, 2]}', "FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": []}', "aucun objet"),
        (b"\x89PNG\r\n", "n'est pas du GeoJSON"),
    ],
)
def test_files_that_are_not_geojson_get_a_clear_error(campaign, tmp_path, content, message):
    path = tmp_path / "zones.geojson"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_zones", "--campaign", campaign.schema_name, str(path))
    with tenant_context(campaign):
        assert not Zone.objects.exists()


@pytest.mark.parametrize("few_addresses", [20_000, 0])  # addresses read first, or one join
def test_segments_select_the_people_inside_a_zone(campaign, monkeypatch, few_addresses):
    from crm import segments
    from crm.models import Address, Contact, Household
    from crm.segments import BadFilters, contacts_matching

    monkeypatch.setattr(segments, "FEW_ADDRESSES", few_addresses)
    with tenant_context(campaign):
        import_zones((GEO / "communes-45-loiret.geojson").read_bytes())
        orleans, montargis = Zone.objects.get(code="45234"), Zone.objects.get(code="45208")
        inside = Address.objects.create(line1="1 place du Martroi", postal_code="45000", city="Orléans",
                                        point="SRID=4326;POINT(1.9039 47.9029)")  # fmt: skip
        outside = Address.objects.create(line1="1 rue de Tours", postal_code="41000", city="Blois",
                                         point="SRID=4326;POINT(1.3359 47.5861)")  # fmt: skip
        a = Contact.objects.create(birth_name="Dedans", household=Household.objects.create(address=inside))
        Contact.objects.create(birth_name="Dehors", household=Household.objects.create(address=outside))
        assert list(contacts_matching({"zones": [orleans.pk]})) == [a]
        there = Address.objects.create(line1="1 rue Dorée", postal_code="45200", city="Montargis",
                                       point=montargis.geometry.point_on_surface)  # fmt: skip
        b = Contact.objects.create(birth_name="Ailleurs", household=Household.objects.create(address=there))
        assert set(contacts_matching({"zones": [orleans.pk, montargis.pk]})) == {a, b}
        with pytest.raises(BadFilters):
            contacts_matching({"zones": [999999]})
