from django.conf import settings
from django.shortcuts import render
from django.views import View

from .models import Campaign


class UnknownHostView(View):
    """Answer for a host that no campaign uses: a clear 404, never a 500."""

    def get(self, request, *args, **kwargs):
        host = request.get_host().split(":")[0]
        return render(
            request,
            "campaigns/unknown_host.html",
            {"host": host, "platform_domain": settings.PLATFORM_DOMAIN},
            status=404,
        )

    post = put = patch = delete = head = options = get


def platform_home(request):
    return render(
        request,
        "campaigns/platform_home.html",
        {"campaign_count": Campaign.objects.exclude(schema_name="public").count()},
    )


def server_error(request):
    """The 500 page, except when the database could not be reached: then a 503 that says
    so and asks to retry (the data is safe; the app's phones retry on their own)."""
    import sys

    from django.db import InterfaceError, OperationalError
    from django.http import HttpResponse, JsonResponse
    from django.template import loader

    exc = sys.exc_info()[1]
    if isinstance(exc, (OperationalError, InterfaceError)):
        text = ("Base de données momentanément indisponible : réessayez dans quelques secondes. / "
                "The database is briefly unavailable: please retry in a few seconds.")  # fmt: skip
        if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
            response = JsonResponse({"detail": text}, status=503)
        else:
            response = HttpResponse(loader.get_template("503.html").render({"text": text}), status=503)
        response["Retry-After"] = "5"
        return response
    return HttpResponse(loader.get_template("500.html").render(), status=500)
