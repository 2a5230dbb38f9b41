"""Synthetic French people, streets and towns, for the demo campaign and benchmarks.

Two uses:
- `make_town(...)` builds a fictional town (street grid, buildings, households,
  residents, polling-station areas) for `seed_demo`, so the demo needs no data file.
- `write_voter_file(...)` writes a voter file shaped like a French electoral-list
  export (";" separated, Windows-1252 by default), with each voter's point inside a
  real commune read from a GeoJSON file, e.g. ../shared/data/geo/communes-45-loiret.geojson:

    python -m bench.synthetic voter-file --rows 1000000 --out bench/data/voters-1m.csv \\
        --communes ../shared/data/geo/communes-45-loiret.geojson

Everything is drawn from a seeded random generator: the same seed gives the same data.
"""

import argparse
import csv
import datetime as dt
import json
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from faker.providers.person.fr_FR import Provider as FrenchNames

FEMALE_FIRST_NAMES = list(FrenchNames.first_names_female)
MALE_FIRST_NAMES = list(FrenchNames.first_names_male)
LAST_NAMES = list(FrenchNames.last_names) + [
    "Lefèvre",
    "Mercier",
    "Gauthier",
    "Lemaître",
    "Bénard",
    "Cœur",
    "D'Almeida",
    "Le Guéré",
    "Faÿ",
    "Boëlle",
    "Rivière",
    "Chevalier",
]
STREET_KINDS = ["Rue", "Rue", "Rue", "Avenue", "Allée", "Impasse", "Chemin", "Boulevard", "Place"]
STREET_NAMES = [
    "Victor Hugo",
    "Jean Jaurès",
    "de la République",
    "Pasteur",
    "des Écoles",
    "du Moulin",
    "de l'Église",
    "des Tilleuls",
    "Émile Zola",
    "Jules Ferry",
    "du Général de Gaulle",
    "de la Gare",
    "des Peupliers",
    "Gambetta",
    "Voltaire",
    "du 8 Mai 1945",
    "Marie Curie",
    "des Lilas",
    "de la Fontaine",
    "Jean Moulin",
    "du Château d'Eau",
    "des Vignes",
    "Saint-Exupéry",
    "Simone Veil",
    "de la Loire",
    "des Acacias",
    "du Stade",
    "Louise Michel",
    "Aristide Briand",
    "des Cerisiers",
    "de Verdun",
    "de la Poste",
    "Anatole France",
    "des Près",
    "Georges Brassens",
    "de l'Hôtel de Ville",
]
HOUSEHOLD_SIZES = [1, 1, 1, 2, 2, 2, 2, 3, 4]
FLAT_LABELS = ["", "Bât. A", "Bât. B", "Appt 1", "Appt 2", "Appt 3", "1er étage", "2e étage", "RDC"]


def french_mobile(rng):
    """A valid French mobile number in E.164. 063x and 069x hold reserved blocks,
    which phonenumbers rejects, so they are left out."""
    if rng.random() < 0.7:
        return "+336" + rng.choice("01245678") + "".join(rng.choices("0123456789", k=7))
    return "+337" + rng.choice("3456789") + "".join(rng.choices("0123456789", k=7))


def person(rng, today=None, email_rate=0.45, phone_rate=0.55):
    """One adult: names with their accents, sex, birth date, maybe an e-mail and a phone."""
    today = today or dt.date(2026, 1, 1)
    sex = rng.choice("FM")
    first = rng.choice(FEMALE_FIRST_NAMES if sex == "F" else MALE_FIRST_NAMES)
    if rng.random() < 0.25:
        first += " " + rng.choice(FEMALE_FIRST_NAMES if sex == "F" else MALE_FIRST_NAMES)
    birth_name = rng.choice(LAST_NAMES)
    usage_name = rng.choice(LAST_NAMES) if sex == "F" and rng.random() < 0.35 else ""
    age_days = rng.randint(18 * 365, 95 * 365)
    email = ""
    if rng.random() < email_rate:
        local = f"{_ascii(first.split()[0])}.{_ascii(usage_name or birth_name)}".lower().replace(" ", "-")
        email = f"{local}{rng.randint(1, 999)}@{rng.choice(['exemple.fr', 'courriel.fr', 'mail.test'])}"
    return {
        "sex": sex,
        "first_names": first,
        "birth_name": birth_name,
        "usage_name": usage_name,
        "birth_date": today - dt.timedelta(days=age_days),
        "email": email,
        "phone": french_mobile(rng) if rng.random() < phone_rate else "",
    }


