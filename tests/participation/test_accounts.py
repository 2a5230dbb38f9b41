"""Citizen accounts: sign-up with confirmation and consent, one person one contact,
profile, deleting an account."""

import re

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import tenant_context

from campaigns.accounts.models import AuditEntry, Role, User
from crm.models import ConsentEvent, Contact, Interaction
from participation.models import CitizenProfile
from tests.conftest import host_of, make_user


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def sign_up(client, **extra):
    data = {
        "email": "Lea.Martin@Exemple.fr", "full_name": "Léa Martin", "display_name": "Léa M.",
        "password": "un-mot-de-passe-solide", "consent_email": "on", "accept": "on", "website": "",
    }  # fmt: skip
    data.update(extra)
    return client.post("/compte/inscription/", {k: v for k, v in data.items() if v is not None})


def confirmation_link():
    assert mail.outbox, "no confirmation e-mail was sent"
    return re.search(r"http://\S+/compte/confirmer/\S+/", mail.outbox[-1].body).group(0)


def test_sign_up_confirm_creates_a_contact_with_the_consents_given(campaign):
    client = Client(HTTP_HOST=host_of(campaign))
    response = sign_up(client, consent_sms="on", phone="06 12 34 56 78")
    assert response.status_code == 302 and response["Location"] == "/compte/inscription/envoyee/"
    with tenant_context(campaign):
        user = User.objects.get(email="lea.martin@exemple.fr")
        assert user.role == Role.CITIZEN and not user.is_active
        # Nothing lands in the contact base before the address is proven.
        assert not Contact.objects.filter(email="lea.martin@exemple.fr").exists()
    assert mail.outbox[-1].to == ["lea.martin@exemple.fr"]

    # Not active yet: signing in fails.
    refused = client.post(
        "/accounts/login/", {"username": "lea.martin@exemple.fr", "password": "un-mot-de-passe-solide"}
    )
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    response = client.get(confirmation_link().split(host_of(campaign))[1])
    assert response.status_code == 302 and response["Location"] == "/compte/"
    assert client.get("/compte/").status_code == 200

    with tenant_context(campaign):
        contact = Contact.objects.get(email="lea.martin@exemple.fr")
        assert (contact.first_names, contact.usage_name, contact.source) == ("Léa", "Martin", "participation")
        assert contact.phone == "+33612345678"
        assert contact.consent_email is True and contact.consent_sms is True and contact.consent_phone is None
        log = set(ConsentEvent.objects.filter(contact=contact).values_list("channel", "granted", "source"))
        assert log == {("email", True, "participation"), ("sms", True, "participation")}
        assert CitizenProfile.objects.get(user__email="lea.martin@exemple.fr").contact == contact
        assert contact.interactions.filter(kind=Interaction.Kind.SIGNED_UP).count() == 1


def test_sign_up_with_the_address_of_an_existing_contact_merges_into_it(campaign):
    with tenant_context(campaign):
        existing = Contact.objects.create(birth_name="MARTIN", first_names="Léa", email="lea@exemple.fr",
                                          source="liste électorale", consent_sms=False)  # fmt: skip
        before = Contact.objects.count()
    client = Client(HTTP_HOST=host_of(campaign))
    sign_up(client, email="LEA@exemple.fr")
    client.get(confirmation_link().split(host_of(campaign))[1])
    with tenant_context(campaign):
        assert Contact.objects.count() == before
        existing.refresh_from_db()
        assert existing.source == "liste électorale"
        assert existing.consent_email is True
        # Not ticked is not a refusal: the earlier answer stays as it was.
        assert existing.consent_sms is False
        assert list(existing.consent_events.values_list("channel", "granted")) == [("email", True)]


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"email": "pas-une-adresse"}, "email", "adresse e-mail valide"),
        ({"password": "123"}, "password", "trop court"),
        ({"accept": None}, "accept", "obligatoire"),
        ({"consent_sms": "on", "phone": ""}, "phone", "numéro de mobile"),
        ({"consent_sms": "on", "phone": "12"}, "phone", "n'est pas un numéro"),
        ({"website": "http://spam.example"}, "website", "champ caché"),
    ],
)
def test_bad_sign_ups_say_what_is_wrong_and_create_nothing(campaign, extra, field, message):
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        users, contacts = User.objects.count(), Contact.objects.count()
    response = sign_up(client, **extra)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    with tenant_context(campaign):
        assert (User.objects.count(), Contact.objects.count()) == (users, contacts)
    assert not mail.outbox


