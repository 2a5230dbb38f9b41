"""The review queue: batches per volunteer and day, figures and anomaly flags, reject
and correct, commit by hand or automatically after the delay, and rollback."""

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.accounts.models import AuditEntry
from crm.field import review
from crm.field.models import FieldReport, ReviewBatch, ReviewSettings
from crm.models import ConsentEvent, Contact, Interaction
from tests.conftest import host_of
from tests.field.test_field_work import client_for, door_reports, make_field, post_json


@pytest.fixture
def field(shared_campaign, db):
    return make_field(shared_campaign)


def send(field, n, *, answers=None, result="talked", gaps=None, notes=None):
    client = client_for(field["campaign"], field["volunteer"])
    walk = client.get(f"/api/assignments/{field['assignment']}/walk-list/").json()
    reports = door_reports(walk, field["action"]["id"], field["turfs"][0].pk, n, result=result, answers=answers)
    for i, text in (notes or {}).items():
        reports[i]["notes"] = text
    start = timezone.now() - dt.timedelta(hours=1)
    for i, r in enumerate(reports):
        r["done_at"] = (start + dt.timedelta(seconds=sum((gaps or [120] * n)[:i]))).isoformat()
    response = post_json(client, "/api/reports/", {"reports": reports})
    assert response.status_code == 200, response.content
    return reports


def test_unreviewed_batches_commit_by_themselves_after_the_delay(field):
    reports = send(field, 3, answers={"soutien": 5})
    with tenant_context(field["campaign"]):
        batch = ReviewBatch.objects.get()
        contact = Contact.objects.get(pk=reports[0]["contact"])
        assert contact.support_level is None and batch.status == "pending"
        last = batch.last_report_at
        assert review.commit_due(now=last + dt.timedelta(minutes=29)) == 0
        assert review.commit_due(now=last + dt.timedelta(minutes=31)) == 1
        batch.refresh_from_db()
        contact.refresh_from_db()
        assert batch.status == "committed" and batch.automatic and contact.support_level == 5
        assert review.commit_due(now=last + dt.timedelta(hours=5)) == 0
        # A new report the same day opens a new batch.
    send(field, 1)
    with tenant_context(field["campaign"]):
        assert ReviewBatch.objects.filter(status="pending").count() == 1


def test_rejected_reports_and_corrected_answers_count_as_reviewed(field):
    reports = send(field, 2, answers={"soutien": 2})
    leader = field["organizer"]
    with tenant_context(field["campaign"]):
        first, second = (FieldReport.objects.get(uuid=r["uuid"]) for r in reports)
        try:
            review.reject(first, reason="", actor=leader)
        except review.ReviewError as exc:
            assert "motif" in str(exc)
        review.reject(first, reason="Porte visitée deux fois", actor=leader)
        review.correct(second, answers={"soutien": 4}, actor=leader)
        review.commit(ReviewBatch.objects.get(), actor=leader)
        assert Contact.objects.get(pk=reports[0]["contact"]).support_level is None
        assert Contact.objects.get(pk=reports[1]["contact"]).support_level == 4
        assert AuditEntry.objects.filter(action="field_report.corrected", target_id=str(second.pk)).exists()


