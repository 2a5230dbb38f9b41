"""Erasure and suppression, retention, export of a person's data, duplicates and
merging, segments and exports."""

import csv
import datetime as dt
import io
import json

import pytest
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from campaigns.accounts.models import AuditEntry, Role
from crm import dedup, gdpr
from crm.exports import export_contacts, headers
from crm.models import Address, ConsentEvent, Contact, CrmSettings, DuplicateScan, Household, Interaction, Tag
from crm.segments import BadFilters, contacts_matching
from tests.conftest import SHARED, make_user
from tests.crm.test_import import PEOPLE, contact_with_everything, do_import, report_rows, write_csv


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


@pytest.fixture
def admin(campaign):
    return make_user(campaign, Role.ADMIN)


def test_erasure_empties_the_contact_and_a_reimport_does_not_bring_them_back(campaign, admin, tmp_path):
    path = write_csv(tmp_path / "liste.csv", PEOPLE)
    do_import(campaign, path)
    with tenant_context(campaign):
        elodie = Contact.objects.get(email="elodie@exemple.fr")
        elodie.tags.add(Tag.objects.create(name="sympathisante"))
        total = Contact.objects.count()
        gdpr.erase_contact(elodie, actor=admin)
        elodie.refresh_from_db()
        assert (elodie.birth_name, elodie.first_names, elodie.email, elodie.phone) == ("", "", "", "")
        assert elodie.erased_at and elodie.household is None and not elodie.tags.exists()
        assert Contact.objects.count() == total  # totals still add up
        assert gdpr.is_suppressed(email="Elodie@exemple.fr") and gdpr.is_suppressed(phone="+33612345678")
        assert AuditEntry.objects.filter(action="contact.erased", target_id=str(elodie.pk)).exists()
    job = do_import(campaign, path)
    assert job.created_count == 0 and job.rejected_count == 1
    with tenant_context(campaign):
        assert not Contact.objects.filter(email="elodie@exemple.fr").exists()
        assert not Contact.objects.filter(first_names="Élodie Françoise").exists()


def test_a_reimport_recognises_an_erased_email_or_phone_on_its_own(campaign, admin, tmp_path):
    """The import hashes e-mails and phones in SQL; the suppression list was written
    with the Python hash: an accented e-mail alone, or a phone alone, must match."""
    header = ["Nom", "Prénom", "Email", "Mobile"]
    rows = [["Cœur", "Zoé", "zoé.cœur@exemple.fr", ""], ["Faÿ", "Loïc", "", "07 81 23 45 67"]]
    path = write_csv(tmp_path / "x.csv", rows, header=header)
    assert do_import(campaign, path).created_count == 2
    with tenant_context(campaign):
        for contact in Contact.objects.filter(birth_name__in=["Cœur", "Faÿ"]):
            gdpr.erase_contact(contact, actor=admin)
    job = do_import(campaign, path)
    assert (job.created_count, job.merged_count, job.rejected_count) == (0, 0, 2)


def test_someone_known_by_name_and_birth_date_only_stays_erased_too(campaign, admin, tmp_path):
    """Most of a voter file has no e-mail or phone: the suppression list, which kept only
    those, let the next import of the same list bring such a person back."""
    header = ["Nom de naissance", "Prénoms", "Date de naissance", "Adresse 1", "Code postal", "Ville"]
    rows = [["LE GUÉRÉ", "Anne-Sophie Marie", "12/05/1961", "3 rue des Lilas", "45000", "Orléans"],
            ["LE GUÉRÉ", "Anne-Sophie", "30/09/1988", "3 rue des Lilas", "45000", "Orléans"]]  # fmt: skip
    path = write_csv(tmp_path / "liste.csv", rows, header=header)
    assert do_import(campaign, path).created_count == 2
    with tenant_context(campaign):
        mother = Contact.objects.get(birth_date=dt.date(1961, 5, 12))
        gdpr.erase_contact(mother, actor=admin)
    rows.append(["Le Guéré", "ANNE-SOPHIE", "12/05/1961", "8 place du Martroi", "45000", "Orléans"])  # moved since
    job = do_import(campaign, write_csv(tmp_path / "liste-2027.csv", rows, header=header))
    assert (job.created_count, job.rejected_count) == (0, 2)
    assert [r[0] for r in report_rows(job)] == ["2", "4"]
    with tenant_context(campaign):
        assert list(Contact.objects.filter(erased_at__isnull=True).values_list("birth_date", flat=True)) == [
            dt.date(1988, 9, 30)]  # fmt: skip


