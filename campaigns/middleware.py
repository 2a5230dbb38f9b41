from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.shortcuts import render
from django.utils import translation
from django_tenants.middleware.main import TenantMainMiddleware


class CampaignLanguageMiddleware:
    """A campaign speaks its own language unless the visitor chose another one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        campaign = getattr(request, "tenant", None)
        if campaign is not None and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            translation.activate(campaign.language)
            request.LANGUAGE_CODE = campaign.language
        return self.get_response(request)


class CampaignMiddleware(TenantMainMiddleware):
    """Selects the campaign's schema from the request host (django-tenants), and
    answers any host that is not ours with the same clear 404 page, including
    hosts that ALLOWED_HOSTS rejects."""

    CACHE_SECONDS = 60

    @staticmethod
    def cache_key(hostname):
        return f"campaign-of-host:{hostname}"

    def get_tenant(self, domain_model, hostname):
        # Every request asks; the answer changes when a campaign or domain is saved
        # or deleted, and campaigns.apps forgets it then (the minute is a safety net).
        key = self.cache_key(hostname)
        campaign = cache.get(key)
        if campaign is None:
            campaign = super().get_tenant(domain_model, hostname)
            cache.set(key, campaign, self.CACHE_SECONDS)
        return campaign

    def process_request(self, request):
        try:
            request.get_host()
        except DisallowedHost:
            connection.set_schema_to_public()
            return render(
                request,
                "campaigns/unknown_host.html",
                {"host": request.META.get("HTTP_HOST", "")[:253]},
                status=404,
            )
        return super().process_request(request)
