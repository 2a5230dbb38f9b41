"""Importing contact files: every rule of the import, on small files written here."""

import csv
import datetime as dt
import io
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import tenant_context
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from crm.importing import pipeline
from crm.importing.mapping import guess_mapping
from crm.importing.pipeline import create_job, preview, run_import
from crm.importing.sniff import plain, split_rows, unique_headers
from crm.models import Address, ConsentEvent, Contact, ImportJob, Interaction, Tag
from tests.conftest import subprocess_env, wait_for

HEADER = [
    "Nom de naissance",
    "Nom d'usage",
    "Prénoms",
    "Sexe",
    "Date de naissance",
    "Adresse 1",
    "Adresse 2",
    "Code postal",
    "Ville",
    "Code du b.vote",
    "Mobile",
    "Email",
]
PEOPLE = [
    [
        "LEFÈVRE",
        "",
        "Élodie Françoise",
        "F",
        "31/01/1980",
        "12 rue de l'Église",
        "Appt 3",
        "45000",
        "Orléans",
        "0012",
        "06 12 34 56 78",
        "elodie@exemple.fr",
    ],
    ["D'ALMEIDA", "MŒRS", "Zoë", "F", "02/03/1975", "4 bis avenue Jean Jaurès", "", "45000", "Orléans", "0012", "", ""],
    [
        "GARÇON",
        "",
        "Loïc",
        "M",
        "1990-12-24",
        "4 bis avenue Jean Jaurès",
        "",
        "45000",
        "Orléans",
        "0012",
        "+33 7 81 23 45 67",
        "loic@exemple.fr",
    ],
]


def write_csv(path, rows, *, encoding="utf-8", delimiter=";", newline="\r\n", header=HEADER):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def do_import(campaign, path, **kwargs):
    with tenant_context(campaign):
        job = run_import(create_job(file_path=path, **kwargs))
        job.refresh_from_db()
        return job


def contact_with_everything(**fields):
    """Élodie, with an address, a dwelling, two tags, consents and opinions (in the
    current campaign)."""
    from crm.models import Household

    address = Address.objects.create(line1="12 rue de l'Église", postal_code="45000", city="Orléans", key="k",
                                     polling_station_code="0012")  # fmt: skip
    home = Household.objects.create(address=address, label="Appt 3")
    defaults = {"birth_name": "Lefèvre", "usage_name": "Martin", "first_names": "Élodie Françoise", "sex": "F",
                "birth_date": dt.date(1980, 1, 31), "email": "elodie@exemple.fr", "phone": "+33612345678",
                "household": home, "consent_email": True, "consent_sms": False, "support_level": 4}  # fmt: skip
    contact = Contact.objects.create(**(defaults | fields))
    contact.tags.add(Tag.objects.get_or_create(name="voisins")[0], Tag.objects.get_or_create(name="bénévole")[0])
    return contact


# A file with second columns of e-mails and phones.
REACH_HEADER = ["Nom", "Prénom", "E-mail", "E-mail 2", "Mobile", "Téléphone fixe"]


def reach_of_everyone(campaign):
    """{first names: (e-mail, other e-mails, phone, other phones)} of the campaign's contacts."""
    with tenant_context(campaign):
        return {c.first_names: (c.email, c.other_emails, c.phone, c.other_phones) for c in Contact.objects.all()}


def report_rows(job):
    with open(job.report_path, encoding="utf-8-sig") as fh:
        return list(csv.reader(fh, delimiter=";"))[1:]


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_each_encoding_and_delimiter_is_detected_and_accents_round_trip(
    campaign, tmp_path, encoding, delimiter, newline
):
    path = write_csv(tmp_path / "liste.csv", PEOPLE, encoding=encoding, delimiter=delimiter, newline=newline)
    job = do_import(campaign, path)
    assert job.status == "done", job.error
    assert (job.created_count, job.merged_count, job.rejected_count) == (3, 0, 0)
    with tenant_context(campaign):
        elodie = Contact.objects.get(email="elodie@exemple.fr")
        assert (elodie.birth_name, elodie.first_names) == ("LEFÈVRE", "Élodie Françoise")
        assert elodie.household.address.line1 == "12 rue de l'Église"
        assert elodie.household.label == "Appt 3"
        assert elodie.birth_date.isoformat() == "1980-01-31"
        assert elodie.phone == "+33612345678"
        zoe = Contact.objects.get(first_names="Zoë")
        assert (zoe.birth_name, zoe.usage_name) == ("D'ALMEIDA", "MŒRS")
        assert Contact.objects.get(first_names="Loïc").birth_name == "GARÇON"


def test_latin1_file_is_read_as_latin1(campaign, tmp_path):
    rows = [
        ["GARÇON", "", "Loïc", "M", "", "", "", "", "", "", "", ""],
        ["MÜLLER", "", "Ångström", "", "", "", "", "", "", "", "", ""],
    ]
    raw = io.StringIO()
    csv.writer(raw, delimiter=";").writerows([HEADER, *rows])
    path = tmp_path / "latin1.csv"
    # \x90 is undefined in Windows-1252: only Latin-1 reads this file.
    path.write_bytes(raw.getvalue().encode("latin-1") + "BIZARRE\x90;;X;;;;;;;;;\r\n".encode("latin-1"))
    job = do_import(campaign, path)
    assert job.encoding == "latin-1"
    with tenant_context(campaign):
        assert Contact.objects.filter(first_names="Ångström", birth_name="MÜLLER").exists()


def test_xlsx_files_import_too(campaign, tmp_path):
    import datetime as dt

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["First Name", "Last Name", "Mobile", "Zip", "City", "Date of birth"])
    sheet.append(["Chloé", "Bénard", "0612345678", 45000, "Orléans", dt.datetime(1988, 5, 17)])
    sheet.append(["Noël", "Faÿ", None, "01000", "Bourg-en-Bresse", "17/05/1990"])
    path = tmp_path / "inscrits.xlsx"
    workbook.save(path)
    job = do_import(campaign, path)
    assert job.status == "done", job.error
    assert job.created_count == 2
    with tenant_context(campaign):
        chloe = Contact.objects.get(first_names="Chloé")
        assert (chloe.birth_name, chloe.phone, str(chloe.birth_date)) == ("Bénard", "+33612345678", "1988-05-17")


@pytest.mark.parametrize("streamed", [False, True])
def test_an_xlsx_files_rows_are_counted_whether_or_not_it_says_how_many(campaign, tmp_path, streamed):
    """A workbook written in a stream (openpyxl's write-only mode, Terrain's own XLSX
    exports) has no <dimension>: the import counted 0 rows ("0 lignes sur 0" all along
    the reading) and cleaned a big one in one process."""
    from crm.importing.sniff import xlsx_row_count

    workbook = Workbook(write_only=streamed)
    sheet = workbook.create_sheet() if streamed else workbook.active
    sheet.append(HEADER)
    for n in range(130):
        sheet.append([f"NOM{n}", "", "Prénom", "", "", "", "", "", "", "", "", f"p{n}@exemple.fr"])
    path = tmp_path / "liste.xlsx"
    workbook.save(path)
    assert xlsx_row_count(path) == 131
    job = do_import(campaign, path)
    assert (job.total_rows, job.processed_rows, job.created_count) == (130, 130, 130)


