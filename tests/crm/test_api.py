"""The CRM API as each role uses it."""

import io
from pathlib import Path

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from campaigns.accounts.models import AuditEntry, Role
from crm.models import Contact, ImportJob, Segment, Tag
from tests.conftest import host_of, make_user, wait_for
from tests.crm.test_import import PEOPLE, write_csv


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def client_as(campaign, role):
    user = make_user(campaign, role)
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(user)
    return client, user


@pytest.fixture
def people(campaign):
    with tenant_context(campaign):
        tag = Tag.objects.create(name="bénévole")
        a = Contact.objects.create(birth_name="Lefèvre", first_names="Hélène", support_level=5, consent_sms=True)
        a.tags.add(tag)
        b = Contact.objects.create(birth_name="Martin", first_names="Paul", support_level=2)
    return a, b


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.CITIZEN, Role.TEAM_LEADER])
def test_volunteers_and_citizens_cannot_list_the_contact_base(campaign, people, role):
    client, _ = client_as(campaign, role)
    response = client.get("/api/contacts/")
    assert response.status_code == 403
    assert "Lefèvre" not in response.content.decode()
    assert client.get(f"/api/contacts/{people[0].pk}/").status_code == 403
    assert client.get("/api/segments/").status_code == 403


def test_organizer_searches_ignoring_accents_and_case_and_sensitive_reads_are_logged(campaign, people):
    client, organizer = client_as(campaign, Role.ORGANIZER)
    results = client.get("/api/contacts/", {"search": "HELENE lefevre"}).json()["results"]
    assert [r["birth_name"] for r in results] == ["Lefèvre"]
    assert results[0]["support_level"] == 5 and results[0]["tags"] == ["bénévole"]
    with tenant_context(campaign):
        assert AuditEntry.objects.filter(actor=organizer, action="contacts.sensitive_viewed").exists()


def test_a_full_page_of_contacts_is_listed_and_every_id_shown_is_in_the_audit_log(campaign):
    # Found by the tenant_isolation check: a page of 50 ids did not fit the audit entry (500).
    with tenant_context(campaign):
        shown = Contact.objects.bulk_create([Contact(birth_name=f"Nom{i}", first_names="Anne") for i in range(60)])
    client, organizer = client_as(campaign, Role.ORGANIZER)
    response = client.get("/api/contacts/")
    assert response.status_code == 200
    ids = [r["id"] for r in response.json()["results"]]
    assert len(ids) == 50 and set(ids) <= {c.pk for c in shown}
    with tenant_context(campaign):
        entry = AuditEntry.objects.get(actor=organizer, action="contacts.sensitive_viewed")
        assert entry.data["ids"] == ids and entry.data["count"] == 50


def test_sensitive_fields_are_hidden_from_roles_without_the_permission(campaign, people, monkeypatch):
    from campaigns.accounts import rules as campaign_rules

    client, _ = client_as(campaign, Role.ORGANIZER)
    monkeypatch.setattr(campaign_rules.can_see_sensitive, "test", lambda user: False)
    import rules

    rules.set_perm("crm.see_sensitive", rules.always_deny)
    try:
        result = client.get(f"/api/contacts/{people[0].pk}/").json()
    finally:
        rules.set_perm("crm.see_sensitive", campaign_rules.can_see_sensitive)
    assert "support_level" not in result and "opinion_notes" not in result
    assert result["birth_name"] == "Lefèvre"


def test_bad_input_is_answered_field_by_field_and_changes_nothing(campaign, people):
    client, _ = client_as(campaign, Role.ORGANIZER)
    response = client.post(
        "/api/contacts/", {"birth_name": "X", "phone": "06 12", "support_level": 9}, content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"phone", "support_level"}
    bad_filter = client.get("/api/contacts/", {"filters": '{"support_min": "beaucoup"}'})
    assert bad_filter.status_code == 400 and "support_min" in bad_filter.json()
    with tenant_context(campaign):
        assert not Contact.objects.filter(birth_name="X").exists()


@pytest.mark.parametrize(
    "filters",
    [
        {"consent": ["sms"]},
        {"consent": "sms"},
        {"tags": [["bénévole"]]},
        {"tags_mode": "some"},
        {"exclude_tags": 3},
        {"polling_stations": [12]},
        {"polygon": {"type": "Cercle"}},
        {"support_min": True},
    ],
)
def test_segment_filters_of_the_wrong_shape_are_refused_by_name(campaign, filters):
    client, _ = client_as(campaign, Role.ORGANIZER)
    response = client.post("/api/segments/", {"name": "Mauvais", "filters": filters}, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["filters"]) == set(filters)
    with tenant_context(campaign):
        assert not Segment.objects.filter(name="Mauvais").exists()


