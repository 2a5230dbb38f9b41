"""A NUL character in a free-text field handled without a Django form (a note, a reason,
a contribution) is dropped, not sent to PostgreSQL, which refuses it in text: the page
answers as for any text instead of a 500."""

from django.test import RequestFactory
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from campaigns.http import posted_text
from crm.models import ConsentEvent, Contact, Interaction, Segment
from participation.debate.models import Contribution, TextSection
from tests.crm.test_staff_pages import client_as
from tests.participation.test_debate import citizen, client_for, open_debate


def test_posted_text_drops_nul_characters_and_surrounding_blanks():
    request = RequestFactory().post("/", {"text": "  Veut\x00 une affiche \x00 "})
    assert posted_text(request, "text") == "Veut une affiche" and posted_text(request, "missing") == ""


def test_team_notes_and_reasons_with_a_nul_are_saved_without_it(shared_campaign, db):
    with tenant_context(shared_campaign):
        person = Contact.objects.create(birth_name="Roux", email="roux@x.fr")
    client = client_as(shared_campaign, Role.ADMIN)
    assert client.post(f"/equipe/contacts/{person.pk}/note/", {"text": "Affiche\x00 vitrine"}).status_code == 302
    response = client.post(f"/equipe/contacts/{person.pk}/opposition/", {"reason": "au\x00 téléphone"})
    assert response.status_code == 302
    with tenant_context(shared_campaign):
        assert Interaction.objects.get(contact=person, kind="note").summary == "Affiche vitrine"
        assert set(ConsentEvent.objects.filter(contact=person).values_list("reason", flat=True)) == {"au téléphone"}
    assert client.post(f"/equipe/contacts/{person.pk}/effacer/", {"reason": "demande\x00 écrite"}).status_code == 302
    with tenant_context(shared_campaign):
        assert Contact.objects.get(pk=person.pk).erased_at is not None


def test_a_citizens_contribution_with_a_nul_is_published_without_it(shared_campaign, db):
    with tenant_context(shared_campaign):
        _project, step = open_debate()
        section = TextSection.objects.create(step=step, title="Mobilités", body="Des pistes.", position=1)
    author = citizen(shared_campaign, "nul@ex.fr")
    response = client_for(shared_campaign, author).post(
        f"/consultation/sections/{section.pk}/contribuer/", {"body": "Des bus\x00 la nuit"}
    )
    assert response.status_code == 302
    with tenant_context(shared_campaign):
        assert Contribution.objects.get(section=section).body == "Des bus la nuit"


def test_a_field_report_with_a_nul_in_its_note_or_a_text_answer_is_stored_without_it(shared_campaign, db):
    from types import SimpleNamespace

    from crm.field.actions import clean_answers
    from crm.field.models import FieldReport
    from tests.field.test_field_work import client_for as field_client
    from tests.field.test_field_work import door_reports, make_field, post_json

    field = make_field(shared_campaign)
    client = field_client(shared_campaign, field["volunteer"])
    walk = client.get(f"/api/assignments/{field['assignment']}/walk-list/").json()
    reports = door_reports(walk, field["action"]["id"], field["turfs"][0].pk, 1)
    reports[0]["notes"] = "Revenir\x00 après 18 h"
    response = post_json(client, "/api/reports/", {"reports": reports})
    assert response.status_code == 200 and response.json()["results"][0]["status"] == 201, response.content
    with tenant_context(shared_campaign):
        assert FieldReport.objects.get(uuid=reports[0]["uuid"]).notes == "Revenir après 18 h"
    action = SimpleNamespace(survey=[{"id": "remarque", "label": "Remarque", "type": "text"}])
    assert clean_answers(action, {"remarque": "trop\x00 de bruit"}) == {"remarque": "trop de bruit"}


def test_the_api_refuses_json_holding_a_nul_and_says_where(shared_campaign, db):
    with tenant_context(shared_campaign):
        person = Contact.objects.create(birth_name="Roux", custom_fields={"quartier": "Nord"})
    client = client_as(shared_campaign, Role.ADMIN)
    for url, method, body, where in [
        (f"/api/contacts/{person.pk}/", "patch", {"custom_fields": {"note": "a\x00b"}}, "custom_fields.note"),
        (f"/api/contacts/{person.pk}/", "patch", {"custom_fields": {"k\x00": "v"}}, "custom_fields.k\x00"),
        ("/api/segments/", "post", {"name": "S", "filters": {"tags": ["ok", "x\x00"]}}, "filters.tags.1"),
    ]:
        response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == 400, response.content
        assert response.json()["detail"] == f"Caractère nul (\\u0000) refusé dans « {where} »."
    with tenant_context(shared_campaign):
        assert Contact.objects.get(pk=person.pk).custom_fields == {"quartier": "Nord"}
        assert not Segment.objects.exists()
    # The same bodies without it go through.
    ok = client.patch(f"/api/contacts/{person.pk}/", {"custom_fields": {"note": "ab"}}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["custom_fields"] == {"note": "ab"}
