"""The team's live map in Chromium: only our own host is contacted, layers toggle, a
report posted through the API appears without a reload, a cut WebSocket catches up,
and nothing of another campaign shows."""

import datetime as dt
import uuid
from urllib.parse import urlparse

import pytest
import requests
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.utils import timezone
from django_tenants.utils import tenant_context
from rest_framework.authtoken.models import Token

from bench.synthetic import scatter_buildings
from campaigns.accounts.models import Role
from crm.field.actions import default_result_codes
from crm.field.models import Action, Assignment, Zone
from crm.field.turfs import cut_zone
from tests.conftest import ROOT, host_of, make_user
from tests.e2e.test_campaign_site import serious_accessibility_violations

pytestmark = pytest.mark.browser


def field_campaign(committed, name):
    campaign = committed.campaign(name=name).campaign
    volunteer = make_user(campaign, Role.VOLUNTEER)
    with tenant_context(campaign):
        outline = MultiPolygon(Polygon.from_bbox((1.90, 47.90, 1.91, 47.905)), srid=4326)
        zone = Zone.objects.create(name="Centre", code="C", priority=1, geometry=outline)
        scatter_buildings(zone.pk, 40, seed=9, flats_every=10**9)
        turf = cut_zone(zone, doors_per_turf=40)[0]
        today, now = timezone.localdate(), timezone.now()
        action = Action.objects.create(name="PAP", kind="door", starts_on=today, ends_on=today,
                                       result_codes=default_result_codes("door"))  # fmt: skip
        window = {"starts_at": now - dt.timedelta(hours=1), "ends_at": now + dt.timedelta(hours=2)}
        Assignment.objects.create(action=action, turf=turf, volunteer=volunteer, **window)
        token = Token.objects.create(user=volunteer).key
        doors = list(turf.addresses.values_list("id", flat=True))
    return campaign, {"action": action.pk, "turf": turf.pk, "doors": doors, "token": token}


def post_report(site, host, field, n):
    report = {"uuid": str(uuid.uuid4()), "action": field["action"], "turf": field["turf"],
              "address": field["doors"][n], "result": "talked", "done_at": timezone.now().isoformat()}  # fmt: skip
    response = requests.post(site + "/api/reports/", json=report, timeout=10,
                             headers={"Host": host, "Authorization": f"Token {field['token']}"})  # fmt: skip
    assert response.status_code == 201, response.text


def test_live_map_shows_new_reports_catches_up_and_keeps_campaigns_apart(browser, committed, asgi_server):
    campaign, field = field_campaign(committed, "Bourgneuf Demain")
    other, other_field = field_campaign(committed, "Autre campagne")
    make_user(campaign, Role.ORGANIZER, "ines@exemple.fr", password="mot-de-passe-long-2026")
    site = f"http://127.0.0.1:{asgi_server}"
    host = f"{host_of(campaign)}:{asgi_server}"
    page_url = f"http://{host}"

    context = browser.new_context(locale="fr-FR", bypass_csp=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname))
    page.goto(page_url + "/accounts/login/?next=/equipe/carte/")
    page.get_by_label("Adresse e-mail").fill("ines@exemple.fr")
    page.get_by_label("Mot de passe").fill("mot-de-passe-long-2026")
    page.get_by_role("button", name="Se connecter").last.click()
    page.wait_for_url(page_url + "/equipe/carte/")
    page.wait_for_selector("#live-map-data[data-loaded]", state="attached")
    page.wait_for_selector("#live-map-data[data-live='true']", state="attached")
    assert page.locator("path.zone-shape").count() == 1
    assert serious_accessibility_violations(page) == []

    page.get_by_label("Zones (priorité)").uncheck()
    assert page.locator("path.zone-shape").count() == 0
    page.get_by_label("Zones (priorité)").check()
    assert page.locator("path.zone-shape").count() == 1

    post_report(site, host_of(campaign), field, 0)
    page.wait_for_selector("path.live-report", timeout=5000)
    assert page.locator("#count-reports").inner_text() == "1"
    page.locator("path.live-report").click()
    assert page.locator(".leaflet-popup-content").inner_text() == "Ouvert / discuté"  # the action's words

    # Another campaign's report never reaches this map.
    post_report(site, host_of(other), other_field, 0)
    page.wait_for_timeout(1500)
    assert page.locator("path.live-report").count() == 1

    # Cut the socket, post meanwhile: the map reconnects and fetches what it missed.
    page.evaluate("window.liveSocket.close()")
    page.wait_for_selector("#live-map-data[data-live='false']", state="attached")
    post_report(site, host_of(campaign), field, 1)
    page.wait_for_function("document.querySelectorAll('path.live-report').length === 2", timeout=10_000)
    assert page.locator("#count-reports").inner_text() == "2"
    page.screenshot(path=str(ROOT / ".make" / "e2e-live-map.png"))
    context.close()
    assert hosts == {urlparse(page_url).hostname}
