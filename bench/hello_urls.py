"""The campaign URLs plus a static "hello" view: the floor any campaign page pays
(tenant lookup, sessions, middleware), for benchmarks' baselines."""

from django.http import HttpResponse
from django.urls import path

from config.urls_tenant import urlpatterns as campaign_urlpatterns


def hello(request):
    return HttpResponse("hello")


urlpatterns = [path("bench-hello/", hello), *campaign_urlpatterns]