def test_mapping_is_guessed_from_french_and_english_headers(tmp_path):
    path = write_csv(tmp_path / "x.csv", PEOPLE[:1])  # HEADER: a French voter-file export
    shown = preview(path)
    assert shown["mapping"] == {
        "Nom de naissance": "birth_name",
        "Nom d'usage": "usage_name",
        "Prénoms": "first_names",
        "Sexe": "sex",
        "Date de naissance": "birth_date",
        "Adresse 1": "line1",
        "Adresse 2": "line2",
        "Code postal": "postal_code",
        "Ville": "city",
        "Code du b.vote": "polling_station",
        "Mobile": "phone",
        "Email": "email",
    }
    assert shown["rows"][0][2] == "Élodie Françoise"
    english = ["First Name", "Last Name", "Mobile", "Zip", "E-mail", "Favourite colour"]
    path = write_csv(tmp_path / "en.csv", [["a", "b", "", "", "", "blue"]], header=english)
    assert preview(path)["mapping"] == {
        "First Name": "first_names",
        "Last Name": "birth_name",
        "Mobile": "phone",
        "Zip": "postal_code",
        "E-mail": "email",
        "Favourite colour": "custom:Favourite colour",
    }


def test_columns_of_the_same_name_are_each_kept(campaign, tmp_path):
    """Files put together by hand repeat headers: "Adresse" for the street and again for
    the flat, "Téléphone" for the landline and the mobile. The mapping names columns by
    header, so both were one column: the street was lost and the flat became a custom
    field; of two phones, only the second was kept."""
    path = write_csv(tmp_path / "liste.csv", [["SIMON", "Léa", "8 rue Bannier", "Bât. C", "45000", "Orléans",
                                              "02 38 12 34 56", "06 11 22 33 44"]],
                     header=["Nom", "Prénom", "Adresse", "Adresse", "Code postal", "Ville", "Téléphone",
                             "Téléphone"])  # fmt: skip
    shape = pipeline.sniff(path)
    assert shape.headers == ["Nom", "Prénom", "Adresse", "Adresse (2)", "Code postal", "Ville", "Téléphone",
                             "Téléphone (2)"]  # fmt: skip
    assert unique_headers(["A", "A", "A (2)", "", "", "A"]) == ["A", "A (3)", "A (2)", "", "", "A (4)"]
    mapping = guess_mapping(shape.headers)
    assert (mapping["Adresse"], mapping["Adresse (2)"]) == ("line1", "line2")
    assert (mapping["Téléphone"], mapping["Téléphone (2)"]) == ("phone", "other_phones")
    job = do_import(campaign, path)
    assert (job.created_count, job.rejected_count) == (1, 0)
    with tenant_context(campaign):
        lea = Contact.objects.select_related("household__address").get()
        assert (lea.household.address.line1, lea.household.label) == ("8 rue Bannier", "Bât. C")
        assert (lea.phone, lea.other_phones, lea.custom_fields) == ("+33238123456", ["+33611223344"], {})


def test_second_columns_of_emails_and_phones_give_each_contact_its_other_ones(campaign, tmp_path):
    """The landline beside the mobile, a work address beside the personal one: they were
    custom fields, which neither phoning nor the search for known people reads."""
    header = REACH_HEADER
    assert guess_mapping(header)["E-mail 2"] == "other_emails"
    assert guess_mapping(header)["Téléphone fixe"] == "other_phones"
    # A file's only phone column is the phone, whatever its name.
    assert guess_mapping(["Nom", "Téléphone fixe"])["Téléphone fixe"] == "phone"
    with tenant_context(campaign):
        Contact.objects.create(birth_name="Roux", first_names="Anne", email="anne@exemple.fr")
    path = write_csv(tmp_path / "liste.csv", [
        ["MARTIN", "Paul", "paul@exemple.fr", "Paul@Travail.fr ; paul@exemple.fr", "06 12 34 56 78",
         "02 38 11 22 33 / 02 38 44 55 66"],
        ["PETIT", "Lou", "", "lou@exemple.fr", "", "02 38 77 88 99"],  # no e-mail nor mobile: the others are
        ["ROUX", "Anne", "anne@exemple.fr", "", "06 99 88 77 66", "02 38 00 11 22"],  # known: both added
        ["MARTIN", "Paul", "paul@exemple.fr", "", "06 12 34 56 78", "02 38 99 99 99"],  # again: added too
        ["DURAND", "Éric", "", "", "", "pas de fixe"],
    ], header=header)  # fmt: skip
    job = do_import(campaign, path)
    assert (job.created_count, job.merged_count, job.rejected_count) == (2, 2, 1)
    assert report_rows(job) == [["6", "Téléphone fixe", "pas de fixe", "n'est pas un numéro de téléphone"]]
    assert reach_of_everyone(campaign) == {
        "Paul": ("paul@exemple.fr", ["paul@travail.fr"], "+33612345678", ["+33238112233", "+33238445566",
                                                                           "+33238999999"]),
        "Lou": ("lou@exemple.fr", [], "+33238778899", []),
        "Anne": ("anne@exemple.fr", [], "+33699887766", ["+33238001122"]),
    }  # fmt: skip


def test_a_rows_other_emails_and_phones_find_the_person_too(campaign, tmp_path):
    """A row's work address first and its personal one second: the person the base knows
    by the second was created again."""
    with tenant_context(campaign):
        paul = Contact.objects.create(birth_name="Martin", first_names="Paul", email="paul@perso.fr")
        lou = Contact.objects.create(birth_name="Petit", first_names="Lou", phone="+33611111111",
                                     other_phones=["+33238778899"])  # fmt: skip
        eve = Contact.objects.create(birth_name="Roux", first_names="Ève", other_emails=["eve@asso.fr"],
                                     email="eve@exemple.fr")  # fmt: skip
    header = REACH_HEADER
    path = write_csv(tmp_path / "liste.csv", [
        ["MARTIN", "Paul", "paul@travail.fr", "paul@perso.fr", "", ""],
        ["PETIT", "Lou", "", "", "06 22 22 22 22", "02 38 77 88 99"],
        ["ROUX", "Ève", "eve@mairie.fr", "eve@asso.fr", "", ""],
        ["NOUVEAU", "Noé", "noe@exemple.fr", "noe@autre.fr", "", ""],
    ], header=header)  # fmt: skip
    job = do_import(campaign, path)
    assert (job.created_count, job.merged_count) == (1, 3)
    with tenant_context(campaign):
        paul.refresh_from_db(), lou.refresh_from_db(), eve.refresh_from_db()
        assert (paul.email, paul.other_emails) == ("paul@perso.fr", ["paul@travail.fr"])
        assert (lou.phone, lou.other_phones) == ("+33611111111", ["+33238778899", "+33622222222"])
        assert (eve.email, eve.other_emails) == ("eve@exemple.fr", ["eve@asso.fr", "eve@mairie.fr"])


def test_one_person_on_two_rows_is_found_by_the_second_email_or_phone_of_one_of_them(campaign, tmp_path):
    header = REACH_HEADER
    path = write_csv(tmp_path / "liste.csv", [
        ["MARTIN", "Paul", "paul@travail.fr", "", "", ""],
        ["MARTIN", "Paul", "paul@perso.fr", "paul@travail.fr", "", ""],
        ["PETIT", "Lou", "", "", "06 22 22 22 22", "02 38 77 88 99"],
        ["PETIT", "Lou", "", "", "02 38 77 88 99", ""],
    ], header=header)  # fmt: skip
    job = do_import(campaign, path)
    assert (job.created_count, job.merged_count) == (2, 2)
    assert reach_of_everyone(campaign) == {"Paul": ("paul@travail.fr", ["paul@perso.fr"], "", []),
                     "Lou": ("", [], "+33622222222", ["+33238778899"])}  # fmt: skip


