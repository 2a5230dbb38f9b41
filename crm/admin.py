from django.contrib import admin
from django.urls import reverse

from config.admin_sites import OneRowAdmin, ReadOnlyAdmin, campaign_admin

from .models import Address, Contact, CrmSettings, Household


@admin.register(Contact, site=campaign_admin)
class ContactAdmin(ReadOnlyAdmin):
    """Read only here. Contacts are typed in and corrected on the team's pages
    (/equipe/contacts/, "Voir sur le site" from here): there consents go to their log,
    phones are checked, an opt-out is lifted only with a reason, and opinions are shown
    to the roles allowed, each view audited. Removing someone is the GDPR erasure,
    which keeps them out of later imports; a plain delete here would not."""

    list_display = ["__str__", "email", "phone", "source", "created"]
    search_fields = ["birth_name", "usage_name", "first_names", "email", "phone"]
    list_filter = ["source", "sex"]
    exclude = Contact.SENSITIVE_FIELDS

    def view_on_site(self, obj):
        return reverse("crm:contact", args=[obj.pk])


@admin.register(Address, site=campaign_admin)
class AddressAdmin(admin.ModelAdmin):
    list_display = ["line1", "postal_code", "city", "polling_station_code"]
    # Django's map widget loads OpenLayers from a CDN; positions are set by
    # geocoding and shown on our own Leaflet map instead.
    readonly_fields = ["point"]
    search_fields = ["line1", "city", "postal_code"]


@admin.register(Household, site=campaign_admin)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["__str__"]
    raw_id_fields = ["address"]


@admin.register(CrmSettings, site=campaign_admin)
class CrmSettingsAdmin(OneRowAdmin):
    """Retention, no-double-contact window, election dates (dates as 2026-03-15,2026-03-22)."""

    list_display = ["__str__", "retention_months", "contact_window_days", "election_grace_days"]