def test_a_person_gets_everything_held_about_them(campaign, admin, tmp_path):
    do_import(campaign, write_csv(tmp_path / "liste.csv", PEOPLE))
    with tenant_context(campaign):
        loic = Contact.objects.get(email="loic@exemple.fr")
        ConsentEvent.objects.create(contact=loic, channel="sms", granted=True, source="formulaire")
        data = json.loads(json.dumps(gdpr.export_contact(loic, actor=admin)))
        assert data["contact"]["first_names"] == "Loïc"
        assert data["address"]["line1"] == "4 bis avenue Jean Jaurès"
        assert data["consent_log"][0]["channel"] == "sms"
        assert AuditEntry.objects.filter(action="contact.exported", actor=admin).exists()


def test_a_purge_erases_people_in_a_few_statements_whatever_their_number(campaign, admin, monkeypatch):
    """Retention and election purges erased people one by one, a score of statements
    each: 8 ms a person, more than two hours for a town's electoral list."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.models import SuppressionEntry

    def people(prefix, n, first_phone):
        made = Contact.objects.bulk_create(
            [Contact(birth_name=f"{prefix}{i}", email=f"{prefix}{i}@exemple.fr", phone=f"+336123{first_phone + i:05d}",
                     other_emails=[f"{prefix}{i}@travail.fr"], consent_sms=True) for i in range(n)]
        )  # fmt: skip
        Contact.tags.through.objects.bulk_create(
            [Contact.tags.through(contact_id=c.pk, tag_id=tag.pk) for c in made]
        )  # fmt: skip
        return [c.pk for c in made]

    with tenant_context(campaign):
        tag = Tag.objects.create(name="quartier")
        few, many = people("peu", 3, 0), people("beaucoup", 120, 100)
        with CaptureQueriesContext(connection) as erasing_few:
            assert gdpr.erase_contacts(few, actor=admin, reason="test") == 3
        with CaptureQueriesContext(connection) as erasing_many:
            assert gdpr.erase_contacts(many, actor=admin, reason="test") == 120
        assert len(erasing_many) == len(erasing_few)
        monkeypatch.setattr(gdpr, "ERASE_CHUNK", 50)  # several transactions, same result
        rest = people("encore", 120, 300)
        assert gdpr.erase_contacts(rest + few, actor=admin, reason="test") == 120  # the erased are not again

        everyone = few + many + rest
        gone = Contact.objects.filter(pk__in=everyone)
        assert gone.filter(erased_at__isnull=False, birth_name="", email="", phone="", other_emails=[]).count() == 243
        assert not Contact.tags.through.objects.filter(contact_id__in=everyone).exists()
        assert SuppressionEntry.objects.count() == 3 * 243  # e-mail, other e-mail, phone
        assert gdpr.is_suppressed(email="beaucoup7@travail.fr") and gdpr.is_suppressed(phone="+33612300219")
        assert Interaction.objects.filter(contact_id__in=everyone, kind=Interaction.Kind.ERASED).count() == 243
        audit = AuditEntry.objects.filter(action="contact.erased", target_id__in=[str(pk) for pk in everyone])
        assert audit.count() == 243 and set(audit.values_list("actor", flat=True)) == {admin.pk}


def test_retention_dry_run_lists_then_purge_erases_only_inactive_people(campaign, admin):
    with tenant_context(campaign):
        settings_row = CrmSettings.current()
        settings_row.retention_months = 6
        settings_row.save()
        old = Contact.objects.create(birth_name="Ancien", email="ancien@x.fr")
        active = Contact.objects.create(birth_name="Actif", email="actif@x.fr")
        # Nobody of the team reached her lately, but she takes part on the site herself.
        online = Contact.objects.create(birth_name="Participante", email="participe@x.fr")
        just_noted = Contact.objects.create(birth_name="Noté", email="note@x.fr")
        people = [old.pk, active.pk, online.pk, just_noted.pk]
        long_ago = timezone.now() - dt.timedelta(days=400)
        Contact.objects.filter(pk__in=people).update(created=long_ago, updated=long_ago)
        Interaction.objects.create(contact=active, kind="field_report", is_contact=True)
        Interaction.objects.create(contact=online, kind="contribution", summary="Idée : un marché bio")
        Interaction.objects.create(contact=just_noted, kind="field_report", is_contact=False)  # nobody home
        count, ids = gdpr.apply_retention(dry_run=True)
        assert sorted(ids) == [old.pk, just_noted.pk]
        assert Contact.objects.get(pk=old.pk).erased_at is None
        gdpr.apply_retention(dry_run=False, actor=admin)
        assert Contact.objects.get(pk=old.pk).erased_at is not None
        assert Contact.objects.get(pk=active.pk).erased_at is None
        assert Contact.objects.get(pk=online.pk).erased_at is None


def test_duplicates_are_found_and_merging_keeps_every_record(campaign, admin):
    with tenant_context(campaign):
        address = Address.objects.create(line1="3 rue des Lilas", postal_code="45000", city="Orléans")
        home = Household.objects.create(address=address)
        a = Contact.objects.create(birth_name="Lefèvre", first_names="Hélène", email="helene@x.fr", household=home)
        b = Contact.objects.create(birth_name="LEFEVRE", first_names="Helene", phone="+33612345678", household=home)
        c = Contact.objects.create(birth_name="Martin", first_names="Jean", email="helene@x.fr")
        pairs = dedup.find_duplicates()
        assert dedup.DuplicatePair(a.pk, c.pk, "email") in pairs
        assert any(p.keep_id == a.pk and p.other_id == b.pk and p.reason == "similar_name_same_address" for p in pairs)

        b.tags.add(Tag.objects.create(name="porte-à-porte"))
        ConsentEvent.objects.create(contact=b, channel="sms", granted=True)
        Interaction.objects.create(contact=b, kind="field_report", summary="Favorable")
        kept = dedup.merge_contacts(a, b, actor=admin)
        assert not Contact.objects.filter(pk=b.pk).exists()
        assert kept.phone == "+33612345678" and kept.email == "helene@x.fr"
        assert list(kept.tags.values_list("name", flat=True)) == ["porte-à-porte"]
        assert kept.consent_events.filter(channel="sms", granted=True).exists()
        assert set(kept.interactions.values_list("kind", flat=True)) == {"field_report", "merged"}
        assert AuditEntry.objects.filter(action="contacts.merged", target_id=str(a.pk)).exists()


def test_namesakes_in_one_building_marked_distinct_are_no_longer_offered(campaign):
    with tenant_context(campaign):
        home = Household.objects.create(address=Address.objects.create(line1="3 rue des Lilas", city="Orléans"))
        father = Contact.objects.create(birth_name="Martin", first_names="Jean-Pierre", household=home)
        son = Contact.objects.create(birth_name="MARTIN", first_names="Jean Pierre", household=home)
        assert [(p.keep_id, p.other_id, p.reason) for p in dedup.find_duplicates()] == [
            (father.pk, son.pk, "similar_name_same_address")
        ]
        dedup.mark_distinct(son, father, actor=None)
        assert dedup.find_duplicates() == []


def test_near_duplicates_are_paired_within_a_building_surest_first(campaign):
    """Two flats of one building count as one place; another building does not; an
    erased person is nobody's duplicate."""
    with tenant_context(campaign):
        building = Address.objects.create(line1="12 avenue de Paris", postal_code="45000", city="Orléans")
        first, second = (Household.objects.create(address=building, label=f"Appartement {n}") for n in (1, 2))
        elsewhere = Household.objects.create(address=Address.objects.create(line1="1 rue Bannier", city="Orléans"))

        def person(home, birth_name, first_names):
            return Contact.objects.create(birth_name=birth_name, first_names=first_names, household=home)

        exact = person(first, "Nguyen", "Thi Lan"), person(second, "NGUYEN", "Thi-Lan")
        close = person(first, "Dubois", "Marie-Claire"), person(second, "Dubois", "Marie")
        person(elsewhere, "Nguyen", "Thi Lan")
        erased = person(second, "Dubois", "Marie-Claire")
        gdpr.erase_contact(erased, actor=None)
        assert [(p.keep_id, p.other_id, p.reason) for p in dedup.find_duplicates()] == [
            (exact[0].pk, exact[1].pk, "similar_name_same_address"),
            (close[0].pk, close[1].pk, "similar_name_same_address"),
        ]