def test_unmapped_columns_become_custom_fields(campaign, tmp_path):
    path = write_csv(tmp_path / "x.csv", [["Durand", "Léa", "Vélo"]], header=["Nom", "Prénom", "Centre d'intérêt"])
    do_import(campaign, path)
    with tenant_context(campaign):
        assert Contact.objects.get(birth_name="Durand").custom_fields == {"Centre d'intérêt": "Vélo"}


def test_each_bad_row_is_reported_with_its_row_and_column_and_good_rows_are_imported(campaign, tmp_path):
    rows = [
        PEOPLE[0],  # row 2: good
        ["", "", "", "F", "01/01/1970", "", "", "", "", "", "", "anonyme@x.fr"],  # row 3: no name
        ["MARTIN", "", "Paul", "M", "31/02/1980", "", "", "", "", "", "", ""],  # row 4: 31 February
        ["PETIT", "", "Anne", "F", "", "", "", "", "", "", "06 12", ""],  # row 5: not a phone
        ["ROUX", "", "Marc"],  # row 6: truncated
        ["BLANC", "", "Inès", "F", "", "", "", "", "", "", "", "pas-un-mail"],  # row 7: not an e-mail
        PEOPLE[2],  # row 8: good
    ]
    job = do_import(campaign, write_csv(tmp_path / "x.csv", rows))
    assert (job.created_count, job.rejected_count) == (2, 5)
    reported = {(r[0], r[1]): (r[2], r[3]) for r in report_rows(job)}
    assert reported[("3", "Nom de naissance")][1] == "nom manquant"
    assert reported[("4", "Date de naissance")] == ("31/02/1980", "date impossible")
    assert reported[("5", "Mobile")] == ("06 12", "n'est pas un numéro de téléphone")
    assert "ligne tronquée" in reported[("6", "")][1]
    assert reported[("7", "Email")][1] == "n'est pas une adresse e-mail"
    with tenant_context(campaign):
        assert set(Contact.objects.values_list("first_names", flat=True)) == {"Élodie Françoise", "Loïc"}


def test_importing_the_same_file_twice_creates_nothing_new(campaign, tmp_path):
    path = write_csv(tmp_path / "x.csv", PEOPLE)
    first = do_import(campaign, path)
    with tenant_context(campaign):
        before = (Contact.objects.count(), Address.objects.count(), Interaction.objects.count())
    second = do_import(campaign, path)
    assert (first.created_count, second.created_count, second.merged_count) == (3, 0, 3)
    with tenant_context(campaign):
        assert (Contact.objects.count(), Address.objects.count(), Interaction.objects.count()) == before


def test_rows_already_imported_are_skipped_unless_they_or_the_mapping_changed(campaign, tmp_path):
    header = [*HEADER, "Longitude", "Latitude"]
    rows = [PEOPLE[0] + ["1,9093", "47,9029"], PEOPLE[1] + ["", ""]]
    path = write_csv(tmp_path / "x.csv", rows, header=header)
    first = do_import(campaign, path)
    assert (first.created_count, first.located_count) == (2, 1)
    with tenant_context(campaign):
        Contact.objects.filter(email="elodie@exemple.fr").update(phone="")  # staff removed a wrong number
    again = do_import(campaign, path)
    assert (again.created_count, again.merged_count, again.located_count) == (0, 2, 1)
    with tenant_context(campaign):
        assert Contact.objects.get(email="elodie@exemple.fr").phone == ""  # the same row brings nothing back
    rows[0][10] = "07 81 23 45 67"
    changed = do_import(campaign, write_csv(tmp_path / "y.csv", rows, header=header))
    assert (changed.created_count, changed.merged_count, changed.located_count) == (0, 2, 1)
    with tenant_context(campaign):
        assert Contact.objects.get(email="elodie@exemple.fr").phone == "+33781234567"  # a changed row is read
    # The located person's row skipped, the other read: both count among the file's people.
    rows[1][1] = "MŒRS-DUPONT"
    mixed = do_import(campaign, write_csv(tmp_path / "z.csv", rows, header=header))
    assert (mixed.created_count, mixed.merged_count, mixed.located_count) == (0, 2, 1)
    # The first file again, its polling-station column now kept as a custom field: read again.
    mapping = {**guess_mapping(header), "Code du b.vote": "custom:bureau"}
    do_import(campaign, path, mapping=mapping)
    with tenant_context(campaign):
        assert Contact.objects.get(email="elodie@exemple.fr").custom_fields == {"bureau": "0012"}
        assert Contact.objects.count() == 2


def test_a_person_merged_by_hand_does_not_come_back_with_the_same_file(campaign, tmp_path):
    from campaigns.accounts.models import Role
    from crm import dedup
    from tests.conftest import make_user

    header = ["Nom", "Prénom", "Email"]
    rows = [["Durand", "Léa", "lea@exemple.fr"], ["Durand", "Léa M.", "lea.durand@travail.fr"]]
    path = write_csv(tmp_path / "x.csv", rows, header=header)
    assert do_import(campaign, path).created_count == 2  # nothing tells they are one person
    admin = make_user(campaign, Role.ADMIN)
    with tenant_context(campaign):
        first, second = Contact.objects.order_by("pk")
        dedup.merge_contacts(first, second, actor=admin)
    again = do_import(campaign, path)
    assert (again.created_count, again.merged_count) == (0, 2)
    with tenant_context(campaign):
        assert Contact.objects.count() == 1


def test_a_second_file_completes_known_people_without_duplicating_them(campaign, tmp_path):
    do_import(campaign, write_csv(tmp_path / "a.csv", PEOPLE))
    newer = [["LEFEVRE", "", "Elodie", "", "31/01/1980", "", "", "", "", "", "07 81 00 00 01", ""]]
    job = do_import(campaign, write_csv(tmp_path / "b.csv", newer))
    assert (job.created_count, job.merged_count) == (0, 1)  # same folded name and birth date
    with tenant_context(campaign):
        elodie = Contact.objects.get(email="elodie@exemple.fr")
        assert elodie.phone == "+33612345678"
        assert elodie.other_phones == ["+33781000001"]
        assert elodie.interactions.filter(kind="import_update").exists()