def test_rollback_restores_every_changed_field_and_leaves_a_trail(field):
    answers = {"soutien": 4, "sms": True, "sujet": "Logement"}
    reports = send(field, 2, answers=answers)
    leader = field["organizer"]
    with tenant_context(field["campaign"]):
        contact = Contact.objects.get(pk=reports[0]["contact"])
        contact.support_level, contact.consent_sms = 2, False
        contact.save()
        before = Contact.objects.get(pk=contact.pk)
        batch = ReviewBatch.objects.get()
        review.commit(batch, actor=leader)
        changed = Contact.objects.get(pk=contact.pk)
        assert (changed.support_level, changed.consent_sms) == (4, True)
        assert "Logement" in set(changed.tags.values_list("name", flat=True))
        assert changed.last_contacted_at is not None

        review.rollback(batch, actor=leader, reason="Saisie fantaisiste")
        after = Contact.objects.get(pk=contact.pk)
        assert (after.support_level, after.consent_sms, after.last_contacted_at) == (
            before.support_level, before.consent_sms, before.last_contacted_at)  # fmt: skip
        assert set(after.tags.values_list("name", flat=True)) == set(before.tags.values_list("name", flat=True))
        assert not Interaction.objects.filter(contact=contact, kind="field_report").exists()
        assert Interaction.objects.filter(contact=contact, kind="edited", summary__startswith="Visite annulée").exists()
        assert ConsentEvent.objects.filter(contact=contact, channel="sms", granted=False,
                                           source=f"rollback:batch:{batch.pk}").exists()  # fmt: skip
        trail = AuditEntry.objects.get(action="review_batch.rolled_back", target_id=str(batch.pk))
        assert {c["field"] for c in trail.data["changes"] if c["contact"] == contact.pk} >= {
            "support_level", "consent_sms", "tags", "last_contacted_at"}  # fmt: skip
        batch.refresh_from_db()
        assert batch.status == "rolled_back"
        try:
            review.rollback(batch, actor=leader)
            raise AssertionError("rolled back twice")
        except review.ReviewError:
            pass


def test_each_anomaly_flag_on_crafted_batches(field):
    # Same result at every door, ten seconds apart.
    send(field, 6, result="not_home", gaps=[10] * 6)
    with tenant_context(field["campaign"]):
        batch = ReviewBatch.objects.get()
        figures = review.figures(batch)
        assert figures["doors"] == 6 and figures["median_seconds"] == 10
        assert "same_result" in figures["batch_flags"] and "too_fast" in figures["batch_flags"]
        assert sum("too_fast" in f for f in figures["flags"].values()) == 5
        # A GPS position 2 km from the address, and a report dated outside the action.
        gps, late = FieldReport.objects.filter(batch=batch).order_by("id")[:2]
        gps.location, gps.location_source = Point(gps.location.x + 0.03, gps.location.y, srid=4326), "gps"
        gps.save()
        FieldReport.objects.filter(pk=late.pk).update(done_at=timezone.now() + dt.timedelta(days=30))
        flags = review.figures(batch)["flags"]
        assert "far_from_address" in flags[gps.pk] and "outside_action_dates" in flags[late.pk]
        # Thresholds are the campaign's.
        settings = ReviewSettings.current()
        settings.min_seconds_between_doors, settings.same_result_min = 5, 10
        settings.save()
        relaxed = review.figures(batch)
        assert "same_result" not in relaxed["batch_flags"] and not any(
            "too_fast" in f for f in relaxed["flags"].values()
        )