def test_a_pair_marked_distinct_through_the_api_is_no_longer_offered(campaign):
    with tenant_context(campaign):
        a = Contact.objects.create(birth_name="Roux", first_names="Anne", email="famille.roux@x.fr")
        b = Contact.objects.create(birth_name="Roux", first_names="Paul", email="famille.roux@x.fr")
    client, _ = client_as(campaign, Role.ORGANIZER)
    listed = client.get("/api/duplicates/").json()
    assert {"keep_id": a.pk, "other_id": b.pk, "reason": "email", "similarity": 1.0} in listed
    for bad in ({"other": a.pk}, {"other": "abc"}, {}):
        answer = client.post(f"/api/contacts/{a.pk}/distinct/", bad, content_type="application/json")
        assert answer.status_code == 400 and "other" in answer.json()
    answer = client.post(f"/api/contacts/{b.pk}/distinct/", {"other": a.pk}, content_type="application/json")
    assert answer.status_code == 204
    assert not [p for p in client.get("/api/duplicates/").json() if {p["keep_id"], p["other_id"]} == {a.pk, b.pk}]
    volunteer, _ = client_as(campaign, Role.VOLUNTEER)
    refused = volunteer.post(f"/api/contacts/{a.pk}/distinct/", {"other": b.pk}, content_type="application/json")
    assert refused.status_code == 403


def test_timeline_gdpr_export_and_erasure(campaign, people):
    admin, _ = client_as(campaign, Role.ADMIN)
    organizer, _ = client_as(campaign, Role.ORGANIZER)
    a = people[0]
    admin.patch(f"/api/contacts/{a.pk}/", {"email": "helene@x.fr"}, content_type="application/json")
    timeline = admin.get(f"/api/contacts/{a.pk}/timeline/").json()
    assert timeline[0]["kind"] == "edited" and "email" in timeline[0]["data"]["fields"]
    assert admin.get(f"/api/contacts/{a.pk}/gdpr-export/").json()["contact"]["email"] == "helene@x.fr"
    assert organizer.post(f"/api/contacts/{a.pk}/erase/").status_code == 403
    erased = admin.post(f"/api/contacts/{a.pk}/erase/", {"reason": "demande écrite"})
    assert erased.status_code == 200 and erased.json()["birth_name"] == ""
    again = admin.post("/api/contacts/", {"birth_name": "H", "email": "helene@x.fr"}, content_type="application/json")
    assert again.status_code == 400 and "email" in again.json()


def test_segments_count_and_export(campaign, people):
    client, _ = client_as(campaign, Role.ORGANIZER)
    bad = client.post("/api/segments/", {"name": "X", "filters": {"tags": ["nope"]}}, content_type="application/json")
    assert bad.status_code == 400
    created = client.post(
        "/api/segments/",
        {"name": "Soutiens SMS", "filters": {"support_min": 4, "consent": {"sms": True}}},
        content_type="application/json",
    ).json()
    assert client.get(f"/api/segments/{created['id']}/count/").json() == {"count": 1}
    export = client.get(f"/api/segments/{created['id']}/export/", {"file_format": "csv"})
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "Lefèvre" in text and "Martin" not in text
    with tenant_context(campaign):
        assert Segment.objects.get(pk=created["id"]).name == "Soutiens SMS"


def test_import_preview_guesses_the_mapping(campaign, tmp_path):
    client, _ = client_as(campaign, Role.ORGANIZER)
    path = write_csv(tmp_path / "liste.csv", PEOPLE, encoding="cp1252")
    with open(path, "rb") as fh:
        shown = client.post("/api/imports/preview/", {"file": fh}).json()
    assert shown["encoding"] == "cp1252" and shown["delimiter"] == ";"
    assert shown["mapping"]["Prénoms"] == "first_names"
    assert shown["rows"][0][2] == "Élodie Françoise"
    junk = client.post("/api/imports/preview/", {"file": io.BytesIO(b"\x00\x01\x02binary")})
    assert junk.status_code == 400 and "binaires" in junk.json()["file"][0]


def test_import_through_the_api_runs_in_celery_and_reports_progress(committed, celery_worker_process, tmp_path):
    campaign = committed.campaign().campaign
    client, _ = client_as(campaign, Role.ORGANIZER)
    path = write_csv(tmp_path / "liste.csv", [*PEOPLE, ["", "", "", "", "31/02/1990", "", "", "", "", "", "", ""]])
    with open(path, "rb") as fh:
        response = client.post("/api/imports/", {"file": fh, "source": "liste électorale 2026"})
    assert response.status_code == 202
    job_id = response.json()["id"]

    def finished():
        return client.get(f"/api/imports/{job_id}/").json()["status"] in ("done", "failed")

    wait_for(finished, timeout=60, what="import job")
    job = client.get(f"/api/imports/{job_id}/").json()
    assert (job["status"], job["progress"], job["created_count"], job["rejected_count"]) == ("done", 100, 3, 1)
    report = b"".join(client.get(f"/api/imports/{job_id}/report/").streaming_content).decode("utf-8-sig")
    assert "nom manquant" in report
    with tenant_context(campaign):
        assert Contact.objects.filter(source="liste électorale 2026").count() == 3
        stored = ImportJob.objects.get(pk=job_id)
        assert stored.created_by.role == Role.ORGANIZER
        # The campaign keeps the contacts, not a copy of the file.
        assert not Path(stored.file_path).exists() and not Path(stored.file_path).parent.exists()
