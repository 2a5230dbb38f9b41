"""Three committed campaigns full of data, shared by the hardening checks."""

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from tests.conftest import Committed, ensure_platform, host_of, unique_slug
from tests.verify.world import build_world


@pytest.fixture(scope="session")
def worlds(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_platform()
        data = Committed()
        try:
            built = []
            for index in range(3):
                campaign = data.campaign(unique_slug(f"v{index}"), name=f"Campagne {index}", preset="municipal-list")
                built.append(build_world(campaign.campaign, host_of(campaign.campaign), index=index))
            yield built
        finally:
            data.cleanup()
            connection.close()


@pytest.fixture
def unblocked(django_db_blocker):
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


def client_as(world, role=None, **extra):
    """A test client on the world's host, signed in as `role` (None: anonymous)."""
    client = Client(HTTP_HOST=world.host, raise_request_exception=False, **extra)
    if role is not None:
        with tenant_context(world.campaign):
            client.force_login(world.users[role])
    return client
