"""A campaign's administrator sets up the campaign in its admin site: map background,
messages, review of field reports, contact base, mutual aid, public site. Each
settings entry opens the campaign's one row of it."""

import pytest
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from livemap.models import MapSettings
from tests.crm.test_staff_pages import client_as

SETTINGS_PAGES = [
    "/admin/livemap/mapsettings/",
    "/admin/messaging/messagingsettings/",
    "/admin/field/reviewsettings/",
    "/admin/crm/crmsettings/",
    "/admin/aid/aidsettings/",
    "/admin/participation/sitesettings/",
]


@pytest.fixture
def campaign(shared_campaign, db):
    # Made by provisioning in this test session: its roles' permissions are the ones a
    # new campaign gets.
    return shared_campaign


def test_the_admin_opens_every_settings_page_at_its_one_row(campaign):
    client = client_as(campaign, Role.ADMIN)
    index = client.get("/admin/").content.decode()
    for path in SETTINGS_PAGES:
        assert f'href="{path}"' in index, path
        response = client.get(path)
        assert response.status_code == 302 and response.url.endswith("/change/"), path
        assert client.get(response.url).status_code == 200, path
        assert client.get(path + "add/").status_code == 403, path  # no second row
    with tenant_context(campaign):
        assert MapSettings.objects.count() == 1  # the one row, whatever was asked


def test_a_background_set_in_the_admin_is_the_one_volunteers_see(campaign):
    client = client_as(campaign, Role.ADMIN)
    change = client.get("/admin/livemap/mapsettings/").url
    url = "https://tuiles.exemple.fr/{z}/{x}/{y}.png"
    response = client.post(change, {"tile_url": url, "tile_attribution": "© Ville"})
    assert response.status_code == 302
    assert "tuiles.exemple.fr/{z}/{x}/{y}.png" in client.get("/terrain/").content.decode()


@pytest.mark.parametrize("role", [Role.ORGANIZER, Role.TEAM_LEADER, Role.VOLUNTEER, Role.CITIZEN])
def test_only_the_admin_reaches_the_settings(campaign, role):
    client = client_as(campaign, role)
    with tenant_context(campaign):
        rows = MapSettings.objects.count()
    for path in SETTINGS_PAGES:
        response = client.get(path)
        assert response.status_code in (302, 403) and "/change/" not in response.get("Location", ""), path
    with tenant_context(campaign):
        assert MapSettings.objects.count() == rows  # nothing made on their behalf
