"""An organizer sees the campaign's zones on the map and draws a new one, in Chromium.
Leaflet and Leaflet-Geoman come from our static files; nothing loads from elsewhere."""

from urllib.parse import urlparse

import pytest
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from crm.field.models import Zone
from crm.field.zones import import_zones
from tests.conftest import ROOT, SHARED, host_of, make_user
from tests.e2e.test_campaign_site import serious_accessibility_violations

pytestmark = pytest.mark.browser


def test_zone_map_shows_zones_and_an_organizer_draws_one(browser, committed, asgi_server):
    campaign = committed.campaign(name="Calvados en commun").campaign
    with tenant_context(campaign):
        import_zones((SHARED / "data/geo/cantons-14-calvados.geojson").read_bytes())
    make_user(campaign, Role.ORGANIZER, "ines@exemple.fr", password="mot-de-passe-long-2026")
    site = f"http://{host_of(campaign)}:{asgi_server}"

    context = browser.new_context(locale="fr-FR", bypass_csp=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname))
    page.goto(site + "/accounts/login/?next=/equipe/zones/")
    page.get_by_label("Adresse e-mail").fill("ines@exemple.fr")
    page.get_by_label("Mot de passe").fill("mot-de-passe-long-2026")
    page.get_by_role("button", name="Se connecter").last.click()
    page.wait_for_url(site + "/equipe/zones/")
    page.wait_for_selector("#zone-map[data-loaded='25']")
    assert page.locator(".leaflet-overlay-pane path").count() == 25
    # A colleague has the same map open in another window.
    colleague = context.new_page()
    colleague.goto(site + "/equipe/zones/")
    colleague.wait_for_selector("#zone-map[data-loaded='25']")
    assert serious_accessibility_violations(page) == []

    page.locator(".leaflet-pm-icon-rectangle").click()
    box = page.locator("#zone-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.45)
    page.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.55)
    page.get_by_label("Nom").fill("Quartier de la gare")
    page.get_by_label("Priorité (1 à 3)").select_option("1")
    page.get_by_role("button", name="Enregistrer la zone").click()
    page.wait_for_function("Number(document.getElementById('zone-map').dataset.loaded) >= 1 && "
                           "document.getElementById('new-zone').hidden")  # fmt: skip
    page.screenshot(path=str(ROOT / ".make" / "e2e-zone-map.png"))
    # ...and sees the new zone arrive without reloading (WebSocket, after commit).
    colleague.wait_for_function("Number(document.getElementById('zone-count').textContent) === 26", timeout=10_000)
    context.close()

    with tenant_context(campaign):
        drawn = Zone.objects.get(name="Quartier de la gare")
        assert drawn.priority == 1 and drawn.geometry.geom_type == "MultiPolygon" and drawn.geometry.valid
        assert 48.5 < drawn.geometry.centroid.y < 49.6  # drawn over Calvados
    assert hosts == {urlparse(site).hostname}
