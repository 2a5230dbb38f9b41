"""Questionnaires: every question type, required answers, conditional jumps, questions
for some groups only, save and resume, anonymous answers, results and exports."""

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from crm.models import Contact, Interaction
from participation import services
from participation.models import CitizenProfile, ParticipantGroup
from participation.surveys import services as surveys
from participation.surveys.models import Question, Response, Roll, Section
from tests.conftest import host_of, make_user


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def citizen(campaign, email):
    user = make_user(campaign, Role.CITIZEN, email)
    with tenant_context(campaign):
        contact = Contact.objects.create(email=email)
        CitizenProfile.objects.create(user=user, contact=contact, email_confirmed_at=timezone.now())
    return user


def client_for(campaign, user=None):
    client = Client(HTTP_HOST=host_of(campaign))
    if user:
        with tenant_context(campaign):
            client.force_login(user)
    return client


def open_step(preset="crisis-review", **fields):
    project = services.create_project(preset, starts_at=timezone.now() - dt.timedelta(hours=1), **fields)
    return project, project.steps.get(kind="questionnaire")


def url(project, step, extra=""):
    return f"/projets/{project.slug}/etapes/{step.position}/{extra}"


def q(section, position, kind, label, **extra):
    return Question.objects.create(section=section, position=position, kind=kind, label=label, **extra)


@pytest.mark.parametrize(
    ("kind", "extra", "raw", "expected"),
    [
        ("short_text", {}, " Bonjour ", "Bonjour"),
        ("single_choice", {"choices": ["A", "B"]}, "B", "B"),
        ("multiple_choice", {"choices": ["A", "B", "C"], "min_choices": 1, "max_choices": 2}, ["C", "A"], ["A", "C"]),
        ("ranking", {"choices": ["A", "B", "C"]}, ["B", "C", "A"], ["B", "C", "A"]),
        ("scale", {"scale_min": 1, "scale_max": 5}, "4", 4),
        ("number", {}, "12,5", 12.5),
        ("date", {}, "31/01/1980", "1980-01-31"),
        ("yes_no", {}, "no", False),
    ],
)
def test_each_question_type_keeps_a_clean_value(kind, extra, raw, expected):
    assert surveys.clean_answer(Question(kind=kind, label="?", **extra), raw) == expected


@pytest.mark.parametrize(
    ("kind", "extra", "raw", "message"),
    [
        ("single_choice", {"choices": ["A", "B"]}, "Z", "une des réponses"),
        ("multiple_choice", {"choices": ["A", "B", "C"], "max_choices": 2}, ["A", "B", "C"], "au plus 2"),
        ("multiple_choice", {"choices": ["A", "B", "C"], "min_choices": 2}, ["A"], "au moins 2"),
        ("ranking", {"choices": ["A", "B"]}, ["?"], "Classez chaque"),
        ("scale", {"scale_min": 1, "scale_max": 5}, "9", "entre 1 et 5"),
        ("number", {}, "douze", "pas un nombre"),
        ("date", {}, "31/02/2026", "pas une date"),
        ("yes_no", {}, "peut-être", "oui ou non"),
        ("short_text", {"required": True}, "  ", "obligatoire"),
    ],
)
def test_bad_answers_are_refused_with_the_reason(kind, extra, raw, message):
    with pytest.raises(surveys.Refused, match=message):
        surveys.clean_answer(Question(kind=kind, label="?", **extra), raw)


def build_branching(step, group):
    """Section 1: on site? Section 2 skipped when the answer is no. Section 3 only for a group."""
    questionnaire = surveys.questionnaire_for(step)
    questionnaire.sections.all().delete()
    s1 = Section.objects.create(questionnaire=questionnaire, position=1, title="Vous")
    on_site = q(s1, 1, "yes_no", "Avez-vous continué à travailler sur site ?", required=True)
    s2 = Section.objects.create(questionnaire=questionnaire, position=2, title="Sur site",
                                skip_if={"question": on_site.pk, "equals": False})  # fmt: skip
    q(s2, 1, "scale", "Vous sentiez-vous protégé·e ?", required=True)
    s3 = Section.objects.create(questionnaire=questionnaire, position=3, title="Encadrement")
    s3.groups.add(group)
    q(s3, 1, "long_text", "Votre avis de manager", required=True)
    s4 = Section.objects.create(questionnaire=questionnaire, position=4, title="Pour finir")
    q(s4, 1, "long_text", "Un dernier mot ?")
    return questionnaire, on_site


