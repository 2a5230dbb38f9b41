"""A person opens the campaign site in Chromium, signs in with the keyboard, and
the page loads nothing from any other host. Runs against uvicorn, as in production."""

from pathlib import Path
from urllib.parse import urlparse

import pytest

from campaigns.accounts.models import Role
from tests.conftest import ROOT, host_of, make_user

pytestmark = pytest.mark.browser
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def serious_accessibility_violations(page):
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def site(committed, asgi_server):
    campaign = committed.campaign(name="Orléans en commun", preset="municipal-list").campaign
    make_user(campaign, Role.ORGANIZER, "ines@exemple.fr", password="mot-de-passe-long-2026")
    return f"http://{host_of(campaign)}:{asgi_server}"


def test_sign_in_with_the_keyboard_and_nothing_loads_from_elsewhere(browser, site):
    # bypass_csp lets the test inject axe-core; our own CSP forbids inline scripts.
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    page = context.new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname))

    page.goto(site + "/")
    assert page.locator("h1").inner_text() == "Orléans en commun"
    assert "Construisons ensemble" in page.content()
    assert serious_accessibility_violations(page) == []

    page.get_by_role("link", name="Se connecter").click()
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Adresse e-mail").focus()
    page.keyboard.type("ines@exemple.fr")
    page.keyboard.press("Tab")
    page.keyboard.type("mot-de-passe-long-2026")
    page.keyboard.press("Enter")
    page.wait_for_url(site + "/")
    assert page.get_by_role("link", name="Administration de la campagne").is_visible()
    Path(ROOT / ".make").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / ".make" / "e2e-home-signed-in.png"), full_page=True)

    assert hosts == {urlparse(site).hostname}
    context.close()


def test_wrong_password_is_explained_on_the_page(browser, site):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(site + "/accounts/login/")
    page.get_by_label("Adresse e-mail").fill("ines@exemple.fr")
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter").last.click()
    assert page.get_by_role("alert").is_visible()
    assert "mot de passe" in page.get_by_role("alert").inner_text().lower()
    context.close()


def test_english_visitor_can_switch_language(browser, site):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(site + "/")
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="OK").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Sign in").is_visible()
    context.close()
