"""A citizen in Chromium signs in, places an idea on the map, supports it; the team's
live map shows it at once, the public map too, and axe finds nothing serious."""

import datetime as dt
from urllib.parse import urlparse

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from participation import services
from participation.ideas.models import Proposal
from participation.models import CitizenProfile
from tests.conftest import host_of, make_user
from tests.e2e.test_campaign_site import serious_accessibility_violations

pytestmark = pytest.mark.browser
PASSWORD = "mot-de-passe-long-2026"


def sign_in(context, base, email, next_path):
    page = context.new_page()
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").last.click()
    page.wait_for_url(base + next_path)
    return page


def test_citizen_posts_a_geolocated_idea_and_it_appears_live_on_the_team_map(browser, committed, asgi_server):
    campaign = committed.campaign(name="Fleury ensemble").campaign
    citizen = make_user(campaign, Role.CITIZEN, "lina@exemple.fr", password=PASSWORD)
    make_user(campaign, Role.ORGANIZER, "ines@exemple.fr", password=PASSWORD)
    with tenant_context(campaign):
        CitizenProfile.objects.create(user=citizen, email_confirmed_at=timezone.now())
        project = services.create_project("programme", starts_at=timezone.now() - dt.timedelta(days=2))
        step = project.steps.get(kind="collect")
        step.starts_at = timezone.now() - dt.timedelta(days=1)
        step.save()
    base = f"http://{host_of(campaign)}:{asgi_server}"
    hosts = set()

    team = browser.new_context(locale="fr-FR", bypass_csp=True, viewport={"width": 1200, "height": 900})
    team.on("request", lambda request: hosts.add(urlparse(request.url).hostname))
    team_page = sign_in(team, base, "ines@exemple.fr", "/equipe/carte/")
    team_page.wait_for_selector("#live-map-data[data-live='true']", state="attached")

    people = browser.new_context(locale="fr-FR", bypass_csp=True, viewport={"width": 420, "height": 900})
    people.on("request", lambda request: hosts.add(urlparse(request.url).hostname))
    path = f"/projets/{project.slug}/etapes/{step.position}/"
    page = sign_in(people, base, "lina@exemple.fr", path)
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Titre").fill("Des bancs au parc de la Mairie")
    page.get_by_label("Description").fill("Pour que les aînés puissent se reposer.")
    page.get_by_label("Thème").select_option("Vie associative")
    page.wait_for_selector("#pick-map.leaflet-container")
    page.locator("#pick-map").click(position={"x": 200, "y": 120})
    assert page.locator("input[name=latitude]").input_value() != ""
    page.get_by_role("button", name="Publier ma proposition").click()
    page.wait_for_selector("h1:has-text('Des bancs au parc de la Mairie')")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Soutenir cette proposition").click()
    page.wait_for_selector("text=1 soutien")

    # The same citizen answers a questionnaire (the crisis review's first step).
    with tenant_context(campaign):
        review = services.create_project("crisis-review", starts_at=timezone.now() - dt.timedelta(hours=1))
    page.goto(f"{base}/projets/{review.slug}/etapes/1/")
    assert serious_accessibility_violations(page) == []
    page.get_by_label("En partie").check()
    page.get_by_role("group", name="Vous êtes-vous senti·e informé·e ?").get_by_label("4").check()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_selector("text=Vérifiez vos réponses")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.wait_for_selector("text=Vous avez répondu à ce questionnaire")

    # The team's map drew it without a reload.
    team_page.wait_for_selector("path.contribution", timeout=5000)
    assert team_page.locator("#count-contributions").inner_text() == "1"
    with tenant_context(campaign):
        proposal = Proposal.objects.get()
        assert proposal.votes_count == 1 and proposal.location is not None

    # The public map shows it to anyone (the view fits the proposals, not the zones).
    visitor = browser.new_context(locale="fr-FR", bypass_csp=True)
    visitor.on("request", lambda request: hosts.add(urlparse(request.url).hostname))
    public = visitor.new_page()
    public.goto(f"{base}/carte/?")
    public.wait_for_selector("#public-map[data-loaded]", state="attached")
    assert serious_accessibility_violations(public) == []
    for context in (team, people, visitor):
        context.close()
    assert hosts == {urlparse(base).hostname}