def test_a_big_bases_queue_is_its_last_scan_without_the_pairs_handled_since(campaign, monkeypatch, admin):
    monkeypatch.setattr(dedup, "LIVE_LIMIT", -2)  # every base is big, even never analysed (-1)
    with tenant_context(campaign):
        a = Contact.objects.create(birth_name="Roux", first_names="Anne", email="famille.roux@x.fr")
        b = Contact.objects.create(birth_name="Roux", first_names="Paul", email="famille.roux@x.fr")
        c = Contact.objects.create(birth_name="Petit", phone="+33612345678")
        d = Contact.objects.create(birth_name="Petit", phone="+33612345678")
        assert dedup.duplicates_queue(100) == ([], DuplicateScan.current())  # never scanned
        assert DuplicateScan.current().finished_at is None
        assert dedup.scan() == 2
        pairs, scan = dedup.duplicates_queue(100)
        assert [(p.keep_id, p.other_id) for p in pairs] == [(a.pk, b.pk), (c.pk, d.pk)]
        assert scan.finished_at is not None and not scan.running
        # Found after the scan: not in the queue until the next one.
        e = Contact.objects.create(birth_name="Roux", first_names="A.", email="famille.roux@x.fr")
        dedup.mark_distinct(b, a, actor=admin)
        dedup.merge_contacts(c, d, actor=admin)
        assert dedup.duplicates_queue(100)[0] == []
        dedup.scan()
        pairs = {(p.keep_id, p.other_id) for p in dedup.duplicates_queue(100)[0]}
        assert pairs == {(a.pk, e.pk), (b.pk, e.pk)}