def test_team_pages_show_the_queue_and_commit_and_roll_back(field):
    reports = send(field, 3, result="talked", answers={"soutien": 4, "sms": True}, gaps=[150, 200],
                   notes={0: "Veut une affiche pour sa vitrine.\nRappeler après 18 h"})  # fmt: skip
    leader = client_for(field["campaign"], field["organizer"])
    page = leader.get("/equipe/revue/")
    assert page.status_code == 200 and "3 portes" in page.content.decode()
    with tenant_context(field["campaign"]):
        batch = ReviewBatch.objects.get()
    detail = leader.get(f"/equipe/revue/{batch.pk}/").content.decode()
    assert "Ouvert / discuté" in detail and "talked" not in detail  # the action's words, not its codes
    assert "Veut une affiche pour sa vitrine.<br>Rappeler après 18 h" in detail  # what the volunteer wrote
    queue = leader.get("/equipe/revue/").content.decode()
    assert "Ouvert / discuté (3)" in queue and "<td>2 min 55 s</td>" in queue  # median of 150 s and 200 s
    assert leader.post(f"/equipe/revue/{batch.pk}/", {"do": "commit"}).status_code == 302
    # Once committed, the answers read as the survey asked them, not as its ids.
    detail = leader.get(f"/equipe/revue/{batch.pk}/").content.decode()
    assert "Soutien : 4 · Accepte les SMS : oui" in detail and "soutien :" not in detail
    # The contact's timeline tells the visit in the action's words, with the volunteer's note.
    timeline = leader.get(f"/equipe/contacts/{reports[0]['contact']}/").content.decode()
    assert ("Visite de terrain : Porte-à-porte de novembre : Ouvert / discuté — « Veut une affiche pour sa "
            "vitrine.\nRappeler après 18 h »") in timeline  # fmt: skip
    assert "door : talked" not in timeline
    assert leader.post(f"/equipe/revue/{batch.pk}/", {"do": "rollback", "reason": "erreur"}).status_code == 302
    with tenant_context(field["campaign"]):
        batch.refresh_from_db()
        assert batch.status == "rolled_back"
    volunteer = Client(HTTP_HOST=host_of(field["campaign"]))
    with tenant_context(field["campaign"]):
        volunteer.force_login(field["volunteer"])
    assert volunteer.get("/equipe/revue/").status_code == 403


def test_answers_corrected_on_the_review_page_are_typed_and_bad_ones_refused(field):
    reports = send(field, 1, answers={"soutien": 2})
    leader = client_for(field["campaign"], field["organizer"])
    with tenant_context(field["campaign"]):
        batch, report = ReviewBatch.objects.get(), FieldReport.objects.get(uuid=reports[0]["uuid"])
    url = f"/equipe/revue/{batch.pk}/"
    # "²" is a digit to str.isdigit but not a number to int(): it once gave a 500.
    for bad in ("²", "beaucoup"):
        refused = leader.post(url, {"do": "correct", "report": report.pk, "answer-soutien": bad}, follow=True)
        assert refused.status_code == 200 and "Réponses corrigées" not in refused.content.decode()
    done = leader.post(url, {"do": "correct", "report": report.pk, "answer-soutien": "4"}, follow=True)
    assert "Réponses corrigées" in done.content.decode()
    with tenant_context(field["campaign"]):
        report.refresh_from_db()
        assert report.answers["soutien"] == 4


def test_flags_show_on_the_dashboard_too(field):
    send(field, 6, result="not_home", gaps=[10] * 6)
    leader = client_for(field["campaign"], field["organizer"])
    [row] = leader.get("/equipe/tableau-de-bord/").context["charts"]["review"]["rows"]
    assert row[2] == 6 and "le même résultat à chaque porte" in row[3] and "trop peu de temps" in row[3]
    # Outside the turf: a report at an address of another turf (an organizer may report anywhere).
    with tenant_context(field["campaign"]):
        other_address = field["turfs"][1].addresses.first()
        report = FieldReport.objects.filter(batch__isnull=False).first()
        FieldReport.objects.filter(pk=report.pk).update(address=other_address)
        assert "outside_turf" in review.figures(report.batch)["flags"][report.pk]


def test_a_large_batch_is_reviewed_a_page_at_a_time_flagged_reports_first(field):
    # Found by make verify: a 30,000-report batch took minutes to render (flags looked up
    # by looping over every report's flags for each report).
    reports = send(field, 3, result="talked", gaps=[5, 200, 200])  # the second door came 5 s after the first
    with tenant_context(field["campaign"]):
        batch = ReviewBatch.objects.get()
        template = FieldReport.objects.get(uuid=reports[0]["uuid"])
        FieldReport.objects.bulk_create([
            FieldReport(uuid=__import__("uuid").uuid4(), action_id=template.action_id, turf_id=template.turf_id,
                        volunteer_id=template.volunteer_id, address_id=template.address_id, result="talked",
                        reached=True, done_at=template.done_at - dt.timedelta(hours=3, seconds=i), batch=batch)
            for i in range(250)
        ])  # fmt: skip
    leader = client_for(field["campaign"], field["organizer"])
    response = leader.get(f"/equipe/revue/{batch.pk}/")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 100 and response.context["page"].paginator.count == 253
    assert "trop peu de temps" in " ".join(str(f) for f in rows[0]["flags"])
    assert "Page 1 sur 3" in response.content.decode()


