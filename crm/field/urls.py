from django.urls import path

from . import views

app_name = "field"
urlpatterns = [
    path("zones/", views.zone_map, name="zones"),
    path("actions/", views.action_list, name="actions"),
    path("actions/<int:pk>/", views.action_detail, name="action"),
    path("secteurs/<int:pk>/imprimer/", views.turf_printable, name="turf-printable"),
    path("revue/", views.review_queue, name="review"),
    path("revue/<int:pk>/", views.review_batch, name="review-batch"),
]
# The volunteers' app, at /terrain/ (its own prefix, which is the service worker's scope).
app_urlpatterns = [
    path("", views.canvass_app, name="field-app"),
    path("manifest.webmanifest", views.app_manifest, name="field-app-manifest"),
    path("sw.js", views.service_worker, name="field-app-sw"),
]
