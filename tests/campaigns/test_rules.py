"""Each named permission rule, for each role."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django_tenants.utils import tenant_context

from campaigns.accounts import rules as r
from campaigns.accounts.models import Role
from tests.conftest import make_user


@pytest.fixture
def campaign(shared_campaign):
    return shared_campaign


ALLOWED = {
    "campaign.manage": {Role.ADMIN},
    "campaign.manage_team": {Role.ADMIN, Role.ORGANIZER},
    "crm.read_contacts": {Role.ADMIN, Role.ORGANIZER},
    "crm.write_contacts": {Role.ADMIN, Role.ORGANIZER},
    "crm.see_sensitive": {Role.ADMIN, Role.ORGANIZER},
    "crm.export_contacts": {Role.ADMIN, Role.ORGANIZER},
    "crm.erase_contacts": {Role.ADMIN},
    "live.follow": {Role.ADMIN, Role.ORGANIZER, Role.TEAM_LEADER, Role.VOLUNTEER},
    "field.report": {Role.ADMIN, Role.ORGANIZER, Role.TEAM_LEADER, Role.VOLUNTEER},
    "field.plan": {Role.ADMIN, Role.ORGANIZER},
    "field.track": {Role.ADMIN, Role.ORGANIZER, Role.TEAM_LEADER},
    "messaging.send": {Role.ADMIN, Role.ORGANIZER},
    "site.edit": {Role.ADMIN, Role.ORGANIZER},
    "site.moderate": {Role.ADMIN, Role.ORGANIZER},
}


@pytest.mark.parametrize("permission", sorted(ALLOWED))
@pytest.mark.parametrize("role", list(Role))
def test_rule_allows_exactly_the_expected_roles(db, campaign, permission, role):
    user = make_user(campaign, role)
    with tenant_context(campaign):
        assert user.has_perm(permission) is (role in ALLOWED[permission])


@pytest.mark.parametrize("permission", sorted(ALLOWED))
def test_anonymous_and_deactivated_people_get_nothing(db, campaign, permission):
    assert AnonymousUser().has_perm(permission) is False
    user = make_user(campaign, Role.ADMIN)
    user.is_active = False
    with tenant_context(campaign):
        assert r.can_manage_campaign.test(user) is False
        assert user.has_perm(permission) is False


def test_role_groups_exist_in_every_new_campaign_and_follow_the_role(campaign_a):
    from campaigns.accounts.roles import assign_role

    campaign = campaign_a  # made by create_campaign, as every campaign is
    user = make_user(campaign, Role.VOLUNTEER)
    with tenant_context(campaign):
        assert list(user.groups.values_list("name", flat=True)) == ["role:volunteer"]
        assert not user.has_perm("crm.view_contact")
        assign_role(user, Role.ORGANIZER)
        user = type(user).objects.get(pk=user.pk)
        assert list(user.groups.values_list("name", flat=True)) == ["role:organizer"]
        assert user.has_perm("crm.view_contact") and user.is_staff


def test_contacts_api_follows_the_rules(db, campaign):
    from django.test import Client

    from tests.conftest import host_of

    for role in Role:
        user = make_user(campaign, role)
        client = Client(HTTP_HOST=host_of(campaign))
        with tenant_context(campaign):
            client.force_login(user)
        read = client.get("/api/contacts/").status_code
        write = client.post("/api/contacts/", {"first_names": "Zoé", "phone": "06 12 34 56 78"}).status_code
        assert read == (200 if role in ALLOWED["crm.read_contacts"] else 403), role
        assert write == (201 if role in ALLOWED["crm.write_contacts"] else 403), role
