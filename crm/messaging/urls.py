from django.urls import path

from . import views

app_name = "messaging"
urlpatterns = [
    path("desabonnement/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("sendgrid/events/", views.sendgrid_events, name="sendgrid-events"),
    path("sms/entrant/", views.inbound_sms, name="inbound-sms"),
]