def test_a_persons_other_emails_and_phones_count_as_theirs_for_duplicates(campaign):
    with tenant_context(campaign):
        a = Contact.objects.create(birth_name="Roux", email="anne@x.fr", other_emails=["anne.roux@travail.fr"])
        b = Contact.objects.create(birth_name="Roux", first_names="A.", email="anne.roux@travail.fr")
        c = Contact.objects.create(birth_name="Roux", other_emails=["anne.roux@travail.fr"])  # others shared
        d = Contact.objects.create(birth_name="Petit", phone="+33612345678")
        e = Contact.objects.create(birth_name="Petit", other_phones=["+33700000001", "+33612345678"])
        Contact.objects.create(birth_name="Seul", other_emails=["seul@x.fr"], other_phones=["+33700000009"])
        gone = Contact.objects.create(birth_name="Effacé", other_emails=["anne@x.fr"], erased_at=timezone.now())
        pairs = {(p.keep_id, p.other_id): p.reason for p in dedup.find_duplicates()}
        assert pairs == {(a.pk, b.pk): "email", (a.pk, c.pk): "email", (b.pk, c.pk): "email", (d.pk, e.pk): "phone"}
        assert gone.pk not in {i for pair in pairs for i in pair}
        dedup.mark_distinct(c, a, actor=None)  # stored lower id first, whichever way given
        pairs = {(p.keep_id, p.other_id) for p in dedup.find_duplicates()}
        assert pairs == {(a.pk, b.pk), (b.pk, c.pk), (d.pk, e.pk)}


