"""The API of mutual aid, consultation and questionnaires, and the team's exports of
mutual aid and consultation: same rules as the pages, no e-mail, hidden items out."""

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context
from rest_framework.authtoken.models import Token

from campaigns.accounts.models import Role
from participation import moderation, services
from participation.debate import services as debate
from participation.debate.models import TextSection
from participation.models import CitizenProfile
from participation.surveys import services as surveys
from participation.surveys.models import Question, Response
from tests.conftest import host_of, make_user


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def citizen_api(campaign, email):
    user = make_user(campaign, Role.CITIZEN, email)
    with tenant_context(campaign):
        user.date_joined = timezone.now() - dt.timedelta(days=30)
        user.save(update_fields=["date_joined"])
        CitizenProfile.objects.create(user=user, email_confirmed_at=timezone.now())
        token = Token.objects.create(user=user).key
    return user, Client(HTTP_HOST=host_of(campaign), HTTP_AUTHORIZATION=f"Token {token}")


def rows_of(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))


def test_help_api_posts_approximately_and_relays_without_emails(campaign):
    author, author_api = citizen_api(campaign, "api.auteur@ex.fr")
    asker, asker_api = citizen_api(campaign, "api.demande@ex.fr")
    created = author_api.post("/api/help/", {"kind": "offer", "category": "Transport", "title": "Covoiturage",
                                             "body": "Vers Orléans", "latitude": 47.90123, "longitude": 1.90456},
                              content_type="application/json")  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["area"] != [1.90456, 47.90123] and "api.auteur" not in str(body)
    assert author_api.post("/api/help/", {"kind": "offer", "category": "Magie", "title": "x", "body": "y"},
                           content_type="application/json").status_code == 400  # fmt: skip
    contact = asker_api.post(f"/api/help/{body['id']}/contact/", {"body": "Je suis intéressée"},
                             content_type="application/json")  # fmt: skip
    assert contact.status_code == 201 and "api.demande" not in contact.content.decode()
    listing = Client(HTTP_HOST=host_of(campaign)).get("/api/help/").json()
    assert [p["title"] for p in listing["results"]] == ["Covoiturage"] and "@" not in str(listing)

    organizer = make_user(campaign, Role.ORGANIZER)
    staff = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        staff.force_login(organizer)
    rows = rows_of(staff.get("/equipe/site/entraide.csv"))
    assert rows[0][-1] == "E-mail" and rows[1][3] == "Covoiturage" and rows[1][-1] == "api.auteur@ex.fr"
    assert Client(HTTP_HOST=host_of(campaign)).get("/equipe/site/entraide.csv").status_code == 404
    assert author and asker


def test_contributions_api_and_consultation_export(campaign):
    with tenant_context(campaign):
        project = services.create_project("open-debate", starts_at=timezone.now() - dt.timedelta(days=4))
        step = project.steps.get(kind="consultation")
        step.starts_at = timezone.now() - dt.timedelta(days=1)
        step.save()
        section = TextSection.objects.create(step=step, position=1, title="Mobilités", body="…")
    alice, alice_api = citizen_api(campaign, "alice.api@ex.fr")
    _bob, bob_api = citizen_api(campaign, "bob.api@ex.fr")
    created = alice_api.post("/api/contributions/", {"section": section.pk, "body": "=1+1 des navettes",
                                                     "kind": "amendment"}, content_type="application/json")  # fmt: skip
    assert created.status_code == 201, created.content
    cid = created.json()["id"]
    assert bob_api.post(f"/api/contributions/{cid}/vote/", {"value": -1}, content_type="application/json").json()[
        "disagree"] == 1  # fmt: skip
    assert bob_api.post(f"/api/contributions/{cid}/vote/", {"value": 5},
                        content_type="application/json").status_code == 400  # fmt: skip
    with tenant_context(campaign):
        spam = debate.contribute(section, author=alice, body="Publicité")
        moderation.hide(spam, moderator=None, reason="Spam")
    listing = Client(HTTP_HOST=host_of(campaign)).get(f"/api/contributions/?section={section.pk}").json()
    assert [c["body"] for c in listing["results"]] == ["=1+1 des navettes"]

    organizer = make_user(campaign, Role.ORGANIZER)
    staff = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        staff.force_login(organizer)
    rows = rows_of(staff.get(f"/projets/{project.slug}/etapes/{step.position}/contributions.csv"))
    assert len(rows) == 2 and rows[1][3] == "'=1+1 des navettes" and rows[1][5] == "1"


def test_questionnaire_api_answers_in_one_request(campaign):
    with tenant_context(campaign):
        project = services.create_project("crisis-review", starts_at=timezone.now() - dt.timedelta(hours=1))
        step = project.steps.get(kind="questionnaire")
        questionnaire = surveys.questionnaire_for(step)
        questions = list(Question.objects.filter(section__questionnaire=questionnaire).order_by("position"))
    user, api = citizen_api(campaign, "q.api@ex.fr")
    shape = api.get(f"/api/questionnaires/{step.pk}/").json()
    assert [q["label"] for q in shape["sections"][0]["questions"]] == [q.label for q in questions]
    bad = api.post(f"/api/questionnaires/{step.pk}/answer/", {"answers": {str(questions[3].pk): 9, "999": "x"}},
                   content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and set(bad.json()["answers"]) == {str(questions[3].pk), "999"}
    good = api.post(f"/api/questionnaires/{step.pk}/answer/",
                    {"answers": {str(questions[0].pk): questions[0].choices[0], str(questions[3].pk): 4}},
                    content_type="application/json")  # fmt: skip
    assert good.status_code == 201
    assert api.post(f"/api/questionnaires/{step.pk}/answer/", {"answers": {}},
                    content_type="application/json").status_code == 409  # fmt: skip
    with tenant_context(campaign):
        response = Response.objects.get(questionnaire=questionnaire, user=user)
        assert response.submitted_at and response.answers.count() == 2
