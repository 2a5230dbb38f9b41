"""Signing in, out, password reset and login throttling, per campaign."""

import re

from django.core import mail
from django.test import Client
from django_tenants.utils import tenant_context
from rest_framework.authtoken.models import Token

from campaigns.accounts.models import Role
from tests.conftest import host_of, make_user

PASSWORD = "motdepasse-solide-42"


def test_sign_in_with_email_in_any_case_then_sign_out(campaign_a):
    make_user(campaign_a, Role.VOLUNTEER, "lea@exemple.fr")
    client = Client(HTTP_HOST=host_of(campaign_a))
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and "Adresse e-mail" in page.content.decode()
    response = client.post("/accounts/login/", {"username": "Lea@Exemple.FR", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/api/me/").json()["email"] == "lea@exemple.fr"
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/api/me/").status_code in (401, 403)


def test_wrong_password_says_so_and_signs_nobody_in(campaign_a):
    make_user(campaign_a, Role.VOLUNTEER, "lea@exemple.fr")
    client = Client(HTTP_HOST=host_of(campaign_a))
    response = client.post("/accounts/login/", {"username": "lea@exemple.fr", "password": "faux"})
    assert response.status_code == 200
    assert "Saisissez" in response.content.decode()  # Django's French "enter a correct e-mail and password"
    assert client.get("/api/me/").status_code in (401, 403)


def test_password_reset_mail_links_to_the_campaigns_own_host(campaign_a):
    make_user(campaign_a, Role.ORGANIZER, "ines@exemple.fr")
    client = Client(HTTP_HOST=host_of(campaign_a))
    response = client.post("/accounts/password_reset/", {"email": "ines@exemple.fr"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^\s]+/accounts/reset/[^\s]+/", mail.outbox[0].body).group(0)
    assert f"//{host_of(campaign_a)}/" in link
    path = link.split(host_of(campaign_a))[1]
    form = client.get(path, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "nouveau-mot-de-passe-7", "new_password2": "nouveau-mot-de-passe-7"},
    )
    assert done.status_code == 302
    assert (
        client.post(
            "/accounts/login/", {"username": "ines@exemple.fr", "password": "nouveau-mot-de-passe-7"}
        ).status_code
        == 302
    )


def test_password_reset_for_an_address_of_another_campaign_sends_nothing(campaign_a, campaign_b):
    make_user(campaign_a, Role.ORGANIZER, "ines@exemple.fr")
    Client(HTTP_HOST=host_of(campaign_b)).post("/accounts/password_reset/", {"email": "ines@exemple.fr"})
    assert mail.outbox == []


def test_login_is_locked_after_five_failures_even_with_the_right_password(campaign_a, campaign_b):
    make_user(campaign_a, Role.ADMIN, "camille@exemple.fr")
    make_user(campaign_b, Role.ADMIN, "camille@exemple.fr")
    client = Client(HTTP_HOST=host_of(campaign_a))
    for _ in range(5):
        client.post("/accounts/login/", {"username": "camille@exemple.fr", "password": "mauvais"})
    locked = client.post("/accounts/login/", {"username": "camille@exemple.fr", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Trop de tentatives" in locked.content.decode()
    assert client.get("/api/me/").status_code in (401, 403)
    # Failures are counted per campaign: the same address elsewhere is not locked.
    other = Client(HTTP_HOST=host_of(campaign_b))
    assert other.post("/accounts/login/", {"username": "camille@exemple.fr", "password": PASSWORD}).status_code == 302


def test_api_token_names_its_user_and_stops_working_when_the_account_is_disabled(campaign_a):
    user = make_user(campaign_a, Role.VOLUNTEER, email="jeanne@example.org")
    with tenant_context(campaign_a):
        token = Token.objects.create(user=user)
    client = Client(HTTP_HOST=host_of(campaign_a))
    me = client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert me.status_code == 200
    assert me.json()["email"] == "jeanne@example.org"
    assert client.get("/api/me/", HTTP_AUTHORIZATION="Token " + "0" * 40).status_code == 401
    with tenant_context(campaign_a):
        user.is_active = False
        user.save()
    refused = client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert refused.status_code == 401
    assert "jeanne" not in refused.content.decode()
