"""Projects from presets, their timeline, and who may see and join private projects."""

import datetime as dt
import zoneinfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from campaigns.models import Campaign
from participation import services
from participation.models import CitizenProfile, ParticipantGroup, Project, Step
from participation.presets import PROJECT_PRESETS
from tests.conftest import host_of, make_user, unique_slug

EXPECTED_STEPS = {
    "programme": ["presentation", "collect", "selection", "vote", "results"],
    "crisis-review": ["questionnaire", "collect", "results"],
    "strengths-weaknesses": ["questionnaire", "consultation", "results"],
    "organisation-review": ["presentation", "questionnaire", "qa", "results"],
    "open-debate": ["presentation", "consultation", "vote", "results"],
    "questions-first": ["qa", "collect", "consultation"],
}


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


@pytest.mark.parametrize("name", sorted(EXPECTED_STEPS))
def test_each_preset_lays_its_steps_over_the_chosen_duration(campaign, name):
    start = timezone.make_aware(dt.datetime(2027, 1, 4))
    with tenant_context(campaign):
        project = services.create_project(name, starts_at=start, days=21)
        steps = list(project.steps.order_by("position"))
    assert [s.kind for s in steps] == EXPECTED_STEPS[name]
    assert [s.position for s in steps] == list(range(1, len(steps) + 1))
    # End to end, no gap, no overlap, exactly three weeks.
    assert steps[0].starts_at == start and steps[-1].ends_at == start + dt.timedelta(days=21)
    assert all(a.ends_at == b.starts_at for a, b in zip(steps, steps[1:], strict=False))
    assert all(s.ends_at > s.starts_at for s in steps)
    assert project.title == str(PROJECT_PRESETS[name].label) and project.description
    # Starter content: themes for idea boxes, questions for questionnaires.
    for spec, step in zip(PROJECT_PRESETS[name].steps, steps, strict=True):
        assert len(step.config.get("themes", [])) == len(spec.themes)
        assert [q["label"] for q in step.config.get("questions", [])] == [str(q["label"]) for q in spec.questions]


def test_preset_text_comes_in_the_campaign_language(committed):
    campaign = committed.campaign(language="en").campaign
    with tenant_context(campaign), translation.override("fr"):
        project = services.create_project("crisis-review", days=14)
        first = project.steps.get(position=1)
    assert project.title == "Crisis review" and first.title == "Your experience"
    assert first.config["questions"][1]["label"] == "What worked well?"


def test_unknown_preset_and_bad_duration_create_nothing(campaign):
    with tenant_context(campaign):
        before = Project.objects.count()
        with pytest.raises(services.UnknownPreset, match="« atelier » inconnu.*programme"):
            services.create_project("atelier")
        with pytest.raises(ValueError, match="au moins un jour"):
            services.create_project("programme", days=0)
        assert Project.objects.count() == before


def test_create_campaign_with_a_preset_opens_its_project_and_pages(committed):
    slug = unique_slug("preset")
    call_command("create_campaign", slug, "--name", "Ville de Saran", "--preset", "questions-first")
    committed.campaigns.append(Campaign.objects.get(schema_name=slug))
    campaign = committed.campaigns[-1]
    with tenant_context(campaign):
        project = Project.objects.get()
        assert project.preset == "questions-first"
        assert list(project.steps.values_list("kind", flat=True)) == EXPECTED_STEPS["questions-first"]
        # From today's midnight in the campaign's time zone (Paris), not UTC's.
        first = timezone.localtime(project.steps.first().starts_at)
        assert (first.date(), first.time()) == (timezone.localdate(), dt.time(0))
    client = Client(HTTP_HOST=host_of(campaign))
    home = client.get("/").content.decode()
    assert "Les questions d&#x27;abord" in home and "Vos questions" in home
    assert client.get("/pages/confidentialite/").status_code == 200
    assert client.get("/pages/mentions-legales/").status_code == 200


