"""The public site: home highlights, news with images, pages, isolation between
campaigns, the team's pages, rate limits."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context
from PIL import Image

from campaigns.accounts.models import Role
from participation import services
from participation.models import Event, NewsPost, Page
from tests.conftest import host_of, make_user


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def client_for(campaign, user=None, **extra):
    client = Client(HTTP_HOST=host_of(campaign), **extra)
    if user:
        with tenant_context(campaign):
            client.force_login(user)
    return client


def png(colour="red"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "affiche.png"
    return buffer


def test_home_shows_projects_news_events_and_figures_in_few_queries(campaign):
    now = timezone.now()
    with tenant_context(campaign):
        for n in range(5):
            NewsPost.objects.create(
                title=f"Nouvelle {n}", slug=f"n{n}", summary=f"Résumé {n}", published_at=now - dt.timedelta(days=n)
            )
        NewsPost.objects.create(title="Brouillon secret", slug="brouillon")
        NewsPost.objects.create(title="Programmée", slug="plus-tard", published_at=now + dt.timedelta(days=1))
        Event.objects.create(title="Apéro militant", slug="apero", starts_at=now + dt.timedelta(days=2))
        Event.objects.create(title="Réunion passée", slug="passee", starts_at=now - dt.timedelta(days=2))
        services.create_project("programme", title="Programme 2026")
    client = client_for(campaign)
    client.get("/")  # the first visit ever creates the settings row and fills the cache
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/").content.decode()
    assert len(queries) <= 10, "\n".join(q["sql"][:150] for q in queries)
    assert "Programme 2026" in page and "Nouvelle 0" in page and "Nouvelle 2" in page
    assert "Nouvelle 3" not in page  # the three latest only
    assert "Brouillon secret" not in page and "Programmée" not in page
    assert "Apéro militant" in page and "Réunion passée" not in page
    assert client.get("/actualites/brouillon/").status_code == 404
    assert client.get("/actualites/plus-tard/").status_code == 404
    assert "Nouvelle 4" in client.get("/actualites/").content.decode()


def test_home_counts_every_contribution_a_visitor_can_see(campaign):
    """Ideas, questions, amendments, arguments, answered questionnaires, mutual-aid
    posts and comments all count; what moderation holds or hides, unfinished
    questionnaires and private projects' contributions do not."""
    from participation.aid.models import HelpPost
    from participation.debate.models import Argument, Contribution, TextSection
    from participation.ideas.models import Proposal, Question
    from participation.models import Comment, Project, Visibility
    from participation.surveys.models import Questionnaire, Response

    with tenant_context(campaign):
        public = services.create_project("programme", title="Programme 2026").steps.first()
        private = services.create_project("programme", title="Entre nous",
                                          visibility=Project.Visibility.PRIVATE).steps.first()  # fmt: skip
        for step in (public, private):
            Proposal.objects.create(step=step, title="Une piste cyclable", body="…")
            Question.objects.create(step=step, body="Quand ?")
            section = TextSection.objects.create(step=step, position=1, title="Article 1", body="…")
            amendment = Contribution.objects.create(section=section, body="Plutôt ceci")
            Argument.objects.create(contribution=amendment, side="for", body="Parce que")
            questionnaire = Questionnaire.objects.create(step=step)
            Response.objects.create(questionnaire=questionnaire, submitted_at=timezone.now())
            Response.objects.create(questionnaire=questionnaire)  # still answering
        Proposal.objects.create(step=public, title="Retenue en modération", body="…", visibility=Visibility.HELD)
        Question.objects.create(step=public, body="Masquée", visibility=Visibility.HIDDEN)
        HelpPost.objects.create(kind="offer", category="Courses", title="Je fais vos courses", body="Le samedi")
        post = NewsPost.objects.create(title="Nouvelle", slug="nouvelle", published_at=timezone.now())
        Comment.objects.create(target=post, body="Bravo")
    page = client_for(campaign).get("/").content.decode()
    # Per public project: idea, question, amendment, argument, questionnaire; then aid, comment.
    assert "<strong>7</strong> contributions" in page


def test_a_campaign_never_shows_another_campaigns_content(campaign_a, campaign_b):
    with tenant_context(campaign_a):
        NewsPost.objects.create(title="Secret de A", slug="secret", published_at=timezone.now())
        Page.objects.create(title="Programme de A", slug="programme-a")
        Event.objects.create(title="Meeting de A", slug="meeting", starts_at=timezone.now() + dt.timedelta(days=1))
        project = services.create_project("open-debate", title="Débat de A")
    b = client_for(campaign_b)
    for url in [
        "/actualites/secret/",
        "/pages/programme-a/",
        "/evenements/meeting/",
        f"/projets/{project.slug}/",
        "/evenements/meeting/agenda.ics",
    ]:
        assert b.get(url).status_code == 404, url
    for url in ["/", "/actualites/", "/evenements/", "/projets/"]:
        body = b.get(url).content.decode()
        assert "de A" not in body, url
    assert b.post(f"/commentaires/project/{project.pk}/", {"body": "x"}).status_code in (302, 404)
    with tenant_context(campaign_b):
        from participation.models import Comment

        assert not Comment.objects.exists()