def _ascii(text):
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isalnum() or c in " -").replace("'", "")


@dataclass
class Building:
    number: int
    street: str
    lon: float
    lat: float
    polling_station: str
    households: list = field(default_factory=list)  # each: {"label": str, "people": [person, ...]}

    @property
    def line1(self):
        return f"{self.number} {self.street}"


@dataclass
class Town:
    name: str
    postal_code: str
    centre: tuple
    buildings: list
    # Polling-station areas: {"code": "0001", "name": "...", "polygon": [(lon, lat), ...]}
    polling_stations: list
    outline: list

    @property
    def people_count(self):
        return sum(len(h["people"]) for b in self.buildings for h in b.households)


def make_town(*, seed=2026, name="Villebourg-sur-Loire", postal_code="45990", centre=(2.05, 47.86), people=5000):
    """A compact fictional town: a jittered street grid around `centre`, buildings
    along the streets, one to several households per building, 1-4 adults each,
    and four polling-station areas (quadrants)."""
    rng = random.Random(seed)
    lon0, lat0 = centre
    # About 1.5 adults per household and 1.6 households per building.
    n_buildings = max(10, int(people / 2.4))
    side = math.ceil(math.sqrt(n_buildings / 12))  # streets per direction, ~12 buildings per street
    km_lat = 1 / 111.0
    km_lon = 1 / (111.0 * math.cos(math.radians(lat0)))
    spacing_km = 0.18
    half = side * spacing_km / 2
    streets = []
    names = rng.sample(STREET_NAMES, k=min(len(STREET_NAMES), 2 * side))
    while len(names) < 2 * side:
        names.append(f"{rng.choice(STREET_NAMES)} {len(names)}")
    for i in range(side):
        offset = -half + (i + 0.5) * spacing_km
        streets.append(("h", offset, f"{rng.choice(STREET_KINDS)} {names[2 * i]}"))
        streets.append(("v", offset, f"{rng.choice(STREET_KINDS)} {names[2 * i + 1]}"))

    buildings = []
    per_street = math.ceil(n_buildings / len(streets))
    for orientation, offset, street in streets:
        for k in range(per_street):
            along = -half + (k + 0.5) * (2 * half / per_street) + rng.uniform(-0.01, 0.01)
            side_offset = rng.choice([-0.015, 0.015])
            x_km, y_km = (along, offset + side_offset) if orientation == "h" else (offset + side_offset, along)
            lon, lat = lon0 + x_km * km_lon, lat0 + y_km * km_lat
            station = f"{1 + (x_km > 0) + 2 * (y_km > 0):04d}"
            buildings.append(Building(2 * k + 1 + (side_offset > 0), street, lon, lat, station))

    remaining = people
    for b in buildings:
        n_households = 1 if rng.random() < 0.7 else rng.randint(2, 6)
        for h in range(n_households):
            label = "" if n_households == 1 else FLAT_LABELS[1 + h % (len(FLAT_LABELS) - 1)]
            size = min(remaining, rng.choice([1, 1, 2, 2, 2, 3, 4]))
            family = rng.choice(LAST_NAMES)
            residents = []
            for _ in range(size):
                p = person(rng)
                if rng.random() < 0.6:
                    p["birth_name"] = family
                residents.append(p)
            remaining -= size
            b.households.append({"label": label, "people": residents})
            if remaining <= 0:
                break
        if remaining <= 0:
            break
    buildings = [b for b in buildings if b.households]

    w, h = half * km_lon, half * km_lat
    outline = [(lon0 - w, lat0 - h), (lon0 + w, lat0 - h), (lon0 + w, lat0 + h), (lon0 - w, lat0 + h)]
    quadrants = {
        "0001": (lon0 - w, lat0 - h, lon0, lat0),
        "0002": (lon0, lat0 - h, lon0 + w, lat0),
        "0003": (lon0 - w, lat0, lon0, lat0 + h),
        "0004": (lon0, lat0, lon0 + w, lat0 + h),
    }
    stations = [
        {
            "code": code,
            "name": f"Bureau {int(code)} — {label}",
            "polygon": [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)],
        }
        for (code, (x0, y0, x1, y1)), label in zip(
            quadrants.items(), ["École Jules Ferry", "Mairie", "Salle des fêtes", "Gymnase"], strict=True
        )
    ]
    return Town(name, postal_code, centre, buildings, stations, outline + [outline[0]])


