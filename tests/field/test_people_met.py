"""Someone met at a door who is not on the walk list: the volunteer's report carries
them, the review page shows them, committing the batch makes them a contact of that
household (or finds the contact they already are), rolling it back removes them."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.accounts.models import AuditEntry
from crm import gdpr
from crm.editing import add_note
from crm.field import review
from crm.field.models import FieldReport, ReviewBatch, ReviewSettings
from crm.models import ConsentEvent, Contact, Interaction
from tests.field.test_field_work import client_for, make_field, post_json

LEA = {"first_names": "Léa", "last_name": "Martin-Gaël", "phone": "06 12 34 56 78", "email": "Lea.Martin@Example.fr",
       "consents": ["sms", "email"]}  # fmt: skip


@pytest.fixture
def field(shared_campaign, db):
    return make_field(shared_campaign)


def doors(field):
    client = client_for(field["campaign"], field["volunteer"])
    walk = client.get(f"/api/assignments/{field['assignment']}/walk-list/").json()
    return client, [(b, d) for s in walk["streets"] for b in s["buildings"] for d in b["doors"]]


def report_at(field, building, door, person, *, result="talked", answers=None, minutes_ago=30):
    return {
        "uuid": str(uuid.uuid4()), "action": field["action"]["id"], "turf": field["turfs"][0].pk,
        "address": building["address"], "household": door["household"], "contact": None, "result": result,
        "answers": answers or {}, "new_person": person,
        "done_at": (timezone.now() - dt.timedelta(minutes=minutes_ago)).isoformat(),
    }  # fmt: skip


def send(client, reports):
    response = post_json(client, "/api/reports/", {"reports": reports})
    assert response.status_code == 200, response.content
    return [r["status"] for r in response.json()["results"]]


def test_a_person_met_at_a_door_becomes_a_contact_of_that_household_when_the_batch_commits(field):
    client, walk = doors(field)
    building, door = walk[0]
    report = report_at(field, building, door, LEA, answers={"soutien": 4})
    assert send(client, [report]) == [201]
    leader = client_for(field["campaign"], field["organizer"])
    with tenant_context(field["campaign"]):
        assert not Contact.objects.filter(phone="+33612345678").exists()  # waiting for review
        batch = ReviewBatch.objects.get()
    page = leader.get(f"/equipe/revue/{batch.pk}/").content.decode()
    assert "Nouvelle personne : Léa Martin-Gaël · 06 12 34 56 78 · lea.martin@example.fr" in page
    assert "d&#x27;accord pour : e-mails, SMS" in page

    assert leader.post(f"/equipe/revue/{batch.pk}/", {"do": "commit"}).status_code == 302
    with tenant_context(field["campaign"]):
        lea = Contact.objects.get(phone="+33612345678")
        assert (lea.first_names, lea.usage_name, lea.email) == ("Léa", "Martin-Gaël", "lea.martin@example.fr")
        assert lea.household_id == door["household"] and lea.support_level == 4
        assert (lea.consent_sms, lea.consent_email, lea.consent_phone) == (True, True, None)
        logged = ConsentEvent.objects.filter(contact=lea, source=f"field_report:{report['uuid']}")
        assert sorted(logged.values_list("channel", flat=True)) == ["email", "sms"]
        assert lea.last_contacted_at is not None and "Porte-à-porte de novembre" in lea.source
        timeline = list(lea.interactions.order_by("id").values_list("kind", "summary"))
        assert timeline[0] == ("edited", "Rencontré(e) sur le terrain : Porte-à-porte de novembre")
        assert timeline[1][0] == "field_report"
        stored = FieldReport.objects.get(uuid=report["uuid"])
        # The report points at the contact and keeps nothing more of the person.
        assert stored.contact_id == lea.pk and stored.new_person == {"outcome": "created"}
    page = leader.get(f"/equipe/revue/{batch.pk}/").content.decode()
    assert "Nouvelle fiche créée" in page and f"/equipe/contacts/{lea.pk}/" in page and "06 12" not in page
    # The next walk list shows her at that door.
    _client, walk = doors(field)
    people = next(d for _b, d in walk if d["household"] == door["household"])["people"]
    assert {"id": lea.pk, "first_names": "Léa", "last_name": "Martin-Gaël"} in people


def test_the_contact_she_already_is_is_found_and_nobody_erased_comes_back(field):
    client, walk = doors(field)
    with tenant_context(field["campaign"]):
        known = Contact.objects.create(first_names="Paul", usage_name="Roux", email="paul@example.fr")
        erased = Contact.objects.create(first_names="Zoé", usage_name="Blanc", phone="+33698765432")
        gdpr.erase_contact(erased, actor=field["organizer"])
        neighbour = Contact.objects.filter(household_id=walk[1][1]["household"]).first()
        neighbour.phone = "+33600000001"
        neighbour.save()
    reports = [
        report_at(
            field,
            *walk[0],
            {
                "first_names": "Paul",
                "last_name": "R.",
                "email": "PAUL@example.fr",
                "phone": "06 11 22 33 44",
                "consents": ["email"],
            },
        ),  # fmt: skip
        report_at(
            field,
            *walk[1],
            {"first_names": neighbour.first_names.upper(), "last_name": neighbour.last_name, "phone": "06 55 44 33 22"},
        ),  # fmt: skip
        report_at(field, *walk[2], {"first_names": "Zoé", "last_name": "Blanc", "phone": "06 98 76 54 32"}),
    ]
    assert send(client, reports) == [201, 201, 201]
    with tenant_context(field["campaign"]):
        count = Contact.objects.count()
        review.commit(ReviewBatch.objects.get(), actor=field["organizer"])
        assert Contact.objects.count() == count  # nobody new
        known.refresh_from_db()
        # The phone he lacked is his now; his name stays as the campaign had it.
        assert known.consent_email is True and known.usage_name == "Roux" and known.phone == "+33611223344"
        first, second, third = (FieldReport.objects.get(uuid=r["uuid"]) for r in reports)
        assert (first.contact_id, first.new_person) == (known.pk, {"outcome": "matched"})
        assert (second.contact_id, second.new_person) == (neighbour.pk, {"outcome": "matched"})
        neighbour.refresh_from_db()  # a second number: one of their other ones
        assert (neighbour.phone, neighbour.other_phones) == ("+33600000001", ["+33655443322"])
        assert (third.contact_id, third.new_person) == (None, {"outcome": "suppressed"})
        assert not Contact.objects.filter(phone="+33698765432").exists()
        assert Interaction.objects.filter(contact=known, kind="field_report").count() == 1
        batch = ReviewBatch.objects.get()
    page = client_for(field["campaign"], field["organizer"]).get(f"/equipe/revue/{batch.pk}/").content.decode()
    assert "Déjà connue" in page and "demandé l&#x27;effacement" in page


def test_rolling_back_removes_the_people_the_batch_created_unless_the_team_worked_on_them(field):
    client, walk = doors(field)
    with tenant_context(field["campaign"]):
        known = Contact.objects.create(first_names="Paul", usage_name="Roux", email="paul@example.fr",
                                       phone="+33600000002")  # fmt: skip
    reports = [
        report_at(field, *walk[0], {"first_names": "Inès", "last_name": "Faure"}),
        report_at(
            field,
            *walk[1],
            {"first_names": "Hugo", "last_name": "Lemaire", "phone": "0611223344", "consents": ["phone"]},
        ),  # fmt: skip
        report_at(
            field,
            *walk[2],
            {"last_name": "Roux", "email": "paul@example.fr", "phone": "0699887766", "consents": ["email"]},
        ),  # fmt: skip
    ]
    assert send(client, reports) == [201, 201, 201]
    leader = field["organizer"]
    with tenant_context(field["campaign"]):
        batch = review.commit(ReviewBatch.objects.get(), actor=leader)
        ines, hugo = Contact.objects.get(usage_name="Faure"), Contact.objects.get(usage_name="Lemaire")
        known.refresh_from_db()
        assert known.consent_email is True and known.other_phones == ["+33699887766"]
        add_note(hugo, "Veut une affiche", actor=leader)
        review.rollback(batch, actor=leader, reason="Saisie fantaisiste")
        assert not Contact.objects.filter(pk=ines.pk).exists()
        known.refresh_from_db()  # the contact she already was: the consent she gave is undone
        assert known.consent_email is None and not known.interactions.filter(kind="field_report").exists()
        assert (known.phone, known.other_phones) == ("+33600000002", [])
        hugo.refresh_from_db()  # kept: the team wrote about him since
        assert hugo.interactions.filter(summary__startswith="Visite annulée").exists()
        assert not hugo.interactions.filter(kind="field_report").exists()
        trail = AuditEntry.objects.get(action="review_batch.rolled_back", target_id=str(batch.pk))
        assert (trail.data["removed"], trail.data["kept"]) == ([ines.pk], [hugo.pk])
        assert FieldReport.objects.filter(uuid=reports[0]["uuid"], contact__isnull=True).exists()


def test_a_rejected_report_creates_nobody_and_forgets_what_was_typed(field):
    client, walk = doors(field)
    report = report_at(field, *walk[0], LEA)
    assert send(client, [report]) == [201]
    with tenant_context(field["campaign"]):
        stored = FieldReport.objects.get(uuid=report["uuid"])
        review.reject(stored, reason="Personne inventée", actor=field["organizer"])
        review.commit(ReviewBatch.objects.get(), actor=field["organizer"])
        stored.refresh_from_db()
        assert stored.new_person == {} and stored.contact_id is None
        assert not Contact.objects.filter(phone="+33612345678").exists()


def test_without_review_the_person_is_a_contact_at_once(field):
    with tenant_context(field["campaign"]):
        settings = ReviewSettings.current()
        settings.delay_minutes = 0
        settings.save()
    client, walk = doors(field)
    assert send(client, [report_at(field, *walk[0], LEA)]) == [201]
    with tenant_context(field["campaign"]):
        assert not ReviewBatch.objects.exists()
        lea = Contact.objects.get(email="lea.martin@example.fr")
        assert lea.consent_sms is True and lea.household_id == walk[0][1]["household"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"new_person": {**LEA, "phone": "06 12"}}, "« new_person.phone » : « 06 12 » n'est pas un numéro"),
        ({"new_person": {**LEA, "email": "lea@"}}, "« new_person.email » : « lea@ » n'est pas une adresse"),
        ({"new_person": {"phone": "0612345678"}}, "indiquez au moins le nom ou le prénom"),
        ({"new_person": {"last_name": "Roy", "consents": ["sms"]}}, "un accord « sms » sans phone"),
        ({"new_person": {"last_name": "Roy", "consents": ["fax"]}}, "« new_person.consents » : une liste"),
        ({"new_person": {"last_name": "R" * 121}}, "« new_person.last_name » doit être un texte de 120"),
        ({"new_person": ["Roy"]}, "« new_person » doit être un objet JSON"),
        ({"new_person": {"last_name": "Roy"}, "result": "not_home"}, "personne n'a été rencontré"),
        ({"new_person": {"last_name": "Roy"}, "household": None}, "se signale à une porte"),
        ({"new_person": {"last_name": "Roy"}, "contact": "known"}, "ou sur une nouvelle, pas les deux"),
    ],
)
def test_a_bad_new_person_is_refused_with_the_field_named_and_nothing_stored(field, change, message):
    client, walk = doors(field)
    building, door = next((b, d) for b, d in walk if d["people"])
    report = report_at(field, building, door, None) | change
    if report["contact"] == "known":
        report["contact"] = door["people"][0]["id"]
    response = post_json(client, "/api/reports/", {"reports": [report]})
    outcome = response.json()["results"][0]
    assert outcome["status"] == 400 and message in outcome["detail"], outcome
    with tenant_context(field["campaign"]):
        assert not FieldReport.objects.exists()


def test_erasing_someone_drops_their_details_from_a_report_still_waiting_for_review(field):
    """A new person's details wait in the report until its batch commits (30 minutes by
    default, longer when the team reviews late). Erasing them meanwhile left those
    details there, out of the erasure's reach."""
    client, walk = doors(field)
    waiting = report_at(field, *walk[0], LEA)
    other = report_at(field, *walk[1], {"first_names": "Noé", "last_name": "Petit", "email": "noe@example.fr"})
    assert send(client, [waiting, other]) == [201, 201]
    with tenant_context(field["campaign"]):
        lea = Contact.objects.create(first_names="Léa", usage_name="Martin", phone="+33612345678")
        gdpr.erase_contact(lea, actor=field["organizer"])
        assert FieldReport.objects.get(uuid=waiting["uuid"]).new_person == {"outcome": "suppressed"}
        assert FieldReport.objects.get(uuid=other["uuid"]).new_person["email"] == "noe@example.fr"
        batch = ReviewBatch.objects.get()
    leader = client_for(field["campaign"], field["organizer"])
    page = leader.get(f"/equipe/revue/{batch.pk}/").content.decode()
    assert "06 12 34 56 78" not in page and "elle a demandé l&#x27;effacement de ses données" in page
    assert leader.post(f"/equipe/revue/{batch.pk}/", {"do": "commit"}).status_code == 302
    with tenant_context(field["campaign"]):
        assert not Contact.objects.filter(first_names="Léa", erased_at__isnull=True).exists()
        assert Contact.objects.filter(email="noe@example.fr").exists()
