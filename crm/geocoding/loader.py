"""Loading a BAN file (adresses-NN.csv, ';'-separated UTF-8) into the shared reference.

Streams the file into a staging table with COPY, then upserts by BAN id: loading the
same file again changes nothing, and a newer file updates positions.
"""

import csv
import time

from django.db import connection, transaction

from crm.normalise import street_key

REQUIRED = ("id", "numero", "rep", "nom_voie", "code_postal", "code_insee", "nom_commune", "lon", "lat")


class BadAddressFile(ValueError):
    pass


def match_key(numero, rep, nom_voie, code_postal):
    number, rep_, street = street_key(f"{numero} {rep} {nom_voie}")
    return " ".join(p for p in (number, rep_, street) if p) + "|" + (code_postal or "").strip()


def load_addresses(path, *, on_progress=None):
    """Returns (rows loaded, rows skipped). Runs in `public`."""
    connection.set_schema_to_public()
    loaded = skipped = 0
    started = time.monotonic()
    with open(path, encoding="utf-8-sig", newline="") as fh, transaction.atomic():
        reader = csv.reader(fh, delimiter=";")
        header = next(reader, None)
        if not header:
            raise BadAddressFile("Empty file.")
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise BadAddressFile(
                f"Not a BAN address file: missing column(s) {', '.join(missing)} (expected adresses-NN.csv)."
            )
        at = {name: header.index(name) for name in REQUIRED}
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS ban_staging")  # when nested in an outer transaction
            cursor.execute(
                """CREATE TEMP TABLE ban_staging (ban_id text, numero text, rep text, nom_voie text,
                   code_postal text, code_insee text, nom_commune text, lon float8, lat float8, match_key text)
                   ON COMMIT DROP"""
            )
            with cursor.copy("COPY ban_staging FROM STDIN") as copy:
                for values in reader:
                    try:
                        get = {name: values[i].strip() for name, i in at.items()}
                        lon, lat = float(get["lon"]), float(get["lat"])
                    except (IndexError, ValueError):
                        skipped += 1
                        continue
                    copy.write_row(
                        (get["id"], get["numero"], get["rep"], get["nom_voie"], get["code_postal"],
                         get["code_insee"], get["nom_commune"], lon, lat,
                         match_key(get["numero"], get["rep"], get["nom_voie"], get["code_postal"]))
                    )  # fmt: skip
                    loaded += 1
                    if on_progress and loaded % 100_000 == 0:
                        on_progress(loaded, time.monotonic() - started)
            cursor.execute(
                """INSERT INTO geocoding_addressreference
                       (ban_id, numero, rep, nom_voie, code_postal, code_insee, nom_commune, point, match_key)
                   SELECT DISTINCT ON (ban_id) ban_id, numero, rep, nom_voie, code_postal, code_insee, nom_commune,
                          ST_SetSRID(ST_MakePoint(lon, lat), 4326), match_key
                     FROM ban_staging ORDER BY ban_id
                   ON CONFLICT (ban_id) DO UPDATE SET point = EXCLUDED.point, match_key = EXCLUDED.match_key,
                          nom_voie = EXCLUDED.nom_voie, code_postal = EXCLUDED.code_postal
                    WHERE NOT (geocoding_addressreference.point ~= EXCLUDED.point)
                       OR geocoding_addressreference.match_key <> EXCLUDED.match_key"""
            )
    return loaded, skipped