@pytest.mark.parametrize("small_next_to_the_base", [False, True])
def test_known_people_are_found_by_email_then_phone_their_other_ones_too_then_name_and_birth_date(
    campaign, tmp_path, caplog, small_next_to_the_base
):
    # Two ways to find them (index lookups for a file small next to the base, one pass
    # over the base otherwise): both must pick the same contacts.
    with tenant_context(campaign):
        x = Contact.objects.create(birth_name="XAVIER", first_names="Ana", email="x@exemple.fr")
        y = Contact.objects.create(birth_name="YVES", first_names="Bo", phone="+33611111111")
        z = Contact.objects.create(birth_name="LEFÈVRE", first_names="Élodie", birth_date=dt.date(1980, 1, 31))
        Contact.objects.create(birth_name="WAGNER", first_names="Cy", email="x@exemple.fr")  # same e-mail, later
        Contact.objects.create(birth_name="VIDAL", first_names="Di", phone="+33633333333")
        u = Contact.objects.create(birth_name="URBAIN", first_names="Eva", email="eva@exemple.fr",
                                   other_emails=["eva.pro@exemple.fr"])  # fmt: skip
        v = Contact.objects.create(birth_name="VALLET", first_names="Fa", phone="+33644444444",
                                   other_phones=["+33755555555"])  # fmt: skip
        Contact.objects.create(birth_name="WALTER", first_names="Gi", phone="+33622222222")
        if small_next_to_the_base:
            Contact.objects.bulk_create([Contact(first_names=f"Voisin {i}") for i in range(20)])
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE crm_contact")
        before = Contact.objects.count()
    header = ["Nom", "Prénom", "Date de naissance", "Mobile", "Email", "Repère"]
    rows = [
        ["AUTRE", "Nom", "", "06 33 33 33 33", "X@exemple.fr", "r1"],  # e-mail wins over Vidal's phone
        ["AUTRE", "Encore", "", "06.11.11.11.11", "", "r2"],
        ["LEFEVRE", "Elodie Marie", "31/01/1980", "", "", "r3"],
        ["NOUVEAU", "Léon", "", "", "", "r4"],
        ["AUTRE", "Cinq", "", "06 22 22 22 22", "Eva.Pro@exemple.fr", "r5"],  # Eva's other e-mail wins too
        ["AUTRE", "Six", "", "07 55 55 55 55", "", "r6"],  # Fa's other phone
    ]
    caplog.set_level(logging.DEBUG, logger="crm.importing.bulk")
    job = do_import(campaign, write_csv(tmp_path / "x.csv", rows, header=header))
    assert ("DISTINCT ON (row_no)" in caplog.text) == small_next_to_the_base
    assert (job.created_count, job.merged_count) == (1, 5)
    with tenant_context(campaign):
        assert Contact.objects.count() == before + 1
        found = {c.custom_fields.get("Repère"): c.pk for c in Contact.objects.exclude(custom_fields={})}
        assert found["r1"] == x.pk and found["r2"] == y.pk and found["r3"] == z.pk
        assert found["r5"] == u.pk and found["r6"] == v.pk
        assert Contact.objects.get(pk=x.pk).phone == "+33633333333"  # blank before: filled


def test_without_email_phone_or_birth_date_the_same_name_at_the_same_address_is_the_same_person(campaign, tmp_path):
    header = ["Nom", "Prénom", "Adresse 1", "Code postal", "Ville", "Mobile"]
    do_import(campaign, write_csv(tmp_path / "a.csv", [["Müller", "Anaïs", "3 rue des Lilas", "45000", "Orléans", ""]],
                                  header=header))  # fmt: skip
    again = [
        ["MULLER", "Anaïs", "3, Rue des lilas", "45000", "ORLEANS", "06 12 34 56 78"],  # same building
        ["MULLER", "Anaïs", "5 rue des Lilas", "45000", "Orléans", ""],  # next door: someone else
    ]
    job = do_import(campaign, write_csv(tmp_path / "b.csv", again, header=header))
    assert (job.created_count, job.merged_count) == (1, 1)
    with tenant_context(campaign):
        anais = Contact.objects.get(household__address__line1="3 rue des Lilas")
        assert anais.phone == "+33612345678" and anais.birth_name == "Müller"


def test_a_namesake_born_another_day_at_the_same_address_is_someone_else(campaign, tmp_path):
    """A mother and her daughter of the same name in one flat: the daughter alone in the
    base, the mother came in a later file and was merged into her daughter's contact."""
    header = ["Nom de naissance", "Prénoms", "Date de naissance", "Adresse 1", "Code postal", "Ville"]
    daughter = ["LE GUÉRÉ", "Anne-Sophie", "30/09/1988", "3 rue des Lilas", "45000", "Orléans"]
    do_import(campaign, write_csv(tmp_path / "a.csv", [daughter], header=header))
    mother = ["LE GUÉRÉ", "Anne-Sophie Marie", "12/05/1961", "3 rue des Lilas", "45000", "Orléans"]
    undated = ["Le Guéré", "Anne-Sophie", "", "3 rue des Lilas", "45000", "Orléans"]  # one of them: not told apart
    job = do_import(campaign, write_csv(tmp_path / "b.csv", [mother, undated], header=header))
    assert (job.created_count, job.merged_count) == (1, 1)
    with tenant_context(campaign):
        born = sorted(Contact.objects.values_list("birth_date", flat=True))
        assert born == [dt.date(1961, 5, 12), dt.date(1988, 9, 30)]


def test_same_person_twice_in_one_file_is_one_contact(campaign, tmp_path):
    job = do_import(campaign, write_csv(tmp_path / "x.csv", [PEOPLE[0], PEOPLE[0]]))
    assert (job.created_count, job.merged_count) == (1, 1)


def test_what_a_second_row_of_one_person_adds_is_kept(campaign, tmp_path):
    header = ["Nom", "Prénom", "Date de naissance", "Mobile", "Email", "Accord SMS", "Quartier"]
    rows = [
        ["ARNAUD", "Léa", "", "06 12 34 56 78", "lea@exemple.fr", "oui", ""],
        ["ARNAUD", "Léa", "02/03/1975", "07 81 23 45 67", "lea@exemple.fr", "non", "Nord"],  # same e-mail
        ["ARNAUD", "Léa", "", "06 12 34 56 78", "lea.arnaud@travail.fr", "", "Sud"],  # same phone
    ]
    job = do_import(campaign, write_csv(tmp_path / "x.csv", rows, header=header))
    assert (job.created_count, job.merged_count) == (1, 2)
    with tenant_context(campaign):
        lea = Contact.objects.get()
        assert (lea.email, lea.other_emails) == ("lea@exemple.fr", ["lea.arnaud@travail.fr"])
        assert (lea.phone, lea.other_phones) == ("+33612345678", ["+33781234567"])
        assert lea.birth_date == dt.date(1975, 3, 2)
        assert lea.custom_fields == {"Quartier": "Nord"}  # the first row that gives it
        assert lea.consent_sms is False  # one row withdrew it
        assert list(lea.consent_events.order_by("pk").values_list("granted", flat=True)) == [True, False]
    # Two rows of a second file finding one known person: both complete her.
    newer = [["ARNAUD", "Léa", "", "", "lea@exemple.fr", "", ""],
             ["ARNAUD", "Léa", "", "06 12 34 56 78", "lea.a@asso.fr", "", "Est"]]  # fmt: skip
    job = do_import(campaign, write_csv(tmp_path / "y.csv", newer, header=header))
    assert (job.created_count, job.merged_count) == (0, 2)
    with tenant_context(campaign):
        lea = Contact.objects.get()
        assert lea.other_emails == ["lea.arnaud@travail.fr", "lea.a@asso.fr"]
        assert lea.custom_fields == {"Quartier": "Nord"}  # what she had stays
        assert lea.interactions.filter(kind="import_update").exists()