def test_an_address_already_registered_is_refused(campaign):
    client = Client(HTTP_HOST=host_of(campaign))
    sign_up(client)
    mail.outbox.clear()
    response = sign_up(Client(HTTP_HOST=host_of(campaign)), email="lea.martin@exemple.fr")
    assert response.status_code == 400
    assert "existe déjà" in response.context["form"].errors["email"][0]


def test_tampered_or_reused_confirmation_links(campaign):
    client = Client(HTTP_HOST=host_of(campaign))
    sign_up(client)
    link = confirmation_link().split(host_of(campaign))[1]
    response = client.get(link.replace("/confirmer/", "/confirmer/x"))
    assert response.status_code == 400 and "pas valide" in response.content.decode()
    with tenant_context(campaign):
        assert not User.objects.get(email="lea.martin@exemple.fr").is_active
    assert client.get(link).status_code == 302
    # A second click is harmless: still one contact, one consent entry.
    assert Client(HTTP_HOST=host_of(campaign)).get(link).status_code == 302
    with tenant_context(campaign):
        assert Contact.objects.filter(email="lea.martin@exemple.fr").count() == 1
        assert ConsentEvent.objects.filter(contact__email="lea.martin@exemple.fr").count() == 1


def confirmed_citizen(campaign, client, **extra):
    sign_up(client, **extra)
    client.get(confirmation_link().split(host_of(campaign))[1])
    with tenant_context(campaign):
        return User.objects.get(email=extra.get("email", "lea.martin@exemple.fr").lower())


def test_profile_changes_consents_and_logs_them(campaign):
    client = Client(HTTP_HOST=host_of(campaign))
    confirmed_citizen(campaign, client)
    response = client.post("/compte/", {"full_name": "Léa Martin", "display_name": "", "notify_news": "on"})
    assert response.status_code == 302
    with tenant_context(campaign):
        contact = Contact.objects.get(email="lea.martin@exemple.fr")
        assert contact.consent_email is False
        assert list(contact.consent_events.order_by("at", "id").values_list("channel", "granted")) == [
            ("email", True), ("email", False),
        ]  # fmt: skip
        profile = CitizenProfile.objects.get(contact=contact)
        assert profile.notify_news and not profile.notify_replies and profile.user.display_name == ""


def test_delete_account_keeps_or_erases_the_contact_as_asked(campaign):
    client = Client(HTTP_HOST=host_of(campaign))
    confirmed_citizen(campaign, client)
    response = client.post("/compte/supprimer/", {"password": "faux"})
    assert response.status_code == 200 and "Mot de passe incorrect" in response.content.decode()
    response = client.post("/compte/supprimer/", {"password": "un-mot-de-passe-solide"})
    assert response.status_code == 302
    with tenant_context(campaign):
        assert not User.objects.filter(email="lea.martin@exemple.fr").exists()
        contact = Contact.objects.get(email="lea.martin@exemple.fr")
        assert contact.consent_email is False  # no more mail once the account is gone

    other = Client(HTTP_HOST=host_of(campaign))
    confirmed_citizen(campaign, other, email="paul@exemple.fr")
    other.post("/compte/supprimer/", {"password": "un-mot-de-passe-solide", "erase": "on"})
    with tenant_context(campaign):
        assert not Contact.objects.filter(email="paul@exemple.fr").exists()


def test_erasing_a_contact_from_the_team_pages_deletes_their_site_account_too(campaign):
    client = Client(HTTP_HOST=host_of(campaign))
    citizen = confirmed_citizen(campaign, client)
    volunteer = make_user(campaign, Role.VOLUNTEER, "benevole@exemple.fr")
    admin = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        admin.force_login(make_user(campaign, Role.ADMIN))
        contact = Contact.objects.get(email="lea.martin@exemple.fr")
        helper = Contact.objects.create(email="benevole@exemple.fr")
        CitizenProfile.objects.update_or_create(user=volunteer, defaults={"contact": helper})
    page = admin.get(f"/equipe/contacts/{contact.pk}/").content.decode()
    assert "Son compte sur le site, s'il en a un, est supprimé aussi" in page
    for person in (contact, helper):
        response = admin.post(f"/equipe/contacts/{person.pk}/effacer/", {"reason": "demande écrite"})
        assert response.status_code == 302
    with tenant_context(campaign):
        assert not User.objects.filter(pk=citizen.pk).exists()
        assert Contact.objects.get(pk=contact.pk).erased_at is not None
        assert AuditEntry.objects.filter(action="citizen.deleted", target_id=str(citizen.pk)).exists()
        # A team member's account stays; only its link to the erased contact goes.
        assert CitizenProfile.objects.get(user=volunteer).contact_id is None
    assert not client.get("/compte/").wsgi_request.user.is_authenticated
