"""Two campaigns never see each other's people: ORM, API and admin."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import tenant_context
from rest_framework.authtoken.models import Token

from campaigns.accounts.models import Role
from crm.models import Contact
from tests.conftest import Committed, host_of, make_user, unique_slug


def client_for(campaign, user=None):
    client = Client(HTTP_HOST=host_of(campaign))
    if user is not None:
        with tenant_context(campaign):
            client.force_login(user)
    return client


pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _two_campaigns(django_db_setup, django_db_blocker):
    """Two committed campaigns of their own, each with a contact and an admin, set up
    once for the module; each test works inside its own rolled back transaction."""
    with django_db_blocker.unblock():
        data = Committed()
        a = data.campaign(unique_slug("a"), name="Campagne A").campaign
        b = data.campaign(unique_slug("b"), name="Campagne B").campaign
        with tenant_context(a):
            # Ids are per schema: push A's past B's so an A id is not also a B id.
            Contact.objects.bulk_create([Contact(first_names=f"Filler {i}") for i in range(5)])
            Contact.objects.filter(first_names__startswith="Filler").delete()
            contact_a = Contact.objects.create(first_names="Amélie", birth_name="Poulain", email="amelie@a.test")
        with tenant_context(b):
            contact_b = Contact.objects.create(first_names="Benoît", birth_name="Ærø", email="benoit@b.test")
        admin_a = make_user(a, Role.ADMIN, "chef@a.test")
        admin_b = make_user(b, Role.ADMIN, "chef@b.test")
    yield a, b, contact_a, contact_b, admin_a, admin_b
    with django_db_blocker.unblock():
        data.cleanup()


@pytest.fixture
def two_campaigns(_two_campaigns, db):
    return _two_campaigns


def test_contact_created_in_one_campaign_is_invisible_through_the_orm_of_the_other(two_campaigns):
    a, b, contact_a, contact_b, *_ = two_campaigns
    with tenant_context(a):
        assert list(Contact.objects.values_list("email", flat=True)) == ["amelie@a.test"]
    with tenant_context(b):
        assert list(Contact.objects.values_list("email", flat=True)) == ["benoit@b.test"]
        assert not Contact.objects.filter(email="amelie@a.test").exists()


def test_user_created_in_one_campaign_does_not_exist_in_the_other(two_campaigns):
    a, b, *_ = two_campaigns
    User = get_user_model()
    with tenant_context(b):
        assert not User.objects.filter(email="chef@a.test").exists()
    # The same address may hold separate accounts in two campaigns (two data controllers).
    make_user(b, Role.CITIZEN, "chef@a.test")
    with tenant_context(a):
        assert User.objects.get(email="chef@a.test").role == Role.ADMIN


def test_api_lists_only_the_hosts_campaign_contacts(two_campaigns):
    a, b, contact_a, contact_b, admin_a, admin_b = two_campaigns
    response = client_for(b, admin_b).get("/api/contacts/")
    assert response.status_code == 200
    emails = [c["email"] for c in response.json()["results"]]
    assert emails == ["benoit@b.test"]


def test_api_does_not_serve_another_campaigns_contact_by_id(two_campaigns):
    a, b, contact_a, contact_b, admin_a, admin_b = two_campaigns
    response = client_for(b, admin_b).get(f"/api/contacts/{contact_a.pk}/")
    assert response.status_code == 404
    assert "amelie" not in response.content.decode()


def test_api_token_of_one_campaign_is_refused_on_the_other(two_campaigns):
    a, b, contact_a, contact_b, admin_a, admin_b = two_campaigns
    with tenant_context(a):
        token = Token.objects.create(user=admin_a)
    ok = Client(HTTP_HOST=host_of(a)).get("/api/contacts/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert ok.status_code == 200
    assert [c["email"] for c in ok.json()["results"]] == ["amelie@a.test"]
    refused = Client(HTTP_HOST=host_of(b)).get("/api/contacts/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert refused.status_code == 401
    assert "amelie" not in refused.content.decode()


def test_session_cookie_of_one_campaign_is_not_a_session_on_the_other(two_campaigns):
    a, b, contact_a, contact_b, admin_a, admin_b = two_campaigns
    client = client_for(a, admin_a)
    assert client.get("/api/me/").json()["email"] == "chef@a.test"
    # Same cookie jar, other campaign's host: no session there.
    response = client.get("/api/contacts/", HTTP_HOST=host_of(b))
    assert response.status_code == 401
    assert "amelie" not in response.content.decode() and "benoit" not in response.content.decode()
    admin_page = client.get("/admin/crm/contact/", HTTP_HOST=host_of(b))
    assert admin_page.status_code == 302
    assert "/admin/login/" in admin_page["Location"]


def test_admin_shows_only_the_hosts_campaign_contacts(two_campaigns):
    a, b, contact_a, contact_b, admin_a, admin_b = two_campaigns
    page = client_for(b, admin_b).get("/admin/crm/contact/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "benoit@b.test" in html
    assert "amelie@a.test" not in html
    other = client_for(b, admin_b).get(f"/admin/crm/contact/{contact_a.pk}/change/")
    assert other.status_code == 302  # Django admin redirects a missing object to the index
    assert "amelie@a.test" not in other.content.decode()


def test_platform_host_never_lists_campaign_people(two_campaigns):
    response = Client(HTTP_HOST="localhost").get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "amelie" not in html and "Poulain" not in html
    assert Client(HTTP_HOST="localhost").get("/api/contacts/").status_code == 404


def test_a_link_signed_by_one_campaign_does_nothing_on_another(campaign_a, campaign_b):
    """Ids are per schema: campaign A's "cancel registration 1" link must not cancel
    campaign B's registration 1 (participation links use campaigns.signing)."""
    from campaigns import signing

    with tenant_context(campaign_a):
        token = signing.dumps(1, salt="participation.rsvp-cancel")
        assert signing.loads(token, salt="participation.rsvp-cancel") == 1
    with tenant_context(campaign_b), pytest.raises(signing.BadSignature):
        signing.loads(token, salt="participation.rsvp-cancel")