def test_a_duplicate_of_a_duplicate_in_one_file_is_merged_too(campaign, tmp_path):
    header = ["Nom", "Prénom", "Mobile", "Email", "Tags"]
    rows = [
        ["ARNAUD", "Léa", "06 12 34 56 78", "lea@exemple.fr", "a"],
        ["ARNAUD", "Léa", "06 12 34 56 78", "lea.arnaud@exemple.fr", "b"],  # row 2's phone
        ["ARNAUD", "L.", "07 81 23 45 67", "lea.arnaud@exemple.fr", "c"],  # row 3's e-mail
    ]
    job = do_import(campaign, write_csv(tmp_path / "x.csv", rows, header=header))
    assert (job.created_count, job.merged_count, job.rejected_count) == (1, 2, 0)
    with tenant_context(campaign):
        assert set(Contact.objects.get().tags.values_list("name", flat=True)) == {"a", "b", "c"}
    # Imported again, alone or with the others, the duplicates still make nobody new.
    for again in ([rows[2]], rows, [rows[1], rows[2]]):
        job = do_import(campaign, write_csv(tmp_path / "again.csv", again, header=header))
        assert (job.created_count, job.merged_count) == (0, len(again))
    with tenant_context(campaign):
        assert Contact.objects.count() == 1


def test_people_at_one_building_share_its_address_and_point(campaign, tmp_path):
    header = [*HEADER, "Longitude", "Latitude"]
    rows = [PEOPLE[1] + ["1,9093", "47,9029"], PEOPLE[2] + ["", ""]]
    job = do_import(campaign, write_csv(tmp_path / "x.csv", rows, header=header))
    assert job.located_count == 2
    with tenant_context(campaign):
        zoe, loic = Contact.objects.get(first_names="Zoë"), Contact.objects.get(first_names="Loïc")
        assert zoe.household == loic.household  # same building, same (blank) dwelling
        assert zoe.household.address.point.coords == pytest.approx((1.9093, 47.9029))


def test_tags_and_consents_are_recorded(campaign, tmp_path):
    header = ["Nom", "Prénom", "Email", "Tags", "Accord SMS", "Accord e-mail"]
    rows = [["Durand", "Léa", "lea@x.fr", "bénévole, quartier nord", "oui", "non"]]
    do_import(campaign, write_csv(tmp_path / "x.csv", rows, header=header))
    with tenant_context(campaign):
        lea = Contact.objects.get(email="lea@x.fr")
        assert set(lea.tags.values_list("name", flat=True)) == {"bénévole", "quartier nord"}
        assert (lea.consent_sms, lea.consent_email, lea.consent_phone) == (True, False, None)
        assert set(ConsentEvent.objects.filter(contact=lea).values_list("channel", "granted")) == {
            ("sms", True),
            ("email", False),
        }
        assert Tag.objects.filter(name="bénévole").count() == 1


def test_a_support_level_that_is_not_1_to_5_is_reported(campaign, tmp_path):
    # "²" counts as a digit for str.isdigit() but int() refuses it: it once crashed the import.
    header = ["Nom", "Prénom", "Niveau de soutien"]
    rows = [["Durand", "Léa", "4"], ["Martin", "Paul", "²"], ["Petit", "Anne", "7"]]
    job = do_import(campaign, write_csv(tmp_path / "x.csv", rows, header=header))
    assert (job.status, job.created_count, job.rejected_count) == ("done", 1, 2)
    assert {r[0]: (r[2], r[3]) for r in report_rows(job)} == {
        "3": ("²", "attendu : un nombre de 1 à 5"),
        "4": ("7", "attendu : un nombre de 1 à 5"),
    }
    with tenant_context(campaign):
        assert Contact.objects.get().support_level == 4


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "vide"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binaires"),
        (b"juste une ligne de texte sans colonnes\n", "Une seule colonne"),
        (b"PK\x03\x04 pas vraiment un zip", "abîmé"),
    ],
)
def test_a_file_that_is_not_a_table_is_refused_and_nothing_changes(campaign, tmp_path, content, message):
    with tenant_context(campaign):
        before = Contact.objects.count()
    path = tmp_path / "photo.csv"
    path.write_bytes(content)
    job = do_import(campaign, path)
    assert job.status == ImportJob.Status.FAILED
    assert message in job.error
    with tenant_context(campaign):
        assert Contact.objects.count() == before


def test_a_title_above_the_column_names_is_named_as_such_and_nothing_changes(campaign, tmp_path):
    """A sheet made by hand often starts with a title. The file was refused for its
    separator (CSV) or for holding no name column (XLSX): true, but no help."""
    from openpyxl import Workbook

    csv_path = tmp_path / "liste.csv"
    csv_path.write_text("Liste électorale de Villebourg, extraction du 01/11/2026\nNom;Prénom;Ville\n"
                        "SIMON;Léa;Orléans\n", encoding="utf-8")  # fmt: skip
    workbook = Workbook()
    for row in (["Liste électorale de Villebourg"], [], ["Nom", "Prénom", "Ville"], ["SIMON", "Léa", "Orléans"]):
        workbook.active.append(row)
    xlsx_path = tmp_path / "liste.xlsx"
    workbook.save(xlsx_path)
    for path, line in ((csv_path, 2), (xlsx_path, 3)):
        job = do_import(campaign, path)
        assert job.status == ImportJob.Status.FAILED
        assert job.error == (
            f"La ligne 1 (« Liste électorale de Villebourg{', extraction du 01/11/2026' if line == 2 else ''} ») "
            f"ne nomme pas les colonnes, qui semblent nommées en ligne {line} : supprimez les lignes au-dessus "
            "(un titre, par exemple) et envoyez le fichier à nouveau."
        )
    with tenant_context(campaign):
        assert not Contact.objects.exists()
    # Column names cut by tabs, rows with more commas than tabs: a table, not a title.
    rows = [[f"NOM{n}", "Léa", "12, rue Bannier, bât. A, esc. 2", "Orléans"] for n in range(10)]
    job = do_import(campaign, write_csv(tmp_path / "tabs.csv", rows, delimiter="\t",
                                        header=["Nom", "Prénom", "Adresse", "Ville"]))  # fmt: skip
    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 10)
    # A workbook's one named column, beside one nobody named: a table too, whose unnamed
    # column is left out (its rows were rejected: "2 colonnes au lieu de 1").
    workbook = Workbook()
    for row in (["Nom"], ["BLANC", "à rappeler"], ["NOIR", "absent"]):
        workbook.active.append(row)
    workbook.save(xlsx_path)
    assert (do_import(campaign, xlsx_path).created_count) == 2


def test_a_file_without_a_name_column_is_refused_before_anything_is_read(campaign, tmp_path):
    """Each row must name its person: a list of e-mails alone passed the check of the
    columns, then every row was rejected for its missing name."""
    path = tmp_path / "lettre.csv"
    path.write_text("Email;Mobile\nlea@exemple.fr;0612345678\n", encoding="utf-8")
    job = do_import(campaign, path)
    assert job.status == ImportJob.Status.FAILED and job.rejected_count == 0
    assert job.error == ("Aucune colonne de nom (nom de naissance, nom d'usage ou prénoms) : chaque ligne doit "
                         "nommer une personne.")  # fmt: skip


def test_a_mapping_without_any_identity_column_is_refused(campaign, tmp_path):
    path = write_csv(tmp_path / "x.csv", [["a", "b"]], header=["Couleur", "Animal"])
    job = do_import(campaign, path)
    assert job.status == ImportJob.Status.FAILED
    assert "Aucune colonne de nom" in job.error


def test_a_crash_in_the_middle_leaves_no_half_imported_rows(campaign, tmp_path, monkeypatch):
    real_merge = pipeline.merge

    def merge_then_crash(cursor, **kwargs):
        real_merge(cursor, **kwargs)  # contacts, addresses, tags... all written
        raise OSError("disk full")

    monkeypatch.setattr(pipeline, "merge", merge_then_crash)
    with tenant_context(campaign):
        before = (Contact.objects.count(), Address.objects.count(), Tag.objects.count())
    with pytest.raises(OSError, match="disk full"):
        do_import(campaign, write_csv(tmp_path / "x.csv", PEOPLE))
    with tenant_context(campaign):
        assert (Contact.objects.count(), Address.objects.count(), Tag.objects.count()) == before
        job = ImportJob.objects.latest("created")
        assert job.status == ImportJob.Status.FAILED and "disk full" in job.error


