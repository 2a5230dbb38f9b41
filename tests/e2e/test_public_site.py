"""A citizen on the public site, in Chromium: pages pass axe-core (no serious or
critical violation), sign-up works with the keyboard alone, nothing loads from
another host."""

import datetime as dt
import re
from urllib.parse import urlparse

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone
from django_tenants.utils import tenant_context

from participation import services
from participation.models import Event, NewsPost
from tests.e2e.test_campaign_site import serious_accessibility_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def site(committed, asgi_server):
    campaign = committed.campaign(name="Saran demain", preset="municipal-list").campaign
    with tenant_context(campaign):
        NewsPost.objects.create(
            title="Ouverture du local",
            slug="local",
            summary="Venez nous voir",
            body="Le local ouvre **samedi**.",
            published_at=timezone.now(),
        )
        Event.objects.create(
            title="Réunion publique",
            slug="reunion",
            place="Salle Marcel-Pagnol",
            starts_at=timezone.now() + dt.timedelta(days=4),
            capacity=50,
            location=Point(1.8237, 47.9466, srid=4326),
        )
        project = services.create_project("questions-first", title="Vos questions sur le budget")
    return campaign, f"http://{campaign.domains.get(is_primary=True).domain}:{asgi_server}", project


def test_public_pages_pass_axe_and_load_nothing_from_elsewhere(browser, site):
    campaign, base, project = site
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    page = context.new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname))
    for path, heading in [
        ("/", "Saran demain"),
        (f"/projets/{project.slug}/", "Vos questions sur le budget"),
        ("/actualites/local/", "Ouverture du local"),
        ("/evenements/reunion/", "Réunion publique"),
        ("/compte/inscription/", "Créer un compte"),
        ("/accounts/login/", "Connexion"),
    ]:
        page.goto(base + path)
        assert page.locator("h1").first.inner_text() == heading, path
        assert serious_accessibility_violations(page) == [], path
    # The event's map is drawn with our own Leaflet.
    page.goto(base + "/evenements/reunion/")
    page.wait_for_selector("#place-map.leaflet-container")
    assert hosts == {urlparse(base).hostname}
    context.close()


def test_sign_up_with_the_keyboard_alone(browser, site):
    campaign, base, _project = site
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(base + "/compte/inscription/")
    page.get_by_label("Adresse e-mail").focus()
    page.keyboard.type("camille@exemple.fr")
    page.keyboard.press("Tab")
    page.keyboard.type("Camille Durand")
    page.keyboard.press("Tab")
    page.keyboard.type("Camille D.")
    page.keyboard.press("Tab")
    page.keyboard.type("un-mot-de-passe-solide")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # keep me informed by e-mail
    # Tab past SMS consent and phone to the privacy policy box.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the policy link inside the label
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.name") == "accept"
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/compte/inscription/envoyee/$"))
    assert "camille@exemple.fr" in page.content()
    with tenant_context(campaign):
        from campaigns.accounts.models import User

        user = User.objects.get(email="camille@exemple.fr")
        assert user.display_name == "Camille D." and not user.is_active
    context.close()


def test_controls_are_big_enough_for_a_thumb_on_a_phone(browser, site):
    """On a phone, every field, list and button is at least 44 px high (WCAG's target
    size, enhanced) and its text at least 16 px, so that the browser does not zoom in
    when it gets the focus."""
    campaign, base, project = site
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    small = []
    for path in ["/", f"/projets/{project.slug}/etapes/1/", "/entraide/", "/compte/inscription/", "/accounts/login/"]:
        page.goto(base + path)
        small += page.evaluate(
            """(path) => [...document.querySelectorAll(
                   "select, textarea, button:not(.link), input:not([type=hidden])"
                   + ":not([type=checkbox]):not([type=radio])")]
                 .filter((el) => el.offsetParent !== null)
                 .map((el) => [path, el.outerHTML.slice(0, 80), el.getBoundingClientRect().height,
                               parseFloat(getComputedStyle(el).fontSize)])
                 .filter(([, , height, font]) => height < 44 || font < 16)""",
            path,
        )
    assert small == []
    context.close()
