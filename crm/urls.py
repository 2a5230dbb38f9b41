from django.urls import path

from . import views

app_name = "crm"
urlpatterns = [
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/nouveau/", views.contact_edit, name="contact-new"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path("contacts/<int:pk>/modifier/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/note/", views.contact_note, name="contact-note"),
    path("contacts/<int:pk>/donnees.json", views.contact_gdpr_export, name="contact-export"),
    path("contacts/<int:pk>/effacer/", views.contact_erase, name="contact-erase"),
    path("contacts/<int:pk>/opposition/", views.contact_opt_out, name="contact-opt-out"),
    path("imports/", views.import_start, name="imports"),
    path("imports/<int:pk>/", views.import_job, name="import"),
    path("imports/<int:pk>/progression/", views.import_progress, name="import-progress"),
    path("imports/<int:pk>/rejets.csv", views.import_report, name="import-report"),
    path("doublons/", views.duplicates, name="duplicates"),
    path("doublons/fusionner/", views.merge, name="merge"),
    path("doublons/distincts/", views.distinct, name="distinct"),
    path("doublons/chercher/", views.scan_duplicates, name="scan-duplicates"),
    path("segments/", views.segments, name="segments"),
    path("segments/<int:pk>/export/", views.segment_export, name="segment-export"),
    path("segments/compter/", views.segment_count, name="segment-count"),
    path("segments/<int:pk>/supprimer/", views.segment_delete, name="segment-delete"),
]