def test_command_prints_the_summary_line_and_report_path(campaign, tmp_path, capsys):
    path = write_csv(tmp_path / "x.csv", [*PEOPLE, ["", "", "", "", "", "", "", "", "", "", "", "x@y.fr"]])
    call_command("import_contacts", "--campaign", campaign.schema_name, str(path))
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-2] == "created=3 merged=0 rejected=1"
    assert lines[-1].endswith("-rejected.csv")


@pytest.mark.parametrize("fork", [True, False])  # forked on Linux, spawned elsewhere
def test_big_files_are_cleaned_in_worker_processes_with_the_same_result(campaign, tmp_path, monkeypatch, fork):
    from bench.synthetic import write_voter_file
    from tests.conftest import SHARED

    path = tmp_path / "voters.csv"
    write_voter_file(path, rows=3000, communes_path=SHARED / "data/geo/communes-45-loiret.geojson", seed=3)
    bad = path.read_bytes().replace(b"\r\n", b"\r\n;;;;;31/02/1990;;;;;;;;\r\n", 1)  # one bad row, row 2
    path.write_bytes(bad)
    inline = do_import(campaign, path)
    with tenant_context(campaign):
        Contact.objects.all().delete()
    monkeypatch.setattr(pipeline, "PARALLEL_ROWS", 1000)
    monkeypatch.setattr(pipeline, "FORK", fork)
    monkeypatch.setattr(pipeline, "BLOCK_BYTES", 20_000)  # about 150 rows per block
    parallel = do_import(campaign, path)
    assert (parallel.created_count, parallel.merged_count, parallel.rejected_count) == (
        inline.created_count, inline.merged_count, inline.rejected_count)  # fmt: skip
    assert parallel.rejected_count == 1 and parallel.created_count > 2900
    assert report_rows(parallel) == report_rows(inline)
    again = do_import(campaign, path)  # in worker processes too, which skip every row imported already
    assert (again.created_count, again.merged_count, again.rejected_count, again.located_count) == (
        0, parallel.created_count + parallel.merged_count, 1, parallel.located_count)  # fmt: skip


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_a_file_cut_into_blocks_gives_the_same_rows_as_read_whole(tmp_path, newline, encoding):
    """Big CSV files are cut into blocks of bytes that worker processes parse on their
    own: whatever the cut, the rows and their numbers are those of one csv.reader."""
    from crm.importing.sniff import block_rows, iter_blocks, iter_rows, sniff

    quoted = [
        ["LEFÈVRE", "Élodie", "une note\nsur deux lignes"],
        ["D'ALMEIDA", 'Zoé "Zaza"', "point-virgule ; dedans"],
    ]
    plain = [["", "", ""], ["MARTIN", "Paul", ""]] + [[f"NOM{i}", "Prénom", f"n°{i}"] for i in range(40)]
    rows = [["Nom", "Prénoms", "Note"], *quoted, *plain]
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=";", lineterminator=newline).writerow(rows[0])
    csv.writer(buffer, delimiter=";", lineterminator=newline, quoting=csv.QUOTE_ALL).writerows(quoted)
    csv.writer(buffer, delimiter=";", lineterminator=newline).writerows(plain)
    text = buffer.getvalue()
    text += 'O"BRIEN;Jean;guillemet isolé' + newline  # read as is by csv: quotes are no longer balanced
    text += newline + "SANS;FIN;DE LIGNE"  # a blank row, then a last row without a line end
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode(encoding))
    shape = sniff(path)
    whole = list(iter_rows(path, shape))[1:]
    assert whole[1] == (3, ["D'ALMEIDA", 'Zoé "Zaza"', "point-virgule ; dedans"])
    assert whole[-3] == (len(rows) + 1, ['O"BRIEN', "Jean", "guillemet isolé"])
    assert whole[-1] == (len(rows) + 3, ["SANS", "FIN", "DE LIGNE"])
    for size in (1, 7, 64, 1000, 1 << 20):
        blocks = list(iter_blocks(path, shape, size))
        assert b"".join(block for _offset, _number, block in blocks) == path.read_bytes()
        cut = [row for offset, number, block in blocks for row in block_rows(block, shape, offset, number)]
        assert cut == whole, size


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from([*"ab éŒ';,\t \n\x1c\u2028\x0b", "\r\n"]), max_size=80).map("".join),
    st.sampled_from([";", ",", "\t"]),
)
def test_rows_without_quotes_are_split_exactly_as_csv_reader_reads_them(text, delimiter):
    assert plain(text)
    assert split_rows(text, delimiter) == list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    assert not plain(text + '"') and not plain(text + "\r") and not plain(text + "\x00")


def test_a_byte_of_another_encoding_far_in_the_file_is_refused_with_its_position(campaign, tmp_path, monkeypatch):
    from crm.importing import sniff

    monkeypatch.setattr(sniff, "SAMPLE_BYTES", 4096)  # the encoding is guessed from the start
    monkeypatch.setattr(pipeline, "BLOCK_BYTES", 4096)
    lines = ["Nom;Prénom;Email"] + [f"Nom{i};Zoé;z{i}@x.fr" for i in range(3000)]
    good = ("\n".join(lines) + "\n").encode()
    path = tmp_path / "x.csv"
    path.write_bytes(good + "Gaël;Anaïs;a@x.fr\n".encode("cp1252"))
    with tenant_context(campaign):
        before = Contact.objects.count()
    job = do_import(campaign, path)
    assert job.status == ImportJob.Status.FAILED
    assert f"position {len(good) + 2}" in job.error  # the "ë" of Gaël
    with tenant_context(campaign):
        assert Contact.objects.count() == before


def test_bigints_go_through_binary_copy_unchanged(db):
    from crm.importing.bulk import copy_bigints

    values = [0, 1, -1, 2**63 - 1, -(2**63), 0x0102030405060708, -0x0102030405060708]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE numbers (n bigint)")
        copy_bigints(cursor, "numbers", "n", values)
        cursor.execute("SELECT n FROM numbers")
        assert sorted(r[0] for r in cursor.fetchall()) == sorted(values)


