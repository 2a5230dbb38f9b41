"""The synthetic data is what it claims: French people, valid phones, points inside real communes."""

import csv
import json

import phonenumbers
import pytest
from django.contrib.gis.geos import GEOSGeometry, Point

from bench.synthetic import make_town, write_voter_file
from tests.conftest import SHARED

LOIRET = SHARED / "data" / "geo" / "communes-45-loiret.geojson"


def test_town_has_the_requested_people_with_valid_french_mobiles():
    town = make_town(seed=7, people=1200)
    assert town.people_count == 1200
    people = [p for b in town.buildings for h in b.households for p in h["people"]]
    phones = [p["phone"] for p in people if p["phone"]]
    assert len(phones) > 400
    for phone in phones:
        number = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number(number) and number.country_code == 33, phone
    assert any(ch in "".join(p["first_names"] + p["birth_name"] for p in people) for ch in "éèëïç")
    codes = {b.polling_station for b in town.buildings}
    assert codes == {"0001", "0002", "0003", "0004"}


def test_same_seed_gives_the_same_town():
    assert make_town(seed=3, people=200).buildings[5] == make_town(seed=3, people=200).buildings[5]


@pytest.mark.skipif(not LOIRET.exists(), reason="needs ../shared/data/geo")
def test_voter_file_points_fall_inside_their_real_commune(tmp_path):
    out = tmp_path / "voters.csv"
    assert write_voter_file(out, rows=3000, communes_path=LOIRET, seed=1) == 3000
    raw = out.read_bytes()
    assert b"\r\n" in raw
    text = raw.decode("cp1252")  # a French spreadsheet export: Windows-1252, ";" separated
    rows = list(csv.DictReader(text.splitlines(), delimiter=";"))
    assert len(rows) == 3000
    assert rows[0].keys() >= {"Nom de naissance", "Nom d'usage", "Prénoms", "Date de naissance", "Code du b.vote"}
    communes = {
        f["properties"]["nom"]: GEOSGeometry(json.dumps(f["geometry"]))
        for f in json.loads(LOIRET.read_text(encoding="utf-8"))["features"]
    }
    for row in rows[::25]:
        point = Point(float(row["Longitude"]), float(row["Latitude"]), srid=4326)
        assert communes[row["Ville"]].contains(point), row
        day, month, year = row["Date de naissance"].split("/")
        assert len(day) == 2 and len(month) == 2 and len(year) == 4
