from django.shortcuts import render

from .models import SiteSettings


def home(request):
    return render(request, "participation/home.html", {"site": SiteSettings.current()})