@pytest.mark.skipif(not pipeline.FORK, reason="cleaning processes are forked on Linux only")
def test_a_killed_import_leaves_no_cleaning_process_nor_open_transaction_behind(db):
    """A worker killed mid-import (restarted, OOM-killed): its forked cleaning processes
    must not keep its database connection, its transaction and its locks alive."""
    key = 4_245_234
    holder = subprocess.Popen([sys.executable, "-m", "tests.crm.pool_holder", str(key)], env=subprocess_env(),
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        ready = holder.stdout.readline().split()
        assert ready[:1] == ["READY"] and len(ready) == 3
        children = [int(pid) for pid in ready[1:]]

        def lock_free():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
                free = cursor.fetchone()[0]
                if free:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            return free

        assert not lock_free()  # the stand-in's transaction holds it
    finally:
        holder.kill()
        holder.wait(timeout=10)

    def alive(pid):  # a zombie nobody reaps is gone too
        try:
            return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
        except FileNotFoundError:
            return False

    try:
        wait_for(lambda: not any(alive(pid) for pid in children), timeout=10, what="the cleaning processes to end")
        wait_for(lock_free, timeout=10, what="the killed import's transaction to end")
    finally:  # failed: leave no process behind holding the test database
        for pid in filter(alive, children):
            os.kill(pid, signal.SIGKILL)


def _upload(content, name="liste.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return pipeline.store_upload(SimpleUploadedFile(name, content))


def test_an_uploaded_file_is_deleted_once_imported_or_refused_and_a_file_given_to_the_command_stays(
    campaign, tmp_path, monkeypatch
):
    given = write_csv(tmp_path / "x.csv", PEOPLE)
    with tenant_context(campaign):
        imported = _upload(given.read_bytes())
        refused = _upload(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "photo.csv")
        for path, status in ((imported, ImportJob.Status.DONE), (refused, ImportJob.Status.FAILED)):
            assert path.exists()
            job = run_import(create_job(file_path=path))
            assert job.status == status
            assert not path.exists() and not path.parent.exists()
        crashing = _upload(given.read_bytes())
        monkeypatch.setattr(pipeline, "merge", lambda cursor, **kwargs: (_ for _ in ()).throw(OSError("disk full")))
        with pytest.raises(OSError):
            run_import(create_job(file_path=crashing))
        assert not crashing.parent.exists()
    monkeypatch.undo()
    assert do_import(campaign, given).status == ImportJob.Status.DONE
    assert given.exists()  # the operator's own file


def test_uploads_nobody_went_on_to_import_are_deleted_after_two_days(campaign):
    from crm.tasks import tidy_import_files_everywhere

    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    with tenant_context(campaign):
        paths = {name: _upload(b"Nom;Ville\r\nMartin;Orl\xc3\xa9ans\r\n") for name in
                 ("abandoned", "fresh", "orphan", "fresh_orphan", "queued")}  # fmt: skip
        jobs = {name: create_job(file_path=paths[name]) for name in ("abandoned", "fresh", "queued")}
        ImportJob.objects.filter(pk=jobs["queued"].pk).update(status=ImportJob.Status.QUEUED)
        ImportJob.objects.filter(pk__in=[jobs["abandoned"].pk, jobs["queued"].pk]).update(created=long_ago)
        for name in ("abandoned", "orphan", "queued"):
            os.utime(paths[name].parent, (long_ago.timestamp(), long_ago.timestamp()))
    assert tidy_import_files_everywhere()[campaign.schema_name]["uploads"] == 2
    assert {name for name, path in paths.items() if path.exists()} == {"fresh", "fresh_orphan", "queued"}
    with tenant_context(campaign):
        abandoned = ImportJob.objects.get(pk=jobs["abandoned"].pk)
        assert abandoned.status == ImportJob.Status.FAILED and "supprimé au bout de 2 jours" in abandoned.error
        assert ImportJob.objects.get(pk=jobs["fresh"].pk).status == ImportJob.Status.PENDING


def test_rejected_rows_reports_are_deleted_after_thirty_days(campaign, tmp_path):
    from django.test import Client

    from campaigns.accounts.models import Role
    from crm.tasks import tidy_import_files_everywhere
    from tests.conftest import host_of, make_user

    bad = ["", "", "", "", "31/02/1990", "", "", "", "", "", "", ""]  # no name, impossible date
    old, recent = (do_import(campaign, write_csv(tmp_path / f"{n}.csv", [*PEOPLE, bad])) for n in ("old", "recent"))
    assert old.rejected_count == recent.rejected_count == 1
    with tenant_context(campaign):
        ImportJob.objects.filter(pk=old.pk).update(finished=old.finished - dt.timedelta(days=31))
    assert tidy_import_files_everywhere()[campaign.schema_name]["reports"] == 1
    assert not Path(old.report_path).exists() and Path(recent.report_path).exists()
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        assert ImportJob.objects.get(pk=old.pk).report_path == ""
        client.force_login(make_user(campaign, Role.ORGANIZER))
    page = client.get(f"/equipe/imports/{old.pk}/").content.decode()
    assert "Le rapport des lignes rejetées a été supprimé 30 jours après l'import." in page
    assert client.get(f"/equipe/imports/{old.pk}/rejets.csv").status_code == 404
    assert client.get(f"/equipe/imports/{recent.pk}/rejets.csv").status_code == 200


def test_the_progress_bar_names_each_step_and_moves_until_the_rows_are_written(campaign, tmp_path):
    """Reading a million rows takes a fifth of an import: the bar used to wait at 99 %
    ("1000000 lignes lues sur 1000000") while the rows were written to the base."""
    import html
    import re

    from django.test import Client

    from campaigns.accounts.models import Role
    from tests.conftest import host_of, make_user

    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(make_user(campaign, Role.ORGANIZER))

    def shown(job):
        page = client.get(f"/equipe/imports/{job.pk}/progression/").content.decode()
        step = re.search(r'id="import-step">([^<]*)<', page)
        return int(re.search(r'<progress id="import-bar" max="100" value="(\d+)"', page)[1]), (
            " ".join(html.unescape(step[1]).split()) if step else "")  # fmt: skip

    seen = []

    def watch(progress):
        # Not while the file is being copied in: the import's connection is busy then.
        if progress.step.startswith("Enregistrement"):
            seen.append(shown(job))

    path = write_csv(tmp_path / "liste.csv", PEOPLE)
    with tenant_context(campaign):
        job = create_job(file_path=path)
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, total_rows=3000)
        job.refresh_from_db()
        pipeline._publish(job, 1500)
        half_read = shown(job)
        job = run_import(job, on_progress=watch)
    assert half_read[1] == "Lecture du fichier : 1 500 lignes sur 3 000"
    assert [step for _percent, step in seen] == [
        "Enregistrement dans la base, étape 1 sur 7 : personnes déjà connues et doublons du fichier",
        "Enregistrement dans la base, étape 2 sur 7 : adresses",
        "Enregistrement dans la base, étape 3 sur 7 : foyers",
        "Enregistrement dans la base, étape 4 sur 7 : fiches des contacts et index de recherche",
        "Enregistrement dans la base, étape 5 sur 7 : lignes importées",
        "Enregistrement dans la base, étape 6 sur 7 : consentements, compléments et étiquettes",
        "Enregistrement dans la base, étape 7 sur 7 : contacts localisés",
    ]
    percents = [half_read[0]] + [percent for percent, _step in seen]
    assert percents[0] > 0 and percents == sorted(set(percents)) and percents[-1] < 100
    assert shown(job) == (100, "") and job.created_count == 3


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_campaigns_export_imports_into_another_with_everything_it_holds(campaign_a, campaign_b, tmp_path, fmt):
    """Moving a base (a list joining a wider campaign, say): every column of the export
    is recognised. Opinion notes go back to the opinion field, which only people allowed
    to see opinions see, not to a custom field shown to everyone."""
    from campaigns.accounts.models import Role
    from crm.exports import export_contacts
    from tests.conftest import make_user

    with tenant_context(campaign_a):
        elodie = contact_with_everything(opinion_notes="Hésite : pistes cyclables ?",
                                         other_emails=["elodie@travail.fr"],
                                         other_phones=["+33238112233", "+33238445566"])  # fmt: skip
        # A questionnaire's answer becomes a tag, commas and all.
        elodie.tags.add(Tag.objects.create(name="Oui, tout à fait"))
        Contact.objects.create(birth_name="Abel")
        out = export_contacts(Contact.objects.all(), actor=make_user(campaign_a, Role.ORGANIZER), fmt=fmt,
                              include_sensitive=True)  # fmt: skip
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(out.read())

    job = do_import(campaign_b, path)
    assert (job.created_count, job.rejected_count) == (2, 0)
    with tenant_context(campaign_b):
        moved = Contact.objects.select_related("household__address").get(email="elodie@exemple.fr")
        assert (moved.birth_name, moved.usage_name, moved.first_names, moved.sex, moved.birth_date, moved.phone) == (
            "Lefèvre", "Martin", "Élodie Françoise", "F", dt.date(1980, 1, 31), "+33612345678")  # fmt: skip
        assert (moved.other_emails, moved.other_phones) == (["elodie@travail.fr"], ["+33238112233", "+33238445566"])
        place = moved.household.address
        assert (place.line1, place.postal_code, place.city, place.polling_station_code, moved.household.label) == (
            "12 rue de l'Église", "45000", "Orléans", "0012", "Appt 3")  # fmt: skip
        assert sorted(moved.tags.values_list("name", flat=True)) == ["Oui, tout à fait", "bénévole", "voisins"]
        assert (moved.consent_email, moved.consent_sms, moved.consent_phone) == (True, False, None)
        assert (moved.support_level, moved.opinion_notes) == (4, "Hésite : pistes cyclables ?")
        assert "Notes d'opinion" not in moved.custom_fields and "Logement" not in moved.custom_fields
        assert Contact.objects.filter(birth_name="Abel").exists()


def test_opinion_notes_fill_a_known_persons_blank_notes_and_never_overwrite_them(campaign, tmp_path):
    header = ["Nom", "Prénom", "Email", "Notes d'opinion"]
    do_import(campaign, write_csv(tmp_path / "a.csv", [["Roux", "Anne", "anne@x.fr", ""],
                                                       ["Petit", "Paul", "paul@x.fr", "Contre le projet"]],
                                  header=header))  # fmt: skip
    job = do_import(campaign, write_csv(tmp_path / "b.csv", [["Roux", "Anne", "anne@x.fr", "Pour, si bus"],
                                                             ["Petit", "Paul", "paul@x.fr", "Pour"]],
                                        header=header))  # fmt: skip
    assert (job.created_count, job.merged_count) == (0, 2)
    with tenant_context(campaign):
        notes = dict(Contact.objects.values_list("first_names", "opinion_notes"))
        assert notes == {"Anne": "Pour, si bus", "Paul": "Contre le projet"}
        assert not Contact.objects.filter(custom_fields__has_key="Notes d'opinion").exists()


def test_the_import_jobs_stay_readable_while_a_big_import_writes_its_contacts(committed, tmp_path):
    """A big first import drops the contacts' indexes and foreign keys while it writes
    them. Dropping the key to the import jobs locked that table too, until commit: the
    progress bar, the job's page and the list of imports hung for the longest half of
    the import (25 s for a million rows)."""
    import psycopg

    from bench.synthetic import write_voter_file
    from tests.conftest import SHARED, database_url_for_tests

    campaign = committed.campaign().campaign
    path = tmp_path / "liste.csv"
    write_voter_file(path, rows=25_000, communes_path=SHARED / "data/geo/communes-45-loiret.geojson", seed=9)
    seen = {}

    def look_from_another_session(progress):
        if "étape 6" not in progress.step:  # the contacts are written: their keys are rebuilt or kept
            return
        with psycopg.connect(database_url_for_tests(), autocommit=True) as other:
            other.execute("SET lock_timeout = '3s'")
            other.execute(f'SET search_path = "{campaign.schema_name}", public')
            seen["status"] = other.execute("SELECT status FROM crm_importjob WHERE id = %s", [job.pk]).fetchone()[0]

    with tenant_context(campaign):
        job = create_job(file_path=path, file_name="liste.csv")
        job = run_import(job, on_progress=look_from_another_session)
    assert seen == {"status": "running"}
    assert job.status == ImportJob.Status.DONE and job.created_count > 20_000


def test_the_wizard_opens_a_workbook_once_from_upload_to_import(campaign, tmp_path, monkeypatch):
    """Opening a big workbook takes seconds (openpyxl reads every shared string first:
    10 s for 300,000 rows here). The upload, the columns page and its submission each
    opened it twice: a minute of waiting before the import even started."""
    import openpyxl
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from campaigns.accounts.models import Role
    from tests.conftest import host_of, make_user

    opened = []
    real_load = openpyxl.load_workbook
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(a) or real_load(*a, **k))
    workbook = Workbook()
    for row in [HEADER, *PEOPLE]:
        workbook.active.append(row)
    path = tmp_path / "liste.xlsx"
    workbook.save(path)
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(make_user(campaign, Role.ORGANIZER))
    upload = SimpleUploadedFile("liste.xlsx", path.read_bytes())
    columns = client.post("/equipe/imports/", {"file": upload, "source": "liste"})
    page = client.get(columns["Location"])
    assert "Élodie Françoise" in page.content.decode()
    chosen = {f"col_{i}": field for i, field in enumerate(guess_mapping(HEADER).values())}
    started = client.post(columns["Location"], chosen)
    assert started.status_code == 302 and len(opened) == 1
    with tenant_context(campaign):
        assert ImportJob.objects.get(file_name="liste.xlsx").status == ImportJob.Status.QUEUED


