from django.urls import path

from . import staff, views

app_name = "messaging"
urlpatterns = [
    path("desabonnement/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("sendgrid/events/", views.sendgrid_events, name="sendgrid-events"),
    path("sms/entrant/", views.inbound_sms, name="inbound-sms"),
    path("", staff.message_list, name="messages"),
    path("<int:pk>/", staff.message_detail, name="message"),
    path("<int:pk>/progression/", staff.message_progress, name="message-progress"),
]