@pytest.mark.parametrize("few_addresses", [20_000, 0])  # addresses read first, or one join
def test_segment_filters_combine(campaign, monkeypatch, few_addresses):
    from crm import segments

    monkeypatch.setattr(segments, "FEW_ADDRESSES", few_addresses)
    with tenant_context(campaign):
        volunteer = Tag.objects.create(name="bénévole")
        inside = Address.objects.create(line1="1 place du Martroi", postal_code="45000", city="Orléans",
                                        point="SRID=4326;POINT(1.9039 47.9029)")  # fmt: skip
        outside = Address.objects.create(line1="1 rue de Tours", postal_code="41000", city="Blois",
                                         point="SRID=4326;POINT(1.3359 47.5861)")  # fmt: skip
        a = Contact.objects.create(birth_name="Élan", consent_sms=True, support_level=5,
                                   household=Household.objects.create(address=inside))  # fmt: skip
        a.tags.add(volunteer)
        b = Contact.objects.create(birth_name="Bleu", consent_sms=True, support_level=5,
                                   household=Household.objects.create(address=outside))  # fmt: skip
        b.tags.add(volunteer)
        Contact.objects.create(birth_name="Cerise", consent_sms=False, household=a.household)
        orleans = next(
            f["geometry"]
            for f in json.loads((SHARED / "data/geo/communes-45-loiret.geojson").read_text())["features"]
            if f["properties"]["code"] == "45234"
        )
        filters = {"polygon": orleans, "consent": {"sms": True}, "tags": ["bénévole"]}
        assert list(contacts_matching(filters)) == [a]
        empty = {"type": "Polygon", "coordinates": [[[-30, 40], [-29, 40], [-29, 41], [-30, 40]]]}  # at sea
        assert list(contacts_matching({"polygon": empty})) == []
        assert set(contacts_matching({"support_min": 5})) == {a, b}
        assert list(contacts_matching({"search": "elan"})) == [a]
        with pytest.raises(BadFilters) as bad:
            contacts_matching({"support_min": 9, "couleur": "rouge", "tags": ["inconnue"]})
        assert set(bad.value.errors) == {"support_min", "couleur", "tags"}


def test_export_is_logged_and_hides_sensitive_fields_unless_asked(campaign, admin):
    with tenant_context(campaign):
        Contact.objects.create(birth_name="Œdipe", first_names="Zoé", support_level=4, opinion_notes="hésite")
        out = export_contacts(Contact.objects.all(), actor=admin)
        table = list(csv.reader(io.TextIOWrapper(out, encoding="utf-8-sig"), delimiter=";"))
        assert table[1][1] == "Œdipe" and "Niveau de soutien" not in table[0]
        out = export_contacts(Contact.objects.all(), actor=admin, include_sensitive=True, fmt="xlsx")
        from openpyxl import load_workbook

        sheet = load_workbook(out).active
        assert [c.value for c in sheet[1]][-2:] == ["Niveau de soutien", "Notes d'opinion"]
        assert AuditEntry.objects.filter(action="contacts.exported", data__sensitive=True).count() == 1