def test_two_imports_of_one_campaign_at_once_do_not_create_the_same_people_twice(committed, tmp_path):
    """Two organizers import overlapping lists at the same time (or one file is sent
    twice, to two workers). Each import matched the people of its file against the base
    as it was before the other committed: both created the same people."""
    import threading

    from django.db import connections

    campaign = committed.campaign().campaign
    first, second = write_csv(tmp_path / "a.csv", PEOPLE), write_csv(tmp_path / "b.csv", PEOPLE[1:])
    first_is_writing, go_on, second_steps = threading.Event(), threading.Event(), []

    def pause_while_writing(progress):
        if "étape 6" in progress.step:  # its contacts are written, not committed
            first_is_writing.set()
            go_on.wait(timeout=60)

    def watch_second(progress):
        second_steps.append(progress.step)
        if progress.step.startswith("En attente"):
            go_on.set()

    def run(path, on_progress, out):
        try:
            with tenant_context(campaign):
                out.append(run_import(create_job(file_path=path, file_name=path.name), on_progress=on_progress))
        finally:
            connections.close_all()

    jobs = {"first": [], "second": []}
    first_thread = threading.Thread(target=run, args=(first, pause_while_writing, jobs["first"]))
    first_thread.start()
    assert first_is_writing.wait(timeout=60)
    second_thread = threading.Thread(target=run, args=(second, watch_second, jobs["second"]))
    second_thread.start()
    second_thread.join(timeout=10)  # it waits for the first; without that, it is done by now
    go_on.set()
    first_thread.join(timeout=60)
    second_thread.join(timeout=60)

    (first_job,), (second_job,) = jobs["first"], jobs["second"]
    assert any(step.startswith("En attente") for step in second_steps)
    assert (first_job.status, first_job.created_count) == (ImportJob.Status.DONE, 3)
    assert (second_job.status, second_job.created_count, second_job.merged_count) == (ImportJob.Status.DONE, 0, 2)
    with tenant_context(campaign):
        assert Contact.objects.count() == 3
