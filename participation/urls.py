from django.urls import path

from . import staff, views

app_name = "site"
urlpatterns = [
    path("actualites/", views.news_list, name="news"),
    path("actualites/<slug:slug>/", views.news_post, name="news-post"),
    path("pages/<slug:slug>/", views.page, name="page"),
    path("evenements/", views.event_list, name="events"),
    path("evenements/<slug:slug>/", views.event_detail, name="event"),
    path("evenements/<slug:slug>/inscription/", views.event_rsvp, name="event-rsvp"),
    path("evenements/<slug:slug>/annuler/<str:token>/", views.event_cancel, name="event-cancel"),
    path("evenements/<slug:slug>/agenda.ics", views.event_ics, name="event-ics"),
    path("projets/", views.project_list, name="projects"),
    path("projets/<slug:slug>/", views.project_detail, name="project"),
    path("projets/<slug:slug>/etapes/<int:position>/", views.step_detail, name="step"),
    path("commentaires/<str:kind>/<int:pk>/", views.comment, name="comment"),
    path("signaler/<str:kind>/<int:pk>/", views.flag, name="flag"),
    path("compte/", views.profile, name="profile"),
    path("compte/inscription/", views.sign_up, name="signup"),
    path("compte/inscription/envoyee/", views.sign_up_sent, name="signup-sent"),
    path("compte/confirmer/<str:token>/", views.confirm, name="confirm"),
    path("compte/renvoyer/", views.resend_confirmation, name="resend"),
    path("compte/supprimer/", views.delete_account, name="delete-account"),
    path("media/<str:schema>/<path:path>", views.media, name="media"),
]

staff_patterns = (
    [
        path("", staff.overview, name="overview"),
        path("reglages/", staff.site_settings, name="settings"),
        path("pages/nouvelle/", staff.page_edit, name="page-new"),
        path("pages/<int:pk>/", staff.page_edit, name="page"),
        path("actualites/nouvelle/", staff.news_edit, name="news-new"),
        path("actualites/<int:pk>/", staff.news_edit, name="news"),
        path("evenements/nouveau/", staff.event_edit, name="event-new"),
        path("evenements/<int:pk>/", staff.event_edit, name="event"),
        path("evenements/<int:pk>/inscriptions/", staff.event_registrations, name="registrations"),
        path("projets/nouveau/", staff.project_new, name="project-new"),
        path("projets/<int:pk>/", staff.project_edit, name="project"),
        path("moderation/", staff.moderation_queue, name="moderation"),
        path("moderation/<int:ct>/<int:pk>/", staff.moderate, name="moderate"),
        path("moderation/suspension/<int:user_pk>/lever/", staff.unban, name="unban"),
    ],
    "site-staff",
)
