"""Live events for a campaign's open pages, over WebSocket.

Writers call `publish_after_commit(...)` inside their transaction; the event goes
out only once the data it describes is committed (the database stays the source
of truth). Each campaign has its own channel group, named after its schema, and a
socket joins only the group of the campaign whose host it connected to.
"""

import asyncio
import atexit
import concurrent.futures
import logging
import os
import threading

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.db import close_old_connections, connection, transaction
from django.utils.module_loading import import_string
from django_tenants.utils import get_public_schema_name, tenant_context

log = logging.getLogger(__name__)


def group_for(schema_name):
    return f"live.{schema_name}"


class _Publisher:
    """One event loop per process, on a thread of its own, for publishing from sync
    code. async_to_sync() from a request thread would make a new loop, and with it a
    new Redis connection, for every event; this loop keeps its connections. A forked
    process (Celery's prefork pool) makes its own.

    Events after a commit are handed over without waiting for Redis (the request
    answers meanwhile); the ones still on their way when the process exits are
    waited for, briefly (a management command that publishes and ends at once)."""

    TIMEOUT = 10  # seconds; Redis answers in milliseconds

    def __init__(self):
        self._lock = threading.Lock()
        self._loop = None
        self._pid = None
        self._pending = set()

    def loop(self):
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._loop = asyncio.new_event_loop()
                self._pid = os.getpid()
                self._pending = set()
                threading.Thread(target=self._loop.run_forever, name="live-publish", daemon=True).start()
            return self._loop

    def send(self, coroutine):
        """Start publishing and return at once; a failure or a timeout is logged."""
        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coroutine, self.TIMEOUT), self.loop())
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future):
        with self._lock:
            self._pending.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("live event not published: %r", future.exception())

    def drain(self):
        with self._lock:
            pending = list(self._pending) if self._pid == os.getpid() else []
        if pending:
            concurrent.futures.wait(pending, timeout=self.TIMEOUT)


_publisher = _Publisher()
atexit.register(_publisher.drain)


def _event(schema_name, event_type, payload):
    layer = get_channel_layer()
    return layer.group_send(group_for(schema_name), {"type": "live.event", "event": event_type, "payload": payload})


def publish_after_commit(event_type, payload):
    """Publish to the current campaign's live pages once the transaction commits."""
    schema_name = connection.schema_name
    transaction.on_commit(lambda: _publisher.send(_event(schema_name, event_type, payload)))


def _host_from_scope(scope):
    for name, value in scope.get("headers", []):
        if name == b"host":
            return value.decode("latin-1").split(":")[0].lower()
    return ""


def _cookies_from_scope(scope):
    from http.cookies import SimpleCookie

    jar = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar.load(value.decode("latin-1"))
    return {k: m.value for k, m in jar.items()}


def resolve_campaign_and_user(scope):
    """Find the campaign of the socket's host, then the user of its session cookie
    in that campaign's schema (sessions never cross campaigns)."""
    from campaigns.models import Domain

    close_old_connections()
    connection.set_schema_to_public()
    host = _host_from_scope(scope)
    domain = Domain.objects.select_related("tenant").filter(domain=host).first()
    if domain is None:
        return None, AnonymousUser()
    campaign = domain.tenant
    session_key = _cookies_from_scope(scope).get(settings.SESSION_COOKIE_NAME)
    user = AnonymousUser()
    with tenant_context(campaign):
        if session_key:
            store = import_string(settings.SESSION_ENGINE + ".SessionStore")(session_key)
            data = store.load()
            if data.get(SESSION_KEY) and data.get(BACKEND_SESSION_KEY) in settings.AUTHENTICATION_BACKENDS:
                from django.contrib.auth import get_user_model

                found = get_user_model().objects.filter(pk=data[SESSION_KEY], is_active=True).first()
                if found is not None and found.get_session_auth_hash() == data.get("_auth_user_hash"):
                    user = found
                    # Evaluate the rules now, while the campaign's schema is selected.
                    user.live_allowed = user.has_perm("live.follow")
    connection.set_schema_to_public()
    return campaign, user


class CampaignScopeMiddleware:
    """ASGI middleware for sockets: what TenantMainMiddleware does for HTTP."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        campaign, user = await database_sync_to_async(resolve_campaign_and_user)(scope)
        scope = dict(scope, campaign=campaign, user=user)
        return await self.inner(scope, receive, send)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Pushes a campaign's live events to its team's open pages."""

    async def connect(self):
        campaign = self.scope.get("campaign")
        user = self.scope.get("user")
        # Refusals accept then close with a code (4404 no campaign here, 4403 not
        # allowed) so the page can tell "sign in again" from a network cut and
        # stop reconnecting; a rejected handshake would look like any failure.
        await self.accept()
        if campaign is None or campaign.schema_name == get_public_schema_name():
            await self.close(code=4404)
            return
        if not getattr(user, "live_allowed", False):
            await self.close(code=4403)
            return
        self.group = group_for(campaign.schema_name)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"event": "hello", "payload": {"campaign": campaign.schema_name}})

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def live_event(self, message):
        await self.send_json({"event": message["event"], "payload": message["payload"]})