def test_a_long_note_is_cut_to_fit_the_timeline_and_kept_whole_with_the_visit(field):
    note = "Très longue discussion sur le stationnement. " * 20
    reports = send(field, 1, notes={0: note})
    with tenant_context(field["campaign"]):
        review.commit(ReviewBatch.objects.get())
        line = Interaction.objects.get(contact_id=reports[0]["contact"], kind="field_report")
        assert len(line.summary) <= 300 and line.summary.endswith("stationnement. Très longue discussion… »")
        assert line.data["notes"] == note and FieldReport.objects.get(uuid=reports[0]["uuid"]).notes == note


def test_the_review_page_tells_the_doors_of_one_building_apart(field):
    send(field, 30)
    with tenant_context(field["campaign"]):
        batch = ReviewBatch.objects.get()
        flats = list(FieldReport.objects.filter(batch=batch).exclude(household__label="").select_related("household"))
    assert len({r.household.label for r in flats}) >= 2  # a block of flats among the doors knocked
    detail = client_for(field["campaign"], field["organizer"]).get(f"/equipe/revue/{batch.pk}/").content.decode()
    assert all(f"<small>{r.household.label}</small>" in detail for r in flats)


def test_timeline_lines_written_before_reports_were_told_in_words_are_rewritten(field):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("crm.field.migrations.0008_field_report_lines_in_words")
    reports = send(field, 3, notes={0: "Veut une affiche pour sa vitrine"})
    with tenant_context(field["campaign"]):
        review.commit(ReviewBatch.objects.get(), actor=field["organizer"])
        lines = list(Interaction.objects.filter(kind="field_report").order_by("data__report"))
        assert len(lines) == 3
        new_style = lines[0].summary
        assert new_style == "Porte-à-porte de novembre : Ouvert / discuté — « Veut une affiche pour sa vitrine »"
        # As an earlier version wrote them: codes, and no note in the data.
        for line in lines:
            line.summary, line.data = "door : talked", {k: v for k, v in line.data.items() if k != "notes"}
        lines[2].data["action"] = 999_999  # an action deleted since: left as it is
        Interaction.objects.bulk_update(lines, ["summary", "data"])
        Interaction.objects.create(contact_id=reports[0]["contact"], kind="note", summary="porte : revoir")

        migration.rewrite_old_lines(apps)
        first, second, third = (Interaction.objects.get(pk=line.pk) for line in lines)
        assert first.summary == new_style and first.data["notes"] == "Veut une affiche pour sa vitrine"
        assert second.summary == "Porte-à-porte de novembre : Ouvert / discuté" and second.data["notes"] == ""
        assert third.summary == "door : talked"
        assert Interaction.objects.filter(kind="note", summary="porte : revoir").exists()


