"""Field data you can trust: no double contact, door leases, election-bound retention,
opt-out management."""

import datetime as dt
import threading

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context
from rest_framework.authtoken.models import Token

from bench.synthetic import scatter_buildings
from campaigns.accounts.models import AuditEntry, Role
from crm import consent, retention
from crm.field.actions import default_result_codes
from crm.field.calls import build_call_list
from crm.field.models import Action, FieldReport, Zone
from crm.field.turfs import cut_zone, walk_list_for
from crm.messaging.audience import audience
from crm.messaging.models import Message
from crm.models import ConsentEvent, Contact, CrmSettings, Household, ImportJob, Interaction, Segment, Tag
from tests.conftest import host_of, make_user


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def turf_with_people():
    zone = Zone.objects.create(name="Centre", code="C", geometry=MultiPolygon(
        Polygon.from_bbox((1.90, 47.90, 1.905, 47.903)), srid=4326))  # fmt: skip
    scatter_buildings(zone.pk, 12, seed=4, flats_every=10**9)
    turf = cut_zone(zone, doors_per_turf=12)[0]
    tag = Tag.objects.create(name="Quartier")
    people = []
    for n, household in enumerate(Household.objects.filter(address__turfs=turf).order_by("id")):
        c = Contact.objects.create(first_names=f"P{n}", birth_name="Voisin", household=household,
                                   phone=f"+3361234{n:04d}", consent_sms=True)  # fmt: skip
        c.tags.add(tag)
        people.append(c)
    return turf, people


def households_in(walk):
    return [d["household"] for s in walk["streets"] for b in s["buildings"] for d in b["doors"]]


def test_a_household_reached_by_phone_yesterday_is_left_out_today(campaign):
    with tenant_context(campaign):
        turf, people = turf_with_people()
        called, messaged = people[0], people[1]
        yesterday = timezone.now() - dt.timedelta(days=1)
        Interaction.objects.filter(pk=Interaction.objects.create(
            contact=called, kind=Interaction.Kind.FIELD_REPORT, is_contact=True, summary="Appel : talked").pk
        ).update(at=yesterday)  # fmt: skip
        # Someone else at the same number was texted two weeks and a day ago: outside the window.
        old = Interaction.objects.create(contact=messaged, kind=Interaction.Kind.MESSAGE, is_contact=True)
        Interaction.objects.filter(pk=old.pk).update(at=timezone.now() - dt.timedelta(days=15))

        walk = walk_list_for(turf)
        assert called.household_id not in households_in(walk) and walk["recently_contacted"] == 1
        assert messaged.household_id in households_in(walk)

        segment = Segment.objects.create(name="Quartier", filters={"tags": ["Quartier"]})
        today = timezone.localdate()
        phoning = Action.objects.create(name="Phoning", kind="phone", segment=segment, starts_on=today,
                                        ends_on=today, result_codes=default_result_codes("phone"))  # fmt: skip
        build_call_list(phoning)
        listed = set(phoning.call_list.values_list("contact_id", flat=True))
        assert called.pk not in listed and messaged.pk in listed and len(listed) == len(people) - 1

        sms = Message.objects.create(channel="sms", name="Rappel", body="Réunion", segment=segment)
        eligible, excluded = audience(sms)
        assert called.pk not in set(eligible.values_list("pk", flat=True))
        assert excluded["recently_contacted"] == 1

        # The window is the campaign's: 0 turns it off.
        settings = CrmSettings.current()
        settings.contact_window_days = 0
        settings.save()
        assert called.household_id in households_in(walk_list_for(turf))
        settings.contact_window_days = 14
        settings.save()


