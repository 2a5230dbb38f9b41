"""One ASGI process serves HTTP and WebSocket (uvicorn config.asgi:application).

WebSockets go to Channels. HTTP goes to Django's WSGI handler, run on a fixed pool
of HTTP_THREADS threads by a2wsgi: every view, middleware and the ORM are
synchronous, and Django's ASGI handler would run each request's sync code on a
thread made for that request, hopping between it and the event loop four or more
times per request (measured: about a third more requests per second this way, see
bench/bench_report_ingest.py). The pool also bounds how many requests of a process
hold a database connection at once (keep HTTP_THREADS <= DB_POOL_SIZE).
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django_http_app = get_wsgi_application()  # sets Django up before the imports below

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import path  # noqa: E402

from campaigns.realtime import CampaignScopeMiddleware, LiveConsumer  # noqa: E402

websocket_urlpatterns = [path("ws/live/", LiveConsumer.as_asgi())]

application = ProtocolTypeRouter(
    {
        "http": WSGIMiddleware(django_http_app, workers=settings.HTTP_THREADS),
        "websocket": AllowedHostsOriginValidator(CampaignScopeMiddleware(URLRouter(websocket_urlpatterns))),
    }
)

# Everything loaded so far (Django, the apps, their modules) lives as long as the
# process: move it out of the garbage collector's sight, so that a full collection
# does not walk it again and stall every request thread of the process meanwhile.
gc.freeze()
