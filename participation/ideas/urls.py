from django.urls import path

from . import views

app_name = "ideas"
urlpatterns = [
    path("projets/<slug:slug>/etapes/<int:position>/proposer/", views.propose, name="propose"),
    path("projets/<slug:slug>/etapes/<int:position>/idees.geojson", views.step_geojson, name="geojson"),
    path("projets/<slug:slug>/etapes/<int:position>/export.<str:fmt>", views.step_export, name="export"),
    path("projets/<slug:slug>/etapes/<int:position>/questions/", views.ask, name="ask"),
    path("projets/<slug:slug>/etapes/<int:position>/reprendre/", views.carry_forward, name="carry-forward"),
    path("idees/<int:pk>/", views.proposal_detail, name="proposal"),
    path("idees/<int:pk>/vote/", views.proposal_vote, name="vote"),
    path("idees/<int:pk>/reponse/", views.proposal_answer, name="answer"),
    path("questions/<int:pk>/soutien/", views.question_upvote, name="upvote"),
    path("questions/<int:pk>/reponse/", views.question_answer, name="question-answer"),
]
