"""Phone banking: callers never share a contact, opted-out people never come up."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from crm.field.calls import build_call_list, next_call
from crm.field.models import Action, Assignment, CallListEntry
from crm.models import Contact, Segment, Tag
from tests.conftest import host_of, make_user


def phone_bank(campaign, people=60, opted_out=5):
    with tenant_context(campaign):
        tag = Tag.objects.create(name="À appeler")
        for i in range(people):
            c = Contact.objects.create(first_names=f"Personne {i}", birth_name="Appel", phone=f"+336120000{i:02d}",
                                       consent_phone=False if i < opted_out else None)  # fmt: skip
            c.tags.add(tag)
        Contact.objects.create(first_names="Sans", birth_name="Numéro").tags.add(tag)
        segment = Segment.objects.create(name="À appeler", filters={"tags": ["À appeler"]})
        today = timezone.localdate()
        action = Action.objects.create(name="Phoning", kind="phone", segment=segment, starts_on=today,
                                       ends_on=today, result_codes=[{"code": "talked", "reached": True},
                                                                    {"code": "no_answer"}])  # fmt: skip
        assert build_call_list(action) == people - opted_out
        assert build_call_list(action) == 0  # idempotent
        return action


def test_two_callers_never_get_the_same_contact(committed):
    campaign = committed.campaign().campaign
    action = phone_bank(campaign)
    callers = [make_user(campaign, Role.VOLUNTEER) for _ in range(4)]
    handed = {c.pk: [] for c in callers}
    start = threading.Barrier(len(callers))

    def work(caller):
        try:
            connection.set_tenant(campaign)
            start.wait()
            while (entry := next_call(action, caller)) is not None:
                handed[caller.pk].append(entry.contact_id)
                CallListEntry.objects.filter(pk=entry.pk).update(done=True, held_by=None)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(c,)) for c in callers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everyone = [pk for got in handed.values() for pk in got]
    assert len(everyone) == len(set(everyone)) == 55
    assert sum(1 for got in handed.values() if got) >= 2  # they really worked side by side
    with tenant_context(campaign):
        assert not Contact.objects.filter(pk__in=everyone, consent_phone=False).exists()


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def test_a_held_contact_comes_back_when_the_lease_expires(campaign):
    action = phone_bank(campaign, people=2, opted_out=0)
    a, b = make_user(campaign, Role.VOLUNTEER), make_user(campaign, Role.VOLUNTEER)
    with tenant_context(campaign):
        first = next_call(action, a)
        second = next_call(action, b)
        assert first.contact_id != second.contact_id
        CallListEntry.objects.filter(pk=second.pk).update(done=True)
        assert next_call(action, b) is None  # the other one is held by a
        # a vanished without logging anything; after the lease, the person comes back.
        again = next_call(action, b, now=timezone.now() + dt.timedelta(hours=1))
        assert again.contact_id == first.contact_id


def test_caller_works_the_list_through_the_api(campaign):
    action = phone_bank(campaign, people=2, opted_out=0)
    caller = make_user(campaign, Role.VOLUNTEER)
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(caller)
    url = f"/api/actions/{action.pk}/next-call/"
    assert client.post(url).status_code == 404  # not assigned: the action is not even visible
    now = timezone.now()
    with tenant_context(campaign):
        Assignment.objects.create(action=action, volunteer=caller, starts_at=now - dt.timedelta(hours=1),
                                  ends_at=now + dt.timedelta(hours=1))  # fmt: skip
    seen = []
    for result in ("no_answer", "talked", "talked"):
        got = client.post(url).json()
        assert got["contact"]["phone"].startswith("+336")
        seen.append(got["contact"]["id"])
        report = {"uuid": f"00000000-0000-4000-8000-00000000000{len(seen)}", "action": action.pk,
                  "contact": got["contact"]["id"], "result": result, "done_at": timezone.now().isoformat()}  # fmt: skip
        assert client.post("/api/reports/", report, content_type="application/json").status_code == 201
    assert client.post(url).status_code == 204  # everybody reached
    assert len(set(seen)) == 2  # the unanswered one came back
