"""The team types in a contact, corrects one, adds a note: through the staff pages and
the API, with the same rules (crm/editing.py)."""

import pytest
from django.core.management import call_command
from django_tenants.utils import tenant_context

from campaigns.accounts.models import AuditEntry, Role
from crm import consent
from crm.models import ConsentEvent, Contact, Interaction
from tests.crm.test_geocoding import ban_file  # noqa: F401  (fixture)
from tests.crm.test_staff_pages import client_as

NEW = "/equipe/contacts/nouveau/"


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def blank_form(**values):
    """What the browser sends for the form left as it comes, plus `values`."""
    fields = ["first_names", "birth_name", "usage_name", "sex", "birth_date", "email", "phone", "line1",
              "household_label", "postal_code", "city", "tags", "consent_email", "consent_sms", "consent_phone",
              "consent_door", "consent_reason", "support_level", "opinion_notes"]  # fmt: skip
    return dict.fromkeys(fields, "") | values


def test_an_organizer_types_in_someone_met_at_the_market(campaign, ban_file):  # noqa: F811
    call_command("load_addresses", str(ban_file))
    client = client_as(campaign, Role.ORGANIZER)
    assert "Nouveau contact" in client.get("/equipe/contacts/").content.decode()
    response = client.post(NEW, blank_form(
        first_names="Anaïs", birth_name="Lefèvre", email="Anais.Lefevre@Exemple.fr", phone="06 12 34 56 78",
        line1="12 rue de l'Église", household_label="3e gauche", postal_code="45000", city="Orléans",
        tags="bénévole,  affiches , bénévole", consent_sms="yes", consent_email="no", support_level="4",
    ))  # fmt: skip
    assert response.status_code == 302
    with tenant_context(campaign):
        person = Contact.objects.get(birth_name="Lefèvre")
        assert response["Location"] == f"/equipe/contacts/{person.pk}/"
        assert (person.first_names, person.email, person.phone) == ("Anaïs", "anais.lefevre@exemple.fr",
                                                                     "+33612345678")  # fmt: skip
        assert sorted(t.name for t in person.tags.all()) == ["affiches", "bénévole"]
        assert (person.consent_sms, person.consent_email, person.consent_phone) == (True, False, None)
        assert person.support_level == 4 and person.source == "saisie manuelle"
        # The building is located from the national address reference.
        address = person.household.address
        assert person.household.label == "3e gauche"
        assert address.geocoded_by == "ban" and address.point.coords == pytest.approx((1.9075, 47.9021))
        log = ConsentEvent.objects.filter(contact=person).order_by("channel")
        assert [(e.channel, e.granted, e.actor.role) for e in log] == [("email", False, "organizer"),
                                                                         ("sms", True, "organizer")]  # fmt: skip
        assert person.interactions.get(kind=Interaction.Kind.EDITED).summary == "fiche créée à la main"
    page = client.get(response["Location"]).content.decode()
    assert "Anaïs Lefèvre" in page and "06 12 34 56 78" in page and "3e gauche" in page
    assert "fiche créée à la main" in page


