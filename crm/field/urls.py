from django.urls import path

from . import views

app_name = "field"
urlpatterns = [path("zones/", views.zone_map, name="zones")]