def test_someone_erased_keeps_their_visits_counted_but_nothing_about_them(field):
    from crm.gdpr import erase_contact

    committed = send(field, 1, answers={"soutien": 5, "sms": True}, notes={0: "Mme X, 2e étage, très remontée"})
    leader = field["organizer"]
    with tenant_context(field["campaign"]):
        Contact.objects.filter(pk=committed[0]["contact"]).update(consent_sms=False)
        batch = review.commit(ReviewBatch.objects.get(), actor=leader)
        assert Contact.objects.get(pk=committed[0]["contact"]).consent_sms is True
    waiting = send(field, 2, answers={"soutien": 1, "sms": True})[1:]  # a door further, next batch
    with tenant_context(field["campaign"]):
        for report in (committed[0], waiting[0]):
            erase_contact(Contact.objects.get(pk=report["contact"]), actor=leader)
        for report in (committed[0], waiting[0]):
            stored = FieldReport.objects.get(uuid=report["uuid"])
            # Still a visit at that building, with its result: the totals and the map keep it.
            assert (stored.result, stored.address_id) == ("talked", report["address"])
            assert (stored.notes, stored.answers, stored.household_id) == ("", {}, None)
        # Their batch's rollback has nothing to write back onto them...
        review.rollback(batch, actor=leader, reason="test")
        gone = Contact.objects.get(pk=committed[0]["contact"])
        assert gone.consent_sms is None and gone.first_names == ""
        assert not ConsentEvent.objects.filter(contact=gone).exists()
        # ...and the batch waiting when they were erased gives them nothing.
        review.commit(ReviewBatch.objects.get(status="pending"), actor=leader)
        other = Contact.objects.get(pk=waiting[0]["contact"])
        assert other.consent_sms is None and other.last_contacted_at is None
        assert not other.interactions.filter(kind="field_report").exists()
        assert not ConsentEvent.objects.filter(contact=other).exists()


def test_a_team_leader_reviews_answers_but_not_opinions_and_an_organizer_reading_them_is_logged(field):
    from campaigns.accounts.models import Role
    from tests.conftest import make_user

    reports = send(field, 1, answers={"soutien": 5, "sujet": "Logement"})
    with tenant_context(field["campaign"]):
        batch = ReviewBatch.objects.get()
        report = FieldReport.objects.get(uuid=reports[0]["uuid"])
    team_leader = client_for(field["campaign"], make_user(field["campaign"], Role.TEAM_LEADER))
    page = team_leader.get(f"/equipe/revue/{batch.pk}/").content.decode()
    assert "Sujet" in page and "Logement" in page
    assert "Soutien" not in page and 'name="answer-soutien"' not in page
    # Correcting what they see leaves the support level they were not shown as it was.
    response = team_leader.post(f"/equipe/revue/{batch.pk}/", {"do": "correct", "report": report.pk,
                                                             "answer-sujet": "Transports"})  # fmt: skip
    assert response.status_code == 302
    with tenant_context(field["campaign"]):
        report.refresh_from_db()
        assert report.answers == {"soutien": 5, "sujet": "Transports"}
        assert not AuditEntry.objects.filter(action="field_reports.sensitive_viewed").exists()

    organizer = client_for(field["campaign"], field["organizer"])
    page = organizer.get(f"/equipe/revue/{batch.pk}/").content.decode()
    assert 'name="answer-soutien"' in page and 'value="5"' in page
    with tenant_context(field["campaign"]):
        entry = AuditEntry.objects.get(action="field_reports.sensitive_viewed")
        assert entry.actor == field["organizer"] and entry.data["reports"] == [report.pk]


def test_the_admin_site_shows_reports_read_only_without_their_answers(field):
    from campaigns.accounts.models import Role
    from tests.conftest import make_user

    reports = send(field, 1, answers={"soutien": 5, "sujet": "Logement"}, notes={0: "Veut une affiche"})
    with tenant_context(field["campaign"]):
        report = FieldReport.objects.get(uuid=reports[0]["uuid"])
    admin = client_for(field["campaign"], make_user(field["campaign"], Role.ADMIN))
    page = admin.get(f"/admin/field/fieldreport/{report.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Veut une affiche" in html and "Logement" not in html and 'name="_save"' not in html
    assert admin.post(f"/admin/field/fieldreport/{report.pk}/change/", {"result": "refused"}).status_code == 403
    assert admin.post(f"/admin/field/fieldreport/{report.pk}/delete/", {"post": "yes"}).status_code == 403
    with tenant_context(field["campaign"]):
        assert FieldReport.objects.get(pk=report.pk).result == "talked"
