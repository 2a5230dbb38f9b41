from django.urls import path

from . import views

app_name = "debate"
urlpatterns = [
    path("consultation/sections/<int:pk>/", views.section, name="section"),
    path("consultation/sections/<int:pk>/contribuer/", views.contribute, name="contribute"),
    path("consultation/sections/<int:pk>/synthese/", views.synthesis, name="synthesis"),
    path("consultation/contributions/<int:pk>/vote/", views.vote, name="vote"),
    path("consultation/contributions/<int:pk>/argument/", views.argue, name="argue"),
    path("consultation/arguments/<int:pk>/soutien/", views.support, name="support"),
    path("projets/<slug:slug>/etapes/<int:position>/contributions.<str:fmt>", views.export, name="export"),
]