FRENCH_MONTHS = ["jan.", "fév.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]


def french_short(day):
    return f"{'1er' if day.day == 1 else day.day} {FRENCH_MONTHS[day.month - 1]}"


def test_project_page_shows_where_it_stands(campaign):
    with tenant_context(campaign):
        project = services.create_project("programme", starts_at=timezone.now() - dt.timedelta(days=5), days=21)
        current = project.steps.get(position=2)
    page = Client(HTTP_HOST=host_of(campaign)).get(f"/projets/{project.slug}/").content.decode()
    assert 'aria-current="step"' in page
    current_li = page[page.index('aria-current="step"') - 200 : page.index('aria-current="step"') + 300]
    assert current.title in current_li and "En cours" in current_li
    # Its dates as French abbreviates months: "29 nov. → 10 déc.", not "29 Nov → 10 Déc".
    start, end = (timezone.localtime(d) for d in (current.starts_at, current.ends_at))
    assert f"{french_short(start)}</time> → <time" in current_li and f">{french_short(end)}</time>" in current_li
    assert page.count("Terminée") == 1 and page.count("À venir") == 3
    step_page = Client(HTTP_HOST=host_of(campaign)).get(f"/projets/{project.slug}/etapes/2/")
    assert step_page.status_code == 200 and "Logement" in step_page.content.decode()


def test_steps_changing_at_midnight_read_as_whole_days(campaign):
    """A step from 4 January 00:00 to 5 January 00:00 is open on the 4th only; one
    ending at midnight on the 14th is last open on the 13th."""
    start = timezone.make_aware(dt.datetime(2027, 1, 4))
    with tenant_context(campaign):
        project = services.create_project("programme", starts_at=start, days=21)
        steps = list(project.steps.order_by("position"))
    assert all(timezone.localtime(s.starts_at).time() == dt.time(0) for s in steps)
    page = Client(HTTP_HOST=host_of(campaign)).get(f"/projets/{project.slug}/").content.decode()
    for step in steps:
        first = timezone.localtime(step.starts_at).date()
        last = timezone.localtime(step.ends_at).date() - dt.timedelta(days=1)
        item = page[page.index(f">{step.title}</a>") :].split("</li>")[0]
        if first == last:
            assert f">{french_short(first)}</time></span>" in item and "→" not in item
        else:
            shown = f'>{french_short(first)}</time> → <time datetime="{last.isoformat()}">{french_short(last)}</time>'
            assert shown in item
    ideas = steps[1]
    last = timezone.localtime(ideas.ends_at).date() - dt.timedelta(days=1)
    header = Client(HTTP_HOST=host_of(campaign)).get(f"/projets/{project.slug}/etapes/2/").content.decode()
    assert f"jusqu'au {last.day} janvier 2027" in header


def client_for(campaign, user):
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(user)
    return client


def test_private_and_verified_projects(campaign):
    with tenant_context(campaign):
        private = services.create_project(
            "crisis-review",
            title="Bilan interne",
            visibility="private",
            allowed_domains=["entreprise.fr"],
            invited_emails=["invitee@ailleurs.fr"],
        )
        verified = services.create_project("open-debate", title="Débat vérifié", visibility="verified")
    staff_domain = make_user(campaign, Role.CITIZEN, "salarie@entreprise.fr")
    unverified_domain = make_user(campaign, Role.CITIZEN, "nouveau@entreprise.fr")
    invitee = make_user(campaign, Role.CITIZEN, "invitee@ailleurs.fr")
    member = make_user(campaign, Role.CITIZEN, "membre@ailleurs.fr")
    outsider = make_user(campaign, Role.CITIZEN, "dehors@ailleurs.fr")
    with tenant_context(campaign):
        for user in (staff_domain, invitee, member, outsider):
            CitizenProfile.objects.create(user=user, email_confirmed_at=timezone.now())
        CitizenProfile.objects.create(user=unverified_domain)
        group = ParticipantGroup.objects.create(name="Atelier")
        group.members.add(member)
        private.groups.add(group)

    anonymous = Client(HTTP_HOST=host_of(campaign))
    assert anonymous.get(f"/projets/{private.slug}/").status_code == 404
    assert "Bilan interne" not in anonymous.get("/projets/").content.decode()
    for user, allowed in [
        (staff_domain, True),
        (invitee, True),
        (member, True),
        (outsider, False),
        (unverified_domain, False),
    ]:
        client = client_for(campaign, user)
        assert client.get(f"/projets/{private.slug}/").status_code == (200 if allowed else 404), user.email
        assert ("Bilan interne" in client.get("/projets/").content.decode()) is allowed, user.email

    # Verified: everyone sees it, only confirmed accounts may comment.
    assert anonymous.get(f"/projets/{verified.slug}/").status_code == 200
    client = client_for(campaign, unverified_domain)
    response = client.post(f"/commentaires/project/{verified.pk}/", {"body": "Je veux participer"})
    assert response.status_code == 302
    with tenant_context(campaign):
        assert not verified_comments(verified)
    client_for(campaign, outsider).post(f"/commentaires/project/{verified.pk}/", {"body": "Avis vérifié"})
    with tenant_context(campaign):
        assert verified_comments(verified) == ["Avis vérifié"]
    # Private project, not invited: cannot comment either (and cannot learn it exists).
    response = client_for(campaign, outsider).post(f"/commentaires/project/{private.pk}/", {"body": "Intrus"})
    assert response.status_code == 404


def verified_comments(project):
    from django.contrib.contenttypes.models import ContentType

    from participation.models import Comment

    ct = ContentType.objects.get_for_model(Project)
    return list(Comment.objects.filter(content_type=ct, object_id=project.pk).values_list("body", flat=True))


def test_anonymous_project_keeps_no_link_to_the_author(campaign):
    citizen = make_user(campaign, Role.CITIZEN, "anon@ex.fr")
    with tenant_context(campaign):
        project = services.create_project("crisis-review", anonymous=True)
    client_for(campaign, citizen).post(f"/commentaires/project/{project.pk}/", {"body": "Sans mon nom"})
    with tenant_context(campaign):
        from participation.models import Comment

        comment = Comment.objects.get(body="Sans mon nom")
        assert comment.author_id is None
    assert "Anonyme" in Client(HTTP_HOST=host_of(campaign)).get(f"/projets/{project.slug}/").content.decode()


def test_staff_open_a_project_from_a_preset_and_edit_its_steps(campaign):
    organizer = make_user(campaign, Role.ORGANIZER)
    client = client_for(campaign, organizer)
    assert client.get("/equipe/site/projets/nouveau/").status_code == 200
    response = client.post(
        "/equipe/site/projets/nouveau/",
        {
            "preset": "strengths-weaknesses",
            "title": "Nos forces",
            "starts_on": "2027-02-01",
            "days": "10",
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    with tenant_context(campaign):
        project = Project.objects.get(title="Nos forces")
        steps = list(project.steps.order_by("position"))
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    assert timezone.localtime(steps[0].starts_at, paris) == dt.datetime(2027, 2, 1, tzinfo=paris)
    assert timezone.localtime(steps[-1].ends_at, paris) == dt.datetime(2027, 2, 11, tzinfo=paris)
    bad = client.post(
        "/equipe/site/projets/nouveau/", {"preset": "x", "starts_on": "2027-02-30", "days": "0", "visibility": "public"}
    )
    assert bad.status_code == 400 and set(bad.context["form"].errors) == {"preset", "starts_on", "days"}
    volunteer = make_user(campaign, Role.VOLUNTEER)
    assert client_for(campaign, volunteer).get("/equipe/site/projets/nouveau/").status_code == 403

    # Edit: a step ending before it starts is refused, nothing changes.
    data = {
        "project-title": "Nos forces",
        "project-visibility": "public",
        "project-published": "on",
        "project-allowed_domains": "",
        "project-invited_emails": "",
        "steps-TOTAL_FORMS": "3",
        "steps-INITIAL_FORMS": "3",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for i, step in enumerate(steps):
        data |= {
            f"steps-{i}-id": step.pk,
            f"steps-{i}-title": step.title,
            f"steps-{i}-kind": step.kind,
            f"steps-{i}-starts_at": "2027-02-01T00:00",
            f"steps-{i}-ends_at": "2027-02-05T00:00",
        }
    data["steps-1-ends_at"] = "2027-01-01T00:00"
    data["steps-2-title"] = "Conclusions partagées"
    response = client.post(f"/equipe/site/projets/{project.pk}/", data)
    assert response.status_code == 400
    with tenant_context(campaign):
        assert Step.objects.get(pk=steps[2].pk).title == steps[2].title
    data["steps-1-ends_at"] = "2027-02-06T00:00"
    data["steps-1-vote_limit"] = "3"
    assert client.post(f"/equipe/site/projets/{project.pk}/", data).status_code == 302
    with tenant_context(campaign):
        assert Step.objects.get(pk=steps[2].pk).title == "Conclusions partagées"
        assert Step.objects.get(pk=steps[1].pk).config["vote_limit"] == 3
    data["steps-1-vote_limit"] = ""
    client.post(f"/equipe/site/projets/{project.pk}/", data)
    with tenant_context(campaign):
        assert "vote_limit" not in Step.objects.get(pk=steps[1].pk).config
