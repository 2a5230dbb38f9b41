from django.urls import path

from . import api, views

urlpatterns = [
    path("equipe/carte/", views.staff_map, name="livemap"),
    path("equipe/carte/carte.js", views.map_script, name="livemap-script"),
    path("equipe/carte/fond/", views.map_settings, name="livemap-settings"),
    path("equipe/tableau-de-bord/", views.dashboard, name="dashboard"),
    path("equipe/tableau-de-bord/<slug:name>.csv", views.dashboard_csv, name="dashboard-csv"),
    path("api/map/reports/", api.ReportsLayerView.as_view(), name="livemap-reports"),
    path("api/map/zones/", api.ZonesLayerView.as_view(), name="livemap-zones"),
    path("api/map/turfs/", api.TurfsLayerView.as_view(), name="livemap-turfs"),
    path("api/map/volunteers/", api.VolunteersLayerView.as_view(), name="livemap-volunteers"),
    path("api/map/catch-up/", api.CatchUpView.as_view(), name="livemap-catchup"),
    path("api/map/contributions/", api.ContributionsLayerView.as_view(), name="livemap-contributions"),
    path("api/public/contributions/", api.PublicContributionsView.as_view(), name="public-contributions"),
    path("api/public/zones/", api.PublicZonesView.as_view(), name="public-zones"),
    path("carte/", views.public_map, name="public-map"),
]
