"""Exporting contacts to CSV or XLSX. Every export is logged: who, when, what."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from campaigns.accounts.models import AuditEntry
from campaigns.spreadsheets import write_table

from .models import Tag

BASE_COLUMNS = [
    ("id", "ID"),
    ("birth_name", _("Nom de naissance")),
    ("usage_name", _("Nom d'usage")),
    ("first_names", _("Prénoms")),
    ("sex", _("Sexe")),
    ("birth_date", _("Date de naissance")),
    ("email", _("E-mail")),
    ("phone", _("Téléphone")),
    ("line1", _("Adresse")),
    ("dwelling", _("Logement")),
    ("postal_code", _("Code postal")),
    ("city", _("Ville")),
    ("polling_station", _("Bureau de vote")),
    ("tags", _("Étiquettes")),
    ("consent_email", _("Accord e-mail")),
    ("consent_sms", _("Accord SMS")),
    ("consent_phone", _("Accord téléphone")),
    ("consent_door", _("Accord porte-à-porte")),
    ("last_contacted_at", _("Dernier contact")),
]
SENSITIVE_COLUMNS = [("support_level", _("Niveau de soutien")), ("opinion_notes", _("Notes d'opinion"))]


def _yes_no(value):
    return "" if value is None else (_("oui") if value else _("non"))


def rows(queryset, include_sensitive):
    queryset = queryset.select_related("household__address").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.only("name"))
    )
    for c in queryset.iterator(chunk_size=2000):
        h = c.household
        a = h.address if h else None
        row = [
            c.pk,
            c.birth_name,
            c.usage_name,
            c.first_names,
            c.sex,
            c.birth_date.strftime("%d/%m/%Y") if c.birth_date else "",
            c.email,
            c.phone,
            a.line1 if a else "",
            h.label if h else "",
            a.postal_code if a else "",
            a.city if a else "",
            a.polling_station_code if a else "",
            ", ".join(t.name for t in c.tags.all()),
            _yes_no(c.consent_email),
            _yes_no(c.consent_sms),
            _yes_no(c.consent_phone),
            _yes_no(c.consent_door),
            c.last_contacted_at.isoformat() if c.last_contacted_at else "",
        ]
        if include_sensitive:
            row += [c.support_level or "", c.opinion_notes]
        yield row


def headers(include_sensitive):
    columns = BASE_COLUMNS + (SENSITIVE_COLUMNS if include_sensitive else [])
    return [str(label) for _key, label in columns]


def export_contacts(queryset, *, actor, fmt="csv", include_sensitive=False, what=""):
    """Write the contacts to a temporary file and return it (opened, at position 0)."""
    count = queryset.count()
    out = write_table(headers(include_sensitive), rows(queryset, include_sensitive), fmt=fmt, sheet=str(_("Contacts")))
    AuditEntry.objects.create(
        actor=actor,
        action="contacts.exported",
        target_type="segment" if what else "contacts",
        target_id=what,
        data={"count": count, "format": fmt, "sensitive": include_sensitive},
    )
    return out


def export_segment(segment, *, actor, fmt="csv"):
    """A segment's contacts, with the sensitive columns only for people allowed to see them."""
    from .segments import contacts_matching

    return export_contacts(
        contacts_matching(segment.filters),
        actor=actor,
        fmt=fmt,
        include_sensitive=actor.has_perm("crm.see_sensitive"),
        what=str(segment.pk),
    )