def test_export_rows_hold_each_contacts_address_dwelling_tags_and_consents_in_name_order(campaign, admin):
    from openpyxl import load_workbook

    with tenant_context(campaign):
        known = contact_with_everything(first_names="Élodie", support_level=5, opinion_notes="=HYPERLINK(1)",
                                        last_contacted_at=dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC),
                                        other_emails=["e@travail.fr", "e@asso.fr"],
                                        other_phones=["+33238112233"])  # fmt: skip
        bare = Contact.objects.create(birth_name="Abel", first_names="#N/A")
        out = export_contacts(Contact.objects.all(), actor=admin, include_sensitive=True)
        table = list(csv.reader(io.TextIOWrapper(out, encoding="utf-8-sig"), delimiter=";"))
        sheet = load_workbook(export_contacts(Contact.objects.all(), actor=admin, include_sensitive=True,
                                              fmt="xlsx")).active  # fmt: skip
    # In XLSX every text is a text cell, shown as typed: no apostrophe before a phone
    # number, and what looks like a formula or an error code is neither.
    cells = {cell.value: cell.data_type for row in sheet.iter_rows(min_row=2) for cell in row}
    assert cells["+33612345678"] == cells["=HYPERLINK(1)"] == cells["#N/A"] == "s"
    assert "f" not in cells.values() and "e" not in cells.values()
    assert table[0][:3] == ["ID", "Nom de naissance", "Nom d'usage"]
    with translation.override("en"):  # the column names follow the team's language
        assert headers(include_sensitive=False)[:3] == ["ID", "Birth name", "Usage name"]
    assert table[1:] == [
        [str(bare.pk), "Abel", "", "#N/A", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
         ""],
        [str(known.pk), "Lefèvre", "Martin", "Élodie", "F", "31/01/1980", "elodie@exemple.fr", "'+33612345678",
         "e@travail.fr, e@asso.fr", "'+33238112233", "12 rue de l'Église", "Appt 3", "45000", "Orléans", "0012",
         "bénévole | voisins", "oui", "non", "", "", "2026-11-02T09:30:00+00:00", "5", "'=HYPERLINK(1)"],
    ]  # fmt: skip


def test_retention_command_dry_run_then_for_real(campaign, capsys):
    from django.core.management import call_command

    with tenant_context(campaign):
        settings_row = CrmSettings.current()
        settings_row.retention_months = 12
        settings_row.save()
        old = Contact.objects.create(birth_name="Oublié", email="oublie@x.fr")
        long_ago = timezone.now() - dt.timedelta(days=800)
        Contact.objects.filter(pk=old.pk).update(created=long_ago, updated=long_ago)
    call_command("apply_retention", "--campaign", campaign.schema_name, "--dry-run")
    out = capsys.readouterr().out
    assert "Oublié" in out and "would_erase=1" in out
    call_command("apply_retention", "--campaign", campaign.schema_name)
    assert "erased=1" in capsys.readouterr().out
    with tenant_context(campaign):
        assert Contact.objects.get(pk=old.pk).erased_at is not None


@pytest.mark.parametrize(
    ("filters", "words"),
    [
        ({}, ["tous les contacts"]),
        ({"tags": ["a", "b"], "tags_mode": "any"}, ["au moins une étiquette parmi « a », « b »"]),
        ({"exclude_tags": ["x"], "consent": {"sms": False}}, ["sans l'étiquette « x »", "refus SMS"]),
        ({"support_max": 2, "has_email": False}, ["sans e-mail", "soutien 2 ou moins"]),
        (
            {"polygon": {"type": "Polygon"}, "participation": {}},
            ["dans un périmètre dessiné", "a participé sur le site"],
        ),
        (
            {"zones": 5, "tags": "pas une liste"},
            ["dans l'une des zones ", "étiquettes pas une liste"],
        ),  # stored by hand
    ],
)
def test_a_segments_criteria_read_in_words(campaign, filters, words):
    from crm.segments import describe

    with tenant_context(campaign):
        assert describe(filters) == words
        # Filters stored by hand in a wrong shape are still said, somehow, not a 500.
        assert len(describe({"zones": 5, "tags": "pas une liste", "custom": [1]})) == 2


def test_near_duplicates_are_searched_without_nested_loops(campaign):
    """On tables never analyzed the planner took the base for nearly empty and paired
    every contact with every other in a nested loop (55 s for the 5,000-contact demo;
    the test database happens to plan it otherwise, so the setting itself is checked)."""
    from django.db import connection

    with tenant_context(campaign), connection.cursor() as cursor:
        with dedup._joined_by_hashing():
            cursor.execute("SHOW enable_nestloop")
            assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW enable_nestloop")
        assert cursor.fetchone()[0] == "on"  # for that search only