def test_a_volunteer_meeting_a_recent_door_anyway_is_told(campaign):
    volunteer = make_user(campaign, Role.ORGANIZER)
    with tenant_context(campaign):
        turf, people = turf_with_people()
        today = timezone.localdate()
        action = Action.objects.create(name="PAP", kind="door", starts_on=today, ends_on=today,
                                       result_codes=default_result_codes("door"))  # fmt: skip
        FieldReport.objects.create(uuid="6b1f7a5e-7a8a-4c56-9a8e-000000000001", action=action, turf=turf,
                                   volunteer=volunteer, address=people[0].household.address,
                                   household=people[0].household, result="talked", reached=True,
                                   done_at=timezone.now() - dt.timedelta(days=2))  # fmt: skip
        token = Token.objects.create(user=volunteer).key
    api = Client(HTTP_HOST=host_of(campaign), HTTP_AUTHORIZATION=f"Token {token}")
    report = {"uuid": "6b1f7a5e-7a8a-4c56-9a8e-000000000002", "action": action.pk, "turf": turf.pk,
              "address": people[0].household.address_id, "household": people[0].household_id, "result": "talked",
              "done_at": timezone.now().isoformat()}  # fmt: skip
    response = api.post("/api/reports/", report, content_type="application/json")
    assert response.status_code == 201 and response.json()["report"]["recently_contacted"] is True
    fresh = report | {"uuid": "6b1f7a5e-7a8a-4c56-9a8e-000000000003", "address": people[5].household.address_id,
                      "household": people[5].household_id}  # fmt: skip
    assert (
        "recently_contacted" not in api.post("/api/reports/", fresh, content_type="application/json").json()["report"]
    )