def test_team_writes_news_with_an_image_served_only_by_its_own_campaign(campaign, campaign_b):
    organizer = make_user(campaign, Role.ORGANIZER)
    staff = client_for(campaign, organizer)
    # An image without its description is refused, nothing is saved.
    response = staff.post(
        "/equipe/site/actualites/nouvelle/",
        {"title": "Inauguration", "image": png(), "body": "**Venez** nombreux", "publish": "on"},
    )
    assert response.status_code == 400
    assert "Décrivez l'image" in response.context["form"].errors["image_alt"][0]
    not_an_image = io.BytesIO(b"MZ\x90\x00 not a picture")
    not_an_image.name = "virus.png"
    response = staff.post(
        "/equipe/site/actualites/nouvelle/",
        {"title": "Inauguration", "image": not_an_image, "image_alt": "x", "publish": "on"},
    )
    assert response.status_code == 400 and "image" in response.context["form"].errors
    with tenant_context(campaign):
        assert not NewsPost.objects.filter(title="Inauguration").exists()

    response = staff.post(
        "/equipe/site/actualites/nouvelle/",
        {
            "title": "Inauguration du local",
            "summary": "Rendez-vous samedi",
            "image": png(),
            "image_alt": "L'affiche",
            "body": "**Venez** nombreux <script>alert(1)</script> [lien](javascript:alert(1))",
            "publish": "on",
        },
    )
    assert response.status_code == 302
    with tenant_context(campaign):
        post = NewsPost.objects.get(title="Inauguration du local")
        assert post.slug == "inauguration-du-local" and post.published_at and post.author == organizer
        image_url = post.image.url
    assert image_url.startswith(f"/media/{campaign.schema_name}/news/")
    page = client_for(campaign).get("/actualites/inauguration-du-local/").content.decode()
    assert "<strong>Venez</strong>" in page and "<script>alert(1)</script>" not in page
    assert 'href="javascript' not in page and f'src="{image_url}"' in page and 'alt="L&#x27;affiche"' in page
    assert 'property="og:image"' in page
    image = client_for(campaign).get(image_url)
    assert image.status_code == 200 and b"".join(image.streaming_content).startswith(b"\x89PNG")
    # The same URL on another campaign's host: not found.
    assert client_for(campaign_b).get(image_url).status_code == 404
    assert client_for(campaign).get(f"/media/{campaign.schema_name}/../secret").status_code == 404
    # Volunteers and citizens do not write the site.
    for role in (Role.VOLUNTEER, Role.CITIZEN):
        assert client_for(campaign, make_user(campaign, role)).get("/equipe/site/").status_code == 403


def test_team_sets_colours_and_pages(campaign):
    admin = make_user(campaign, Role.ADMIN)
    staff = client_for(campaign, admin)
    response = staff.post(
        "/equipe/site/reglages/", {"tagline": "Ensemble", "primary_colour": "rouge", "new_account_days": "7"}
    )
    assert response.status_code == 400 and "primary_colour" in response.context["form"].errors
    assert (
        staff.post(
            "/equipe/site/reglages/",
            {
                "tagline": "Ensemble pour Saran",
                "primary_colour": "#aa0033",
                "new_account_days": "7",
                "intro": "Bienvenue",
            },
        ).status_code
        == 302
    )
    assert (
        staff.post(
            "/equipe/site/pages/nouvelle/",
            {
                "title": "Notre équipe",
                "slug": "notre-equipe",
                "body": "Nous sommes…",
                "in_menu": "on",
                "menu_order": "1",
                "published": "on",
            },
        ).status_code
        == 302
    )
    home = client_for(campaign).get("/").content.decode()
    assert "Ensemble pour Saran" in home and "--accent: #aa0033" in home
    assert 'href="/pages/notre-equipe/"' in home  # the menu follows at once (cache cleared on save)


def test_too_many_sign_ups_from_one_address_get_429(campaign, settings):
    settings.RATE_LIMITS = {"signup": (None, 3, 3600), "comment": (2, 100, 600)}
    client = client_for(campaign, REMOTE_ADDR="203.0.113.7")
    codes = [client.post("/compte/inscription/", {"email": f"x{n}@ex.fr"}).status_code for n in range(5)]
    assert codes == [400, 400, 400, 429, 429]
    response = client.post("/compte/inscription/", {"email": "y@ex.fr"})
    assert "Trop de tentatives" in response.content.decode()
    # Another address is not affected.
    assert client_for(campaign, REMOTE_ADDR="203.0.113.8").post("/compte/inscription/", {}).status_code == 400

    # Comments: limited per account too.
    with tenant_context(campaign):
        post = NewsPost.objects.create(title="Marché", slug="marche-rl", published_at=timezone.now())
    citizen = make_user(campaign, Role.CITIZEN)
    poster = client_for(campaign, citizen, REMOTE_ADDR="203.0.113.9")
    codes = [poster.post(f"/commentaires/news/{post.pk}/", {"body": f"m{n}"}).status_code for n in range(3)]
    assert codes == [302, 302, 429]
    with tenant_context(campaign):
        from participation.models import Comment

        assert Comment.objects.filter(object_id=post.pk).count() == 2


def test_admin_pages_of_the_participation_modules_open(campaign):
    admin = make_user(campaign, Role.ADMIN)
    client = client_for(campaign, admin)
    for path in ["/admin/surveys/questionnaire/", "/admin/surveys/section/add/",
                 "/admin/aid/helppost/", "/admin/debate/textsection/add/", "/admin/ideas/proposal/",
                 "/admin/participation/participantgroup/add/"]:  # fmt: skip
        assert client.get(path).status_code == 200, path
