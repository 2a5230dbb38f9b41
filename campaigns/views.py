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