def test_two_volunteers_cannot_hold_the_same_door(committed):
    campaign = committed.campaign().campaign
    a, b = make_user(campaign, Role.VOLUNTEER), make_user(campaign, Role.VOLUNTEER)
    with tenant_context(campaign):
        _turf, people = turf_with_people()
        door = {"address": people[0].household.address_id, "household": people[0].household_id}
        tokens = [Token.objects.create(user=u).key for u in (a, b)]
    barrier, answers = threading.Barrier(2), []

    def take(token):
        api = Client(HTTP_HOST=host_of(campaign), HTTP_AUTHORIZATION=f"Token {token}")
        barrier.wait()
        answers.append(api.post("/api/doors/", door, content_type="application/json").status_code)
        connection.close()

    threads = [threading.Thread(target=take, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200, 409]
    api_a = Client(HTTP_HOST=host_of(campaign), HTTP_AUTHORIZATION=f"Token {tokens[0]}")
    api_b = Client(HTTP_HOST=host_of(campaign), HTTP_AUTHORIZATION=f"Token {tokens[1]}")
    holder, other = (
        (api_a, api_b)
        if api_a.post("/api/doors/", door, content_type="application/json").status_code == 200
        else (api_b, api_a)
    )
    taken = other.post("/api/doors/", door, content_type="application/json")
    assert taken.status_code == 409 and "réservée par un autre militant" in taken.json()["detail"]
    # Released, the other volunteer gets it.
    assert holder.delete("/api/doors/", door, content_type="application/json").status_code == 204
    assert other.post("/api/doors/", door, content_type="application/json").status_code == 200
    assert other.post("/api/doors/", {"address": "x"}, content_type="application/json").status_code == 400


def test_election_purge_deletes_exactly_the_electoral_only_people(campaign):
    admin = make_user(campaign, Role.ADMIN, "admin.election@ex.fr")
    with tenant_context(campaign):
        electoral = ImportJob.objects.create(file_name="liste.csv", file_path="x", electoral_list=True)
        other = ImportJob.objects.create(file_name="benevoles.csv", file_path="y")
        only = Contact.objects.create(first_names="Seulement", birth_name="Liste", import_job=electoral)
        consented = Contact.objects.create(first_names="Accord", birth_name="Liste", import_job=electoral,
                                           consent_email=True)  # fmt: skip
        signed_up = Contact.objects.create(first_names="Inscrite", birth_name="Liste", import_job=electoral)
        Interaction.objects.create(contact=signed_up, kind=Interaction.Kind.SIGNED_UP)
        completed = Contact.objects.create(first_names="Complétée", birth_name="Liste", import_job=electoral)
        Interaction.objects.create(contact=completed, kind=Interaction.Kind.UPDATED_BY_IMPORT,
                                   data={"import": other.pk, "row": 3})  # fmt: skip
        volunteer_file = Contact.objects.create(first_names="Bénévole", birth_name="Fichier", import_job=other)
        settings = CrmSettings.current()
        settings.election_dates = [dt.date(2026, 3, 15), dt.date(2026, 3, 22)]
        settings.save()

        assert retention.purge_date() == dt.date(2026, 4, 21)
        dry = retention.apply_election_retention(dry_run=True, today=dt.date(2026, 4, 21))
        assert dry["due"] and dry["ids"] == [only.pk]
        # Seven days ahead: the admins are warned, once.
        assert retention.warn_admins(today=dt.date(2026, 4, 14))
        assert not retention.warn_admins(today=dt.date(2026, 4, 15))
        assert admin.email in mail.outbox[-1].to and "21/04/2026" in mail.outbox[-1].subject
        # Before the date: nothing goes.
        early = retention.apply_election_retention(dry_run=False, today=dt.date(2026, 4, 20))
        assert not early["due"] and Contact.objects.get(pk=only.pk).erased_at is None
        done = retention.apply_election_retention(dry_run=False, today=dt.date(2026, 4, 21))
        assert done["count"] == 1
        assert Contact.objects.get(pk=only.pk).erased_at is not None
        for kept in (consented, signed_up, completed, volunteer_file):
            assert Contact.objects.get(pk=kept.pk).erased_at is None
        assert AuditEntry.objects.filter(action="contacts.election_purge", data__count=1).exists()


def test_undoing_an_opt_out_needs_a_reason_and_new_consent(campaign):
    organizer = make_user(campaign, Role.ORGANIZER)
    with tenant_context(campaign):
        person = Contact.objects.create(first_names="Jeanne", birth_name="Opposée", email="jeanne@ex.fr",
                                        phone="+33611112222", consent_email=True, consent_sms=True)  # fmt: skip
        token = Token.objects.create(user=organizer).key
    staff = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        staff.force_login(organizer)
    # Opt someone out without sending anything: every channel at once.
    assert staff.post(f"/equipe/contacts/{person.pk}/opposition/", {"reason": ""}).status_code == 302
    with tenant_context(campaign):
        person.refresh_from_db()
        assert person.consent_email is True  # no reason: nothing done
    staff.post(f"/equipe/contacts/{person.pk}/opposition/", {"reason": "A appelé la permanence"})
    with tenant_context(campaign):
        person.refresh_from_db()
        assert (person.consent_email, person.consent_sms, person.consent_phone, person.consent_door) == (False,) * 4
        assert ConsentEvent.objects.filter(contact=person, granted=False, reason="A appelé la permanence").count() == 4
    api = Client(HTTP_HOST=host_of(campaign), HTTP_AUTHORIZATION=f"Token {token}")
    refused = api.patch(f"/api/contacts/{person.pk}/", {"consent_sms": True}, content_type="application/json")
    assert refused.status_code == 400 and "consent_reason" in refused.json()["consent_sms"][0]
    no_consent = api.patch(f"/api/contacts/{person.pk}/", {"consent_sms": True, "consent_reason": "Redemande"},
                           content_type="application/json")  # fmt: skip
    assert no_consent.status_code == 400
    with tenant_context(campaign):
        person.refresh_from_db()
        assert person.consent_sms is False
    ok = api.patch(f"/api/contacts/{person.pk}/", {"consent_sms": True, "consent_reason": "Accord écrit le 3/12",
                                                    "new_consent": True}, content_type="application/json")  # fmt: skip
    assert ok.status_code == 200
    with tenant_context(campaign):
        person.refresh_from_db()
        assert person.consent_sms is True and person.consent_email is False
        assert ConsentEvent.objects.filter(contact=person, channel="sms", granted=True,
                                           reason="Accord écrit le 3/12", actor=organizer).exists()  # fmt: skip
    with tenant_context(campaign), pytest.raises(consent.ConsentRefused):
        consent.grant(person, "email", source="test", reason="", new_consent=True)
