"""Live events over WebSocket through the real ASGI server (uvicorn) and Redis."""

import json
import socket

import pytest
from django.db import transaction
from django.test import Client
from django_tenants.utils import tenant_context
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from campaigns.accounts.models import Role
from campaigns.realtime import publish_after_commit
from tests.conftest import Committed, host_of, make_user


def session_cookie(campaign, user):
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def open_socket(port, host, cookie=None):
    sock = socket.create_connection(("127.0.0.1", port))
    # Browsers always send Origin; the server refuses sockets from other sites' pages.
    headers = {"Origin": f"http://{host}:{port}"}
    if cookie:
        headers["Cookie"] = cookie
    return connect(f"ws://{host}:{port}/ws/live/", sock=sock, additional_headers=headers, open_timeout=10)


def refused_with(port, host, cookie=None):
    with open_socket(port, host, cookie) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=5)
    return closed.value.rcvd.code


@pytest.fixture(scope="module")
def two_campaigns(django_db_setup, django_db_blocker):
    """Two committed campaigns the server process can see, for the whole module (each
    test makes its own users in them)."""
    with django_db_blocker.unblock():
        data = Committed()
        pair = data.campaign(name="Campagne A").campaign, data.campaign(name="Campagne B").campaign
    yield pair
    with django_db_blocker.unblock():
        data.cleanup()


def test_event_saved_in_campaign_a_reaches_a_only(committed, two_campaigns, asgi_server):
    a, b = two_campaigns
    cookie_a = session_cookie(a, make_user(a, Role.VOLUNTEER))
    cookie_b = session_cookie(b, make_user(b, Role.ORGANIZER))
    with open_socket(asgi_server, host_of(a), cookie_a) as ws_a, open_socket(asgi_server, host_of(b), cookie_b) as ws_b:
        assert json.loads(ws_a.recv(timeout=5)) == {"event": "hello", "payload": {"campaign": a.schema_name}}
        assert json.loads(ws_b.recv(timeout=5))["payload"] == {"campaign": b.schema_name}
        with tenant_context(a), transaction.atomic():
            publish_after_commit("field_report.created", {"id": 7, "result": "favorable"})
        message = json.loads(ws_a.recv(timeout=5))
        assert message == {"event": "field_report.created", "payload": {"id": 7, "result": "favorable"}}
        with pytest.raises(TimeoutError):
            ws_b.recv(timeout=1)


def test_nothing_is_published_when_the_transaction_rolls_back(committed, two_campaigns, asgi_server):
    a, _b = two_campaigns
    with open_socket(asgi_server, host_of(a), session_cookie(a, make_user(a, Role.ADMIN))) as ws:
        ws.recv(timeout=5)
        with pytest.raises(RuntimeError), tenant_context(a), transaction.atomic():
            publish_after_commit("field_report.created", {"id": 1})
            raise RuntimeError("rolled back")
        with pytest.raises(TimeoutError):
            ws.recv(timeout=1)


def test_sockets_without_a_campaign_team_session_are_refused(committed, two_campaigns, asgi_server):
    a, b = two_campaigns
    cookie_a = session_cookie(a, make_user(a, Role.ADMIN))
    assert refused_with(asgi_server, host_of(b), cookie_a) == 4403  # A's session on B's host
    assert refused_with(asgi_server, host_of(a)) == 4403  # anonymous
    citizen = session_cookie(a, make_user(a, Role.CITIZEN))
    assert refused_with(asgi_server, host_of(a), citizen) == 4403
    assert refused_with(asgi_server, "nowhere.localhost", cookie_a) == 4404


def test_socket_opened_from_another_sites_page_is_refused(committed, two_campaigns, asgi_server):
    from websockets.exceptions import InvalidStatus

    a, _b = two_campaigns
    sock = socket.create_connection(("127.0.0.1", asgi_server))
    headers = {"Origin": "https://evil.example.com", "Cookie": session_cookie(a, make_user(a, Role.ADMIN))}
    with pytest.raises(InvalidStatus, match="403"):
        connect(f"ws://{host_of(a)}:{asgi_server}/ws/live/", sock=sock, additional_headers=headers)
