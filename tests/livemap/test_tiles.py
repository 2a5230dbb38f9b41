"""Every map a campaign shows draws its own background ("Réglages de la carte"): the
volunteers' app and the zone map as much as the live map and the public pages, and
each page's Content Security Policy lets that tile server in, and no other."""

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from livemap.middleware import tile_origins
from livemap.models import MapSettings
from tests.conftest import host_of
from tests.field.test_action_pages import logged_in

OWN = "https://tuiles.exemple.fr/osm/{z}/{x}/{y}.png"
MAP_PAGES = ["/terrain/", "/equipe/zones/", "/equipe/carte/", "/carte/"]
SCRIPTS = {"/equipe/carte/": "/equipe/carte/carte.js"}  # the live map draws its layers there


def img_sources(response):
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";") if part.strip())
    return policy["img-src"].split()


@pytest.fixture
def admin(shared_campaign, db):
    client, _user = logged_in(shared_campaign, Role.ADMIN)
    return client


def what_draws(client, page, response):
    """The page and the script that draws its map, as text."""
    script = client.get(SCRIPTS[page]).content.decode() if page in SCRIPTS else ""
    return response.content.decode() + script


def set_tiles(campaign, url, attribution=""):
    with tenant_context(campaign):
        ms = MapSettings.current()
        ms.tile_url, ms.tile_attribution = url, attribution
        ms.save()


@pytest.mark.parametrize("page", MAP_PAGES)
def test_each_map_uses_the_campaigns_tile_server(shared_campaign, admin, settings, page):
    settings.MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"  # the platform's default
    set_tiles(shared_campaign, OWN, "© Ville de Villebourg")
    response = admin.get(page)
    assert response.status_code == 200
    html = what_draws(admin, page, response)
    assert "tuiles.exemple.fr/osm/" in html and "Ville de Villebourg" in html
    assert "tile.openstreetmap.org" not in html
    sources = img_sources(response)
    assert "https://tuiles.exemple.fr" in sources
    assert not any("openstreetmap" in s for s in sources)


@pytest.mark.parametrize("page", MAP_PAGES)
def test_a_blank_background_requests_nothing_elsewhere(shared_campaign, admin, settings, page):
    settings.MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    set_tiles(shared_campaign, "")
    response = admin.get(page)
    assert response.status_code == 200
    assert "openstreetmap" not in what_draws(admin, page, response)
    assert img_sources(response) == ["'self'", "data:"]


def test_pages_without_a_map_let_no_tile_server_in(shared_campaign, db):
    set_tiles(shared_campaign, OWN)
    response = Client(HTTP_HOST=host_of(shared_campaign)).get("/projets/")
    assert img_sources(response) == ["'self'", "data:"]


def test_subdomain_placeholder_becomes_a_wildcard():
    assert tile_origins("https://{s}.tile.openstreetmap.fr/osmfr/{z}/{x}/{y}.png") == [
        "https://*.tile.openstreetmap.fr"
    ]
    assert tile_origins("http://localhost:8080/{z}/{x}/{y}.png") == ["http://localhost:8080"]
    assert tile_origins("") == [] and tile_origins("tiles/{z}/{x}/{y}.png") == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://tuiles.exemple.fr;script-src 'unsafe-inline'/{z}/{x}/{y}.png", "n'est pas une adresse de tuiles"),
        ("javascript:alert(1)//{z}/{x}/{y}", "n'est pas une adresse de tuiles"),
        ("tuiles.exemple.fr/{z}/{x}/{y}.png", "n'est pas une adresse de tuiles"),
        ("https://tuiles.exemple.fr/osm/carte.png", "Il manque {z}, {x}, {y}"),
    ],
)
def test_the_admin_is_told_what_is_wrong_with_a_tile_address_and_nothing_changes(shared_campaign, admin, url,
                                                                                 message):  # fmt: skip
    set_tiles(shared_campaign, OWN, "© Ville")
    with tenant_context(shared_campaign):
        pk = MapSettings.current().pk
    response = admin.post(f"/admin/livemap/mapsettings/{pk}/change/", {"tile_url": url, "tile_attribution": "x"})
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["tile_url"])
    with tenant_context(shared_campaign):
        assert (MapSettings.current().tile_url, MapSettings.current().tile_attribution) == (OWN, "© Ville")


def test_a_tile_address_saved_unchecked_cannot_write_the_security_policy(shared_campaign, admin):
    """A value stored before addresses were checked: the map page keeps its policy."""
    set_tiles(shared_campaign, "https://x.fr;script-src 'unsafe-inline'/{z}/{x}/{y}.png")
    response = admin.get("/carte/")
    assert response["Content-Security-Policy"].count("script-src") == 1
    assert img_sources(response) == ["'self'", "data:"]


def test_a_campaign_admin_sets_the_background_on_the_team_pages_and_bad_addresses_are_refused(shared_campaign, admin):
    from campaigns.accounts.models import AuditEntry

    set_tiles(shared_campaign, "")
    organizer, _user = logged_in(shared_campaign, Role.ORGANIZER)
    assert organizer.get("/equipe/carte/fond/").status_code == 403
    assert "/equipe/carte/fond/" not in organizer.get("/equipe/carte/").content.decode()
    assert "/equipe/carte/fond/" in admin.get("/equipe/carte/").content.decode()
    bad = admin.post("/equipe/carte/fond/", {"tile_url": "https://x.fr;script-src 'unsafe-inline'/{z}/{x}/{y}.png"})
    assert bad.status_code == 400 and "n&#x27;est pas une adresse de tuiles" in bad.content.decode()
    with tenant_context(shared_campaign):
        assert MapSettings.current().tile_url == ""
    saved = admin.post("/equipe/carte/fond/", {"tile_url": OWN, "tile_attribution": "© Ville de Villebourg"})
    assert saved.status_code == 302
    public = Client(HTTP_HOST=host_of(shared_campaign)).get("/carte/")
    assert "https://tuiles.exemple.fr" in img_sources(public)
    with tenant_context(shared_campaign):
        entry = AuditEntry.objects.get(action="map_settings.changed")
        assert entry.data["before"]["tile_url"] == "" and entry.data["after"]["tile_url"] == OWN