# ---- Voter file with points inside real communes ---------------------------------

VOTER_FILE_COLUMNS = [
    "Code du b.vote",
    "Nom de naissance",
    "Nom d'usage",
    "Prénoms",
    "Sexe",
    "Date de naissance",
    "Adresse 1",
    "Adresse 2",
    "Code postal",
    "Ville",
    "Mobile",
    "Email",
    "Longitude",
    "Latitude",
]


def load_communes(path):
    """[(code, name, [rings as numpy arrays], bbox, area)] from a GeoJSON FeatureCollection."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    communes = []
    for feature in data["features"]:
        geom = feature["geometry"]
        polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        rings = [np.asarray(ring, dtype=float) for polygon in polygons for ring in polygon]
        allpts = np.vstack(rings)
        bbox = (*allpts.min(axis=0), *allpts.max(axis=0))
        area = sum(abs(_ring_area(r)) for polygon in polygons for r in [np.asarray(polygon[0])])
        props = feature["properties"]
        communes.append((props["code"], props["nom"], rings, bbox, area))
    return communes


def _ring_area(ring):
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * (np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))


def points_in_rings(px, py, rings):
    """Even-odd rule over all rings (outer rings and holes): True where inside."""
    inside = np.zeros(px.shape, dtype=bool)
    for ring in rings:
        x1, y1 = ring[:-1, 0], ring[:-1, 1]
        x2, y2 = ring[1:, 0], ring[1:, 1]
        for a, b, c, d in zip(x1, y1, x2, y2, strict=True):
            crosses = (b > py) != (d > py)
            with np.errstate(divide="ignore", invalid="ignore"):
                x_at = a + (py - b) * (c - a) / (d - b)
            inside ^= crosses & (px < x_at)
    return inside


def random_points_in(commune, n, np_rng):
    _, _, rings, (x0, y0, x1, y1), _ = commune
    out_x, out_y = [], []
    need = n
    while need > 0:
        batch = max(64, int(need * 2.5))
        px = np_rng.uniform(x0, x1, batch)
        py = np_rng.uniform(y0, y1, batch)
        keep = points_in_rings(px, py, rings)
        out_x.append(px[keep][:need])
        out_y.append(py[keep][:need])
        need -= len(out_x[-1])
    return np.concatenate(out_x), np.concatenate(out_y)


def write_voter_file(path, *, rows, communes_path, seed=45, encoding="cp1252", delimiter=";", email_rate=0.6):
    """Write `rows` voters spread over the communes by area, 60 % with an e-mail and
    phones written the many ways people type them. Returns the row count."""
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    communes = load_communes(communes_path)
    areas = np.array([c[4] for c in communes])
    counts = np.floor(areas / areas.sum() * rows).astype(int)
    counts[np.argmax(counts)] += rows - counts.sum()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(VOTER_FILE_COLUMNS)
        for commune, count in zip(communes, counts, strict=True):
            if count == 0:
                continue
            code, name = commune[0], commune[1]
            xs, ys = random_points_in(commune, int(count), np_rng)
            postal = f"45{code[2:]}" if len(code) == 5 else code
            # Voters come by household, as in a real list: 1 to 4 people at one
            # address and dwelling, often sharing a family name (about 1.9 per household).
            i = 0
            while i < count:
                size = min(int(count) - i, rng.choice(HOUSEHOLD_SIZES))
                street = f"{rng.randint(1, 120)} {rng.choice(STREET_KINDS).lower()} {rng.choice(STREET_NAMES)}"
                flat = rng.choice(FLAT_LABELS)
                family = rng.choice(LAST_NAMES)
                x, y = xs[i], ys[i]  # one building, one point
                for _ in range(size):
                    p = person(rng, email_rate=email_rate)
                    if rng.random() < 0.6:
                        p["birth_name"] = family
                    writer.writerow(
                        [
                            f"{code[2:]}{1 + i % 5:02d}",
                            p["birth_name"].upper(),
                            p["usage_name"].upper(),
                            p["first_names"],
                            p["sex"],
                            p["birth_date"].strftime("%d/%m/%Y"),
                            street,
                            flat,
                            postal,
                            name,
                            written_phone(rng, p["phone"]),
                            p["email"],
                            f"{x:.6f}",
                            f"{y:.6f}",
                        ]
                    )
                    i += 1
                    written += 1
    return written


def written_phone(rng, e164):
    """+33612345678 as people type it: 06 12 34 56 78, 06.12.34.56.78, +33 6 12 34 56 78..."""
    if not e164:
        return ""
    national = "0" + e164[3:]
    pairs = [national[i : i + 2] for i in range(0, 10, 2)]
    style = rng.randrange(6)
    if style == 0:
        return " ".join(pairs)
    if style == 1:
        return national
    if style == 2:
        return ".".join(pairs)
    if style == 3:
        return "+33 " + national[1] + " " + " ".join(pairs[1:])
    if style == 4:
        return e164
    return "0033 " + national[1:]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    vf = sub.add_parser("voter-file", help="write a synthetic voter file")
    vf.add_argument("--rows", type=int, default=1_000_000)
    vf.add_argument("--out", required=True)
    default_communes = Path(__file__).resolve().parent.parent.parent / "shared/data/geo/communes-45-loiret.geojson"
    vf.add_argument("--communes", default=str(default_communes))
    vf.add_argument("--seed", type=int, default=45)
    vf.add_argument("--encoding", default="cp1252")
    args = parser.parse_args(argv)
    if not Path(args.communes).is_file():
        sys.exit(f"Communes file not found: {args.communes}")
    n = write_voter_file(args.out, rows=args.rows, communes_path=args.communes, seed=args.seed, encoding=args.encoding)
    print(f"wrote {n} voters to {args.out}")


if __name__ == "__main__":
    main()


def scatter_buildings(zone_id, buildings, *, seed=1, flats_every=10, flats=6):
    """Add `buildings` geolocated addresses at random inside zone `zone_id` of the
    current campaign schema; every `flats_every`-th is a block of `flats` households,
    the others one household each. Set-based SQL (ST_GeneratePoints), for tests and
    benchmarks of turfs and walk lists. Returns the number of doors added."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM crm_address")
        start = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO crm_address (line1, postal_code, city, key, point, geocoded_by, polling_station_code)
            SELECT (n %% 200 + 1) || ' rue ' || (ARRAY['des Lilas', 'Jean Jaurès', 'de la Gare', 'du Moulin',
                   'Victor Hugo', 'de l''Église', 'Pasteur', 'des Écoles'])[n %% 8 + 1] || ' ' || (n / 1600),
                   '45000', 'Synthèse', 'synthetic|' || (%s + n), g.geom, 'test', ''
            FROM (SELECT row_number() OVER () AS n, d.geom
                  FROM (SELECT (ST_Dump(ST_GeneratePoints(geometry, %s, %s))).geom FROM field_zone WHERE id = %s) d
            ) g
            """,
            [start, buildings, seed, zone_id],
        )
        cur.execute(
            """
            INSERT INTO crm_household (address_id, label)
            SELECT a.id, CASE WHEN f > 0 THEN 'Appartement ' || f ELSE '' END
            FROM crm_address a
            CROSS JOIN LATERAL generate_series(CASE WHEN a.id %% %s = 0 THEN 1 ELSE 0 END,
                                               CASE WHEN a.id %% %s = 0 THEN %s ELSE 0 END) f
            WHERE a.id > %s
            """,
            [flats_every, flats_every, flats, start],
        )
        cur.execute(
            """
            INSERT INTO crm_contact (birth_name, usage_name, first_names, sex, email, phone, other_emails,
                other_phones, household_id, custom_fields, source, opinion_notes, name_key, search_text,
                created, updated)
            SELECT 'Martin', '', 'Camille ' || h.id, '', '', '+3361' || lpad((h.id %% 10000000)::text, 7, '0'),
                   '{}', '{}', h.id, '{}', 'synthetic', '', 'martin|camille', 'camille martin', now(), now()
            FROM crm_household h JOIN crm_address a ON a.id = h.address_id WHERE a.id > %s
            """,
            [start],
        )
        cur.execute("SELECT count(*) FROM crm_household h WHERE h.address_id > %s", [start])
        return cur.fetchone()[0]
