"""Bugs the hardening checks found, each pinned by a test of its own."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from crm.messaging.models import Message
from crm.models import Contact, Segment
from participation.models import NewsPost
from tests.conftest import host_of, make_user
from tests.field.test_field_work import client_for, make_field


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def admin_client(campaign):
    return client_for(campaign, make_user(campaign, Role.ADMIN))


def test_an_assignment_is_partly_updated_and_checked_as_it_will_be_saved(campaign):
    field = make_field(campaign)
    client = client_for(campaign, field["organizer"])
    url = f"/api/assignments/{field['assignment']}/"
    later = (timezone.now() + dt.timedelta(days=2)).replace(microsecond=0)
    response = client.patch(url, json.dumps({"ends_at": later.isoformat()}), content_type="application/json")
    assert response.status_code == 200, response.content
    assert dt.datetime.fromisoformat(response.json()["ends_at"]) == later
    # Ending before it starts is refused with the field named, not a server error.
    before = (timezone.now() - dt.timedelta(days=5)).isoformat()
    refused = client.patch(url, json.dumps({"ends_at": before}), content_type="application/json")
    assert refused.status_code == 400 and refused.json()


def test_a_segment_a_message_was_written_for_is_not_deleted_and_the_answer_says_why(campaign):
    with tenant_context(campaign):
        segment = Segment.objects.create(name="Abonnés lettre", filters={})
        Message.objects.create(channel="email", name="Lettre de novembre", body="Bonjour", segment=segment)
    response = admin_client(campaign).delete(f"/api/segments/{segment.pk}/")
    assert response.status_code == 409
    assert "Lettre de novembre" in response.json()["detail"]
    with tenant_context(campaign):
        assert Segment.objects.filter(pk=segment.pk).exists()


def test_a_news_post_saved_with_a_blank_form_shows_the_errors(campaign):
    with tenant_context(campaign):
        post = NewsPost.objects.create(title="Local ouvert", slug="local-ouvert", body="Samedi",
                                       published_at=timezone.now())  # fmt: skip
    response = admin_client(campaign).post(f"/equipe/site/actualites/{post.pk}/", {})
    assert response.status_code in (200, 400)
    assert response.context["form"].errors
    assert 'href="/actualites/local-ouvert/"' in response.content.decode()


def test_merging_never_redirects_to_another_site(campaign):
    with tenant_context(campaign):
        keep = Contact.objects.create(birth_name="Durand", first_names="Jeanne")
        other = Contact.objects.create(birth_name="Durand", first_names="Jeanne")
    response = admin_client(campaign).post(
        "/equipe/doublons/fusionner/", {"keep": keep.pk, "other": other.pk, "next": "https://evil.example/phish"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/equipe/doublons/"
    with tenant_context(campaign):
        assert not Contact.objects.filter(pk=other.pk).exists()


def test_a_vote_never_redirects_to_another_site(campaign):
    client = Client(HTTP_HOST=host_of(campaign))
    response = client.post("/idees/999999/vote/", {"next": "//evil.example/"})
    assert response.status_code in (302, 404)
    assert "evil.example" not in response.get("Location", "")


def test_ids_that_are_not_numbers_are_refused_not_crashed_on(campaign):
    # Found by api_fuzz: these were 500s.
    client = admin_client(campaign)
    assert client.get("/api/contacts/", {"segment": "true"}).status_code == 400
    assert client.get("/api/questionnaires/%C3%A9t%C3%A9/").status_code == 404
    with tenant_context(campaign):
        contact = Contact.objects.create(birth_name="Seul", first_names="Jean")
    merge = client.post(f"/api/contacts/{contact.pk}/merge/", json.dumps({"other": "abc"}),
                        content_type="application/json")  # fmt: skip
    assert merge.status_code == 400 and "other" in merge.json()
    huge = client.post("/equipe/doublons/fusionner/", {"keep": str(2**70), "other": "x"})
    assert huge.status_code == 404


def test_zone_input_that_is_not_a_feature_or_off_the_globe_is_refused(campaign):
    client = admin_client(campaign)
    assert client.post("/api/zones/", json.dumps("Paris"), content_type="application/json").status_code == 400
    far = {"type": "Feature", "properties": {"name": "Ailleurs"},
           "geometry": {"type": "Polygon", "coordinates": [[[500, 10], [501, 10], [501, 11], [500, 10]]]}}  # fmt: skip
    response = client.post("/api/zones/", json.dumps(far), content_type="application/json")
    assert response.status_code == 400 and "globe" in json.dumps(response.json(), ensure_ascii=False)


def test_an_indicator_file_that_is_not_csv_gets_a_message(campaign):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = admin_client(campaign)
    broken = SimpleUploadedFile("i.csv", b'code;inscrits\nA;"12\rB;3\n')
    response = client.post("/api/zones/indicators/", {"file": broken})
    assert response.status_code == 400 and response.json()["file"]
    undecodable = SimpleUploadedFile("i.csv", b"code;inscrits\n\x81\x8d;3\n\xff\xfe\x81")
    assert client.post("/api/zones/indicators/", {"file": undecodable}).status_code == 400
