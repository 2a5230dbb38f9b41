from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("projets/<slug:slug>/etapes/<int:position>/resultats/", views.results, name="results"),
    path("projets/<slug:slug>/etapes/<int:position>/reponses.<str:fmt>", views.export, name="export"),
]