def test_jumps_and_group_sections_save_resume_and_submit(campaign):
    with tenant_context(campaign):
        project, step = open_step()
        managers = ParticipantGroup.objects.create(name="Managers")
        questionnaire, on_site = build_branching(step, managers)
        s2q, s3q, s4q = (
            Question.objects.get(section__questionnaire=questionnaire, section__position=n) for n in (2, 3, 4)
        )
    worker = citizen(campaign, "agent@ex.fr")
    client = client_for(campaign, worker)
    page = client.get(url(project, step)).content.decode()
    assert "Avez-vous continué à travailler sur site ?" in page and "Partie 1 sur 3" in page

    # Required answer missing: refused, nothing stored.
    response = client.post(url(project, step), {"section": "0"})
    assert response.status_code == 400 and "Réponse obligatoire." in response.content.decode()
    # "No": the on-site section is skipped, the managers' section is not shown.
    response = client.post(url(project, step), {"section": "0", f"q{on_site.pk}": "no"})
    assert response.status_code == 302 and response["Location"].endswith("?section=1")
    page = client.get(response["Location"]).content.decode()
    assert "Un dernier mot ?" in page and "protégé" not in page and "manager" not in page

    # Save and resume: another session of the same person starts where they stopped.
    later = client_for(campaign, worker)
    assert "Un dernier mot ?" in later.get(url(project, step)).content.decode()
    later.post(url(project, step), {"section": "1", f"q{s4q.pk}": "=SOMME(A1:A9) merci"})
    review = later.get(url(project, step) + "?section=2").content.decode()
    assert "Vérifiez vos réponses" in review
    assert later.post(url(project, step), {"do": "submit"}).status_code == 302
    with tenant_context(campaign):
        stored = Response.objects.get(questionnaire=questionnaire, user=worker)
        assert stored.submitted_at and {a.question_id: a.value for a in stored.answers.all()} == {
            on_site.pk: False, s4q.pk: "=SOMME(A1:A9) merci"}  # fmt: skip
        assert Interaction.objects.filter(contact__email="agent@ex.fr", data__module="surveys").exists()
    assert "Vous avez répondu" in later.get(url(project, step)).content.decode()

    # A manager who stayed on site sees all three parts.
    manager = citizen(campaign, "chef@ex.fr")
    with tenant_context(campaign):
        managers.members.add(manager)
    m = client_for(campaign, manager)
    m.post(url(project, step), {"section": "0", f"q{on_site.pk}": "yes"})
    assert "protégé" in m.get(url(project, step) + "?section=1").content.decode()
    m.post(url(project, step), {"section": "1", f"q{s2q.pk}": "4"})
    assert "manager" in m.get(url(project, step) + "?section=2").content.decode()
    # Submitting before the required managers' question is answered is refused.
    m.post(url(project, step), {"do": "submit"})
    with tenant_context(campaign):
        assert not Response.objects.filter(user=manager, submitted_at__isnull=False).exists()
    m.post(url(project, step), {"section": "2", f"q{s3q.pk}": "Trop de réunions"})
    m.post(url(project, step), {"do": "submit"})
    with tenant_context(campaign):
        assert Response.objects.filter(user=manager, submitted_at__isnull=False).exists()

    # Results and export for the team; the export writes formulas as text.
    organizer = make_user(campaign, Role.ORGANIZER)
    staff = client_for(campaign, organizer)
    results = staff.get(f"/projets/{project.slug}/etapes/{step.position}/resultats/")
    assert results.status_code == 200 and "2 réponses" in results.content.decode()
    export = staff.get(f"/projets/{project.slug}/etapes/{step.position}/reponses.csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert rows[0][3:] == ["Avez-vous continué à travailler sur site ?", "Vous sentiez-vous protégé·e ?",
                           "Votre avis de manager", "Un dernier mot ?"]  # fmt: skip
    assert "'=SOMME(A1:A9) merci" in [cell for row in rows for cell in row]
    # Not public: a citizen does not see the results.
    assert (
        client_for(campaign, worker).get(f"/projets/{project.slug}/etapes/{step.position}/resultats/").status_code
        == 404
    )


def test_anonymous_questionnaire_keeps_no_link_and_one_answer_each(campaign):
    with tenant_context(campaign):
        project, step = open_step(anonymous=True)
        questionnaire = surveys.questionnaire_for(step)
        assert questionnaire.anonymous
        questions = list(Question.objects.filter(section__questionnaire=questionnaire).order_by("position"))
    person = citizen(campaign, "anonyme@ex.fr")
    client = client_for(campaign, person)
    data = {"section": "0", f"q{questions[0].pk}": questions[0].choices[0], f"q{questions[3].pk}": "3"}
    assert client.post(url(project, step), data).status_code == 302
    assert client.post(url(project, step), {"do": "submit"}).status_code == 302
    with tenant_context(campaign):
        response = Response.objects.get(questionnaire=questionnaire)
        assert response.user is None and response.submitted_at is None and response.submitted_on
        assert Roll.objects.filter(questionnaire=questionnaire, user=person).exists()
        assert not Interaction.objects.filter(contact__email="anonyme@ex.fr", kind="contribution").exists()
    # Again from a fresh session: refused by the roll.
    again = client_for(campaign, person)
    assert "Vous avez répondu" in again.get(url(project, step)).content.decode()
    with tenant_context(campaign):
        with pytest.raises(surveys.Refused):
            surveys.submit(questionnaire, person, {}, surveys.visible_sections(questionnaire, person))
        assert Response.objects.filter(questionnaire=questionnaire).count() == 1


