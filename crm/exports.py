"""Exporting contacts to CSV or XLSX. Every export is logged: who, when, what."""

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.accounts.models import AuditEntry
from campaigns.spreadsheets import write_table

from .models import Tag

# (what rows() reads of each contact, the column's name), in the file's order. Plain
# values read through one server-side cursor, tags gathered by PostgreSQL: building
# three model instances per contact (address point parsed included) and a tag query per
# 2,000 took 100 s for a million contacts, a web request's time many times over.
BASE_COLUMNS = [
    ("pk", "ID"),
    ("birth_name", gettext_lazy("Nom de naissance")),
    ("usage_name", gettext_lazy("Nom d'usage")),
    ("first_names", gettext_lazy("Prénoms")),
    ("sex", gettext_lazy("Sexe")),
    ("birth_date", gettext_lazy("Date de naissance")),
    ("email", gettext_lazy("E-mail")),
    ("phone", gettext_lazy("Téléphone")),
    ("other_emails", gettext_lazy("Autres e-mails")),
    ("other_phones", gettext_lazy("Autres téléphones")),
    ("household__address__line1", gettext_lazy("Adresse")),
    ("household__label", gettext_lazy("Logement")),
    ("household__address__postal_code", gettext_lazy("Code postal")),
    ("household__address__city", gettext_lazy("Ville")),
    ("household__address__polling_station_code", gettext_lazy("Bureau de vote")),
    ("tag_names", gettext_lazy("Étiquettes")),
    ("consent_email", gettext_lazy("Accord e-mail")),
    ("consent_sms", gettext_lazy("Accord SMS")),
    ("consent_phone", gettext_lazy("Accord téléphone")),
    ("consent_door", gettext_lazy("Accord porte-à-porte")),
    ("last_contacted_at", gettext_lazy("Dernier contact")),
]
SENSITIVE_COLUMNS = [
    ("support_level", gettext_lazy("Niveau de soutien")),
    ("opinion_notes", gettext_lazy("Notes d'opinion")),
]
_READ = [key for key, _label in BASE_COLUMNS]
CONSENTS = slice(_READ.index("consent_email"), _READ.index("consent_door") + 1)
BIRTH_DATE, LAST_CONTACTED = (_READ.index(name) for name in ("birth_date", "last_contacted_at"))
LISTS = [_READ.index(name) for name in ("other_emails", "other_phones")]
# A tag may hold a comma ("Oui, tout à fait"): tags are separated by "|", which the
# import reads as such.
TAGS = _READ.index("tag_names")


def _columns(include_sensitive):
    return BASE_COLUMNS + (SENSITIVE_COLUMNS if include_sensitive else [])


def rows(queryset, include_sensitive):
    tag_names = ArraySubquery(Tag.objects.filter(contacts=OuterRef("pk")).order_by("name").values("name"))
    values = queryset.annotate(tag_names=tag_names).values_list(*(key for key, _label in _columns(include_sensitive)))
    yes_no = {None: "", True: _("oui"), False: _("non")}
    for contact in values.iterator(chunk_size=5000):
        row = ["" if value is None else value for value in contact]
        if row[BIRTH_DATE]:
            row[BIRTH_DATE] = row[BIRTH_DATE].strftime("%d/%m/%Y")
        for index in LISTS:
            row[index] = ", ".join(row[index])
        row[TAGS] = " | ".join(row[TAGS])
        row[CONSENTS] = [yes_no[value] for value in contact[CONSENTS]]
        if row[LAST_CONTACTED]:
            row[LAST_CONTACTED] = row[LAST_CONTACTED].isoformat()
        yield row


def headers(include_sensitive):
    return [str(label) for _key, label in _columns(include_sensitive)]


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