def test_a_second_person_at_the_same_door_joins_the_same_household(campaign):
    client = client_as(campaign, Role.ORGANIZER)
    for first, line in (("Anaïs", "4 bis av. Jean-Jaurès"), ("Paul", "4 BIS avenue Jean Jaurès")):
        client.post(NEW, blank_form(first_names=first, birth_name="Roux", line1=line, postal_code="45000",
                                    city="Orléans"))  # fmt: skip
    with tenant_context(campaign):
        anais, paul = Contact.objects.get(first_names="Anaïs"), Contact.objects.get(first_names="Paul")
        assert anais.household_id == paul.household_id


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"phone": "12"}, "phone", "« 12 » n'est pas un numéro de téléphone valide."),
        ({"email": "pas-un-email"}, "email", "Saisissez une adresse e-mail valide."),
        ({"birth_date": "1980-02-31"}, "birth_date", "Saisissez une date valide."),
        ({"support_level": "7"}, "support_level", "Sélectionnez un choix valide"),
        ({"city": "Orléans"}, "line1", "Indiquez le numéro et la rue."),
        ({"tags": "x" * 81}, "tags", "Étiquette trop longue"),
        ({"birth_name": "", "first_names": ""}, None, "Donnez au moins un nom, un e-mail ou un téléphone."),
    ],
)
def test_bad_input_is_named_and_nothing_is_saved(campaign, values, field, message):
    client = client_as(campaign, Role.ORGANIZER)
    with tenant_context(campaign):
        before = Contact.objects.count()
    response = client.post(NEW, blank_form(**{"birth_name": "Martin", **values}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rien n'a été enregistré" in html
    errors = response.context["form"].errors
    assert message in " ".join(errors[field] if field else errors["__all__"])
    with tenant_context(campaign):
        assert Contact.objects.count() == before


def test_someone_already_in_the_base_is_pointed_to_not_typed_twice(campaign):
    with tenant_context(campaign):
        known = Contact.objects.create(birth_name="Girard", first_names="Luc", phone="+33612345678")
    client = client_as(campaign, Role.ORGANIZER)
    response = client.post(NEW, blank_form(birth_name="Girard", first_names="Lucas", phone="0612345678"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'Ce téléphone est déjà celui de <a href="/equipe/contacts/{known.pk}/">Luc Girard</a>' in html
    with tenant_context(campaign):
        assert Contact.objects.filter(birth_name="Girard").count() == 1
    # His son, same landline: the team says so and he is created.
    response = client.post(NEW, blank_form(birth_name="Girard", first_names="Lucas", phone="0612345678",
                                           another_person="on"))  # fmt: skip
    assert response.status_code == 302
    with tenant_context(campaign):
        assert Contact.objects.filter(birth_name="Girard").count() == 2


def test_correcting_a_contact_logs_what_changed_and_who(campaign):
    with tenant_context(campaign):
        person = Contact.objects.create(birth_name="Petit", first_names="Léa", phone="+33611111111", consent_sms=True)
    client = client_as(campaign, Role.ORGANIZER)
    form = client.get(f"/equipe/contacts/{person.pk}/modifier/").context["form"]
    sent = {**{k: v for k, v in form.initial.items() if v is not None}, "consent_sms": "no", "phone": "0622222222",
            "consent_reason": "ne veut plus de SMS (appel du 30/11)"}  # fmt: skip
    sent["birth_date"] = ""
    response = client.post(f"/equipe/contacts/{person.pk}/modifier/", blank_form(**sent))
    assert response.status_code == 302
    with tenant_context(campaign):
        person.refresh_from_db()
        assert (person.phone, person.consent_sms, person.first_names) == ("+33622222222", False, "Léa")
        event = ConsentEvent.objects.get(contact=person)
        assert (event.granted, event.reason, event.actor.role) == (False, "ne veut plus de SMS (appel du 30/11)",
                                                                   "organizer")  # fmt: skip
        line = person.interactions.get(kind=Interaction.Kind.EDITED)
        assert line.summary == "téléphone, accord SMS" and line.actor.role == "organizer"
    # Sent again as it is: nothing changes, nothing is logged.
    client.post(f"/equipe/contacts/{person.pk}/modifier/", blank_form(**sent))
    with tenant_context(campaign):
        assert person.interactions.filter(kind=Interaction.Kind.EDITED).count() == 1


def test_an_opt_out_is_lifted_only_with_a_reason_and_the_persons_new_consent(campaign):
    with tenant_context(campaign):
        person = Contact.objects.create(birth_name="Noël", first_names="Marc", email="marc@x.fr")
        consent.opt_out(person, source="unsubscribe")
    client = client_as(campaign, Role.ORGANIZER)
    url = f"/equipe/contacts/{person.pk}/modifier/"
    base = blank_form(birth_name="Noël", first_names="Marc", email="marc@x.fr", consent_email="yes",
                      consent_sms="no", consent_phone="no", consent_door="no")  # fmt: skip
    response = client.post(url, base)
    assert response.status_code == 200
    assert "Cette personne s'est opposée" in " ".join(response.context["form"].errors["consent_email"])
    # A consent given or refused cannot go back to "never asked".
    assert "pas encore demandé" not in response.content.decode()
    with tenant_context(campaign):
        person.refresh_from_db()
        assert person.consent_email is False
    response = client.post(url, {**base, "consent_reason": "réinscrit au stand du marché", "new_consent": "on"})
    assert response.status_code == 302
    with tenant_context(campaign):
        person.refresh_from_db()
        assert person.consent_email is True
        last = ConsentEvent.objects.filter(contact=person).latest("at", "id")
        assert (last.granted, last.reason) == (True, "réinscrit au stand du marché")


def test_the_api_creates_and_changes_contacts_the_same_way(campaign):
    client = client_as(campaign, Role.ORGANIZER)
    created = client.post("/api/contacts/", {"birth_name": "Caron", "phone": "06 33 33 33 33", "tags": [],
                                             "consent_sms": True}, content_type="application/json")  # fmt: skip
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    changed = client.patch(f"/api/contacts/{pk}/", {"consent_sms": False, "first_names": "Zoé"},
                           content_type="application/json")  # fmt: skip
    assert changed.status_code == 200 and changed.json()["first_names"] == "Zoé"
    with tenant_context(campaign):
        person = Contact.objects.get(pk=pk)
        assert person.phone == "+33633333333" and person.source == "saisie manuelle"
        assert [(e.granted, e.source) for e in ConsentEvent.objects.filter(contact=person).order_by("id")] == [
            (True, "api"), (False, "api")]  # fmt: skip
        summaries = list(person.interactions.filter(kind="edited").order_by("id").values_list("summary", flat=True))
        assert summaries == ["fiche créée à la main", "prénoms, accord SMS"]


def test_a_note_goes_to_the_timeline(campaign):
    with tenant_context(campaign):
        person = Contact.objects.create(birth_name="Blanc", first_names="Ève")
    client = client_as(campaign, Role.ORGANIZER)
    client.post(f"/equipe/contacts/{person.pk}/note/", {"text": "  Veut une affiche   pour sa vitrine "})
    page = client.get(f"/equipe/contacts/{person.pk}/").content.decode()
    assert "Note : Veut une affiche pour sa vitrine" in page
    empty = client.post(f"/equipe/contacts/{person.pk}/note/", {"text": "  "}, follow=True).content.decode()
    assert "La note est vide." in empty
    long = client.post(f"/equipe/contacts/{person.pk}/note/", {"text": "x" * 301}, follow=True).content.decode()
    assert "300 caractères (celle-ci en fait 301)" in long
    with tenant_context(campaign):
        assert person.interactions.filter(kind=Interaction.Kind.NOTE).count() == 1


def test_opening_the_form_with_opinion_fields_is_audited(campaign):
    with tenant_context(campaign):
        person = Contact.objects.create(birth_name="Roy", support_level=2)
    client = client_as(campaign, Role.ADMIN)
    html = client.get(f"/equipe/contacts/{person.pk}/modifier/").content.decode()
    assert "Niveau de soutien" in html
    with tenant_context(campaign):
        entry = AuditEntry.objects.filter(action="contacts.sensitive_viewed").latest("id")
        assert entry.target_id == str(person.pk) and entry.data["path"].endswith("/modifier/")


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.TEAM_LEADER, Role.CITIZEN])
def test_only_the_people_who_run_the_base_edit_it(campaign, role):
    with tenant_context(campaign):
        person = Contact.objects.create(birth_name="Faure")
    client = client_as(campaign, role)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, blank_form(birth_name="Intrus")).status_code == 403
    assert client.post(f"/equipe/contacts/{person.pk}/modifier/", blank_form(birth_name="X")).status_code == 403
    assert client.post(f"/equipe/contacts/{person.pk}/note/", {"text": "coucou"}).status_code == 403
    with tenant_context(campaign):
        person.refresh_from_db()
        assert person.birth_name == "Faure" and not Contact.objects.filter(birth_name="Intrus").exists()
        assert not person.interactions.exists()


def test_the_admin_site_shows_contacts_but_changes_them_only_through_the_team_pages(campaign):
    """The Django admin would write consents without their log and delete people without
    the suppression list: there a contact is read only, opinions left out."""
    with tenant_context(campaign):
        person = Contact.objects.create(birth_name="Morel", email="morel@x.fr", support_level=5,
                                        opinion_notes="votera pour nous")  # fmt: skip
    client = client_as(campaign, Role.ADMIN)
    page = client.get(f"/admin/crm/contact/{person.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "morel@x.fr" in html and "votera pour nous" not in html and 'name="_save"' not in html
    assert f"/equipe/contacts/{person.pk}/" in html
    assert client.post(f"/admin/crm/contact/{person.pk}/change/", {"consent_sms": "true"}).status_code == 403
    assert client.post(f"/admin/crm/contact/{person.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/crm/contact/add/").status_code == 403
    with tenant_context(campaign):
        person.refresh_from_db()
        assert person.consent_sms is None


def test_help_and_errors_are_read_out_with_their_field(campaign):
    """Every aria-describedby Django writes on an input names an element on the page."""
    import re

    html = client_as(campaign, Role.ORGANIZER).post(NEW, blank_form(phone="12", city="Orléans")).content.decode()
    described = {i for ids in re.findall(r'aria-describedby="([^"]+)"', html) for i in ids.split()}
    assert {"id_phone_helptext", "id_phone_error", "id_line1_error"} <= described
    assert described <= set(re.findall(r'\bid="([^"]+)"', html))


def test_the_api_sets_and_takes_away_a_contacts_address(campaign, ban_file):  # noqa: F811
    call_command("load_addresses", str(ban_file))
    client = client_as(campaign, Role.ORGANIZER)
    created = client.post("/api/contacts/", {"birth_name": "Caron", "address": {
        "line1": "12, rue de l'eglise", "dwelling": "2e droite", "postal_code": "45000", "city": "ORLEANS"}},
        content_type="application/json")  # fmt: skip
    assert created.status_code == 201, created.content
    shown = created.json()["address"]
    assert (shown["line1"], shown["dwelling"], shown["postal_code"]) == ("12, rue de l'eglise", "2e droite", "45000")
    assert (shown["longitude"], shown["latitude"]) == pytest.approx((1.9075, 47.9021))
    pk = created.json()["id"]
    # Another field only: the address stays.
    assert client.patch(f"/api/contacts/{pk}/", {"first_names": "Zoé"}, content_type="application/json").json()[
        "address"]["dwelling"] == "2e droite"  # fmt: skip
    refused = client.patch(f"/api/contacts/{pk}/", {"address": {"city": "Orléans"}}, content_type="application/json")
    assert refused.status_code == 400 and "line1" in refused.json()["address"]
    gone = client.patch(f"/api/contacts/{pk}/", {"address": None}, content_type="application/json")
    assert gone.status_code == 200 and gone.json()["address"] is None
    with tenant_context(campaign):
        person = Contact.objects.get(pk=pk)
        assert person.household is None
        assert list(person.interactions.filter(kind="edited").values_list("summary", flat=True)) == [
            "adresse", "prénoms", "fiche créée à la main"]  # fmt: skip
