from django.urls import path

from . import views

app_name = "aid"
urlpatterns = [
    path("entraide/", views.post_list, name="list"),
    path("entraide/annonces.geojson", views.posts_geojson, name="geojson"),
    path("entraide/publier/", views.create, name="create"),
    path("entraide/<int:pk>/", views.detail, name="post"),
    path("entraide/<int:pk>/ecrire/", views.write, name="write"),
    path("entraide/<int:pk>/clore/", views.close, name="close"),
    path("entraide/conversations/<int:pk>/", views.conversation, name="conversation"),
    path("equipe/site/entraide.<str:fmt>", views.export, name="export"),
]