def test_results_by_group_only_for_groups_of_five_or_more(campaign):
    with tenant_context(campaign):
        project, step = open_step("strengths-weaknesses")
        questionnaire = surveys.questionnaire_for(step)
        questionnaire.sections.all().delete()
        section = Section.objects.create(questionnaire=questionnaire, position=1, title="Q")
        choice = q(section, 1, "single_choice", "Votre site ?", choices=["Nord", "Sud"], required=True)
        big, small = ParticipantGroup.objects.create(name="Atelier"), ParticipantGroup.objects.create(name="Direction")
        for n in range(7):
            user = citizen(campaign, f"r{n}@ex.fr")
            (big if n < 5 else small).members.add(user)
            surveys.submit(questionnaire, user, {str(choice.pk): "Nord" if n % 2 else "Sud"},
                           surveys.visible_sections(questionnaire, user))  # fmt: skip
        data = surveys.results(questionnaire)
    assert data["total"] == 7 and data["groups"] == ["Atelier"] and data["hidden_groups"] == 1
    [row] = data["questions"]
    assert row["counts"] == [("Nord", 3), ("Sud", 4)]
    assert row["by_group"] == [("Atelier", [("Nord", 2), ("Sud", 3)])]
    questionnaire.public_results = True
    with tenant_context(campaign):
        questionnaire.save()
    page = client_for(campaign).get(f"/projets/{project.slug}/etapes/{step.position}/resultats/").content.decode()
    assert "Atelier" in page and "Direction" not in page and "1 groupe de moins de 5 personnes" in page


def test_visitors_answer_a_public_anonymous_questionnaire_once_per_browser(campaign):
    with tenant_context(campaign):
        project, step = open_step(anonymous=True)
        questionnaire = surveys.questionnaire_for(step)
        first = Question.objects.filter(section__questionnaire=questionnaire).order_by("position").first()
    visitor = client_for(campaign)
    visitor.post(url(project, step), {"section": "0", f"q{first.pk}": first.choices[1]})
    visitor.post(url(project, step), {"do": "submit"})
    assert "Vous avez répondu" in visitor.get(url(project, step)).content.decode()
    with tenant_context(campaign):
        assert Response.objects.filter(questionnaire=questionnaire).count() == 1
        # Not anonymous: visitors must sign in.
        questionnaire.anonymous = False
        questionnaire.save()
    assert "Connectez-vous" in client_for(campaign).get(url(project, step)).content.decode()


def test_place_answers_are_approximate_and_reach_the_maps(campaign, django_capture_on_commit_callbacks):
    with tenant_context(campaign):
        project, step = open_step()
        questionnaire = surveys.questionnaire_for(step)
        questionnaire.public_results = True
        questionnaire.save()
        questionnaire.sections.all().delete()
        section = Section.objects.create(questionnaire=questionnaire, position=1, title="Où ?")
        place = q(section, 1, "place", "Où manque-t-il un éclairage ?", required=True)
    person = citizen(campaign, "lieu@ex.fr")
    client = client_for(campaign, person)
    bad = client.post(url(project, step), {"section": "0", f"q{place.pk}": "nulle part"})
    assert bad.status_code == 400 and "Cliquez sur la carte" in bad.content.decode()
    client.post(url(project, step), {"section": "0", f"q{place.pk}": "47.902345,1.904321"})
    with django_capture_on_commit_callbacks(execute=False) as published:
        client.post(url(project, step), {"do": "submit"})
    with tenant_context(campaign):
        [answer] = Response.objects.get(questionnaire=questionnaire).answers.all()
    assert answer.value != [1.904321, 47.902345] and abs(answer.value[1] - 47.902345) < 0.002
    assert len(published) == 1
    public = client_for(campaign).get("/api/public/contributions/?bbox=1.8,47.8,2.0,48.0&zoom=12").json()
    assert [f["properties"]["title"] for f in public["features"] if f["properties"]["kind"] == "answer"] == [
        "Où manque-t-il un éclairage ?"
    ]
