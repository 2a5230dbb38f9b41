"""The campaign's people: one contact base fed by voter files, sign-ups, the field
and the public site. Lives in each campaign's schema."""

import secrets

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db.models.functions import Coalesce, Collate, NullIf
from django.utils.translation import gettext_lazy as _

from campaigns.singletons import OneRowModel


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Téléphone")
    DOOR = "door", _("Porte-à-porte")


# The contact's consent per channel, one field each (Contact.consent_email...).
CONSENT_FIELDS = tuple(f"consent_{channel.value}" for channel in Channel)


class Address(models.Model):
    """A building: one point on the map, possibly many households."""

    line1 = models.CharField(_("adresse"), max_length=200)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=120, blank=True)
    # Normalised "line1|postal code|city" (no accents, case or extra spaces):
    # one building, one row, however the files spell it.
    key = models.CharField(max_length=400, unique=True, editable=False)
    point = models.PointField(_("position"), srid=4326, null=True, blank=True)
    geocoded_by = models.CharField(_("localisée par"), max_length=20, blank=True)
    polling_station_code = models.CharField(_("bureau de vote"), max_length=20, blank=True, db_index=True)

    class Meta:
        verbose_name = _("adresse")
        verbose_name_plural = _("adresses")
        indexes = [models.Index(fields=["postal_code", "city"])]

    def __str__(self):
        return ", ".join(p for p in (self.line1, f"{self.postal_code} {self.city}".strip()) if p)

    def save(self, *args, **kwargs):
        from .normalise import address_key

        self.key = address_key(self.line1, self.postal_code, self.city)
        super().save(*args, **kwargs)


class Household(models.Model):
    address = models.ForeignKey(Address, on_delete=models.CASCADE, related_name="households")
    label = models.CharField(_("logement"), max_length=120, blank=True, help_text=_("Étage, porte, boîte…"))

    class Meta:
        verbose_name = _("foyer")
        verbose_name_plural = _("foyers")
        constraints = [models.UniqueConstraint(fields=["address", "label"], name="crm_household_unique_label")]

    def __str__(self):
        return f"{self.address} {self.label}".strip()


class Tag(models.Model):
    name = models.CharField(_("nom"), max_length=80, unique=True)

    class Meta:
        verbose_name = _("étiquette")
        verbose_name_plural = _("étiquettes")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ImportJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Colonnes à vérifier")
        QUEUED = "queued", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(_("fichier"), max_length=255)
    file_path = models.CharField(max_length=500, help_text="Where the uploaded file is kept while importing.")
    source = models.CharField(_("origine"), max_length=120, blank=True)
    # People from an electoral list may be kept only until the election is over
    # (crm/retention.py), unless they gave consent or took part.
    electoral_list = models.BooleanField(_("liste électorale"), default=False)
    mapping = models.JSONField(default=dict, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    merged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    located_count = models.PositiveIntegerField(default=0)
    report_path = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def progress(self):
        """0-100 for the progress bar."""
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(100 * self.processed_rows / self.total_rows))


class SavedMapping(models.Model):
    """A column mapping kept to import the next file of the same shape."""

    name = models.CharField(_("nom"), max_length=120, unique=True)
    mapping = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("correspondance de colonnes")
        verbose_name_plural = _("correspondances de colonnes")

    def __str__(self):
        return self.name


# People are listed by their name as a French reader sorts it: accents and case set
# aside ("de Gaulle", "Dupont", "ÉTIENNE", "Zola"), by the name they use (usage name,
# else birth name), then first names. ICU's French collation (PostgreSQL built with ICU,
# as Debian's and the official images are); an index serves the contact list in this order.
FRENCH = "fr-x-icu"
NAME_ORDER = (
    Collate(Coalesce(NullIf("usage_name", models.Value("")), "birth_name"), FRENCH),
    Collate("first_names", FRENCH),
    models.F("id"),
)


class Contact(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Femme")
        MALE = "M", _("Homme")
        UNKNOWN = "", _("Non renseigné")

    # Fields that reveal political opinions: special-category data under the GDPR.
    SENSITIVE_FIELDS = ("support_level", "opinion_notes")

    birth_name = models.CharField(_("nom de naissance"), max_length=120, blank=True)
    usage_name = models.CharField(_("nom d'usage"), max_length=120, blank=True)
    first_names = models.CharField(_("prénoms"), max_length=200, blank=True)
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True, help_text=_("Format E.164"))
    other_emails = ArrayField(models.EmailField(), default=list, blank=True, verbose_name=_("autres e-mails"))
    other_phones = ArrayField(
        models.CharField(max_length=20), default=list, blank=True, verbose_name=_("autres téléphones")
    )
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts", verbose_name=_("étiquettes"))
    custom_fields = models.JSONField(_("champs libres"), default=dict, blank=True)
    source = models.CharField(_("origine"), max_length=120, blank=True)
    import_job = models.ForeignKey(ImportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Consent per channel: None = never asked, True = given, False = refused or withdrawn.
    consent_email = models.BooleanField(_("accord e-mail"), null=True, blank=True)
    consent_sms = models.BooleanField(_("accord SMS"), null=True, blank=True)
    consent_phone = models.BooleanField(_("accord téléphone"), null=True, blank=True)
    consent_door = models.BooleanField(_("accord porte-à-porte"), null=True, blank=True)
    support_level = models.PositiveSmallIntegerField(
        _("niveau de soutien"), null=True, blank=True, help_text=_("1 = opposé … 5 = très favorable (sensible)")
    )
    opinion_notes = models.TextField(_("notes d'opinion"), blank=True, help_text=_("Donnée sensible"))
    last_contacted_at = models.DateTimeField(_("dernier contact"), null=True, blank=True)
    # A hard bounce: the address does not exist; no more mail to it until it changes.
    email_bounced_at = models.DateTimeField(_("e-mail rejeté le"), null=True, blank=True)
    # Set when the person was erased: the row stays, empty of personal data, so that
    # counts and results keep adding up.
    erased_at = models.DateTimeField(_("effacé le"), null=True, blank=True, db_index=True)
    # Derived, for matching and accent-insensitive search (see crm/normalise.py).
    name_key = models.CharField(max_length=250, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)
    created = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = [expression.asc() for expression in NAME_ORDER]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(phone="") | models.Q(phone__regex=r"^\+[1-9][0-9]{6,14}$"),
                name="crm_contact_phone_e164",
            ),
            models.CheckConstraint(
                condition=models.Q(support_level__isnull=True) | models.Q(support_level__range=(1, 5)),
                name="crm_contact_support_level_1_5",
            ),
        ]
        indexes = [
            models.Index(fields=["email"], name="crm_contact_email", condition=~models.Q(email="")),
            models.Index(fields=["phone"], name="crm_contact_phone", condition=~models.Q(phone="")),
            models.Index(fields=["name_key", "birth_date"], name="crm_contact_name_birth"),
            models.Index(*NAME_ORDER, name="crm_contact_name_order"),
            GinIndex(fields=["search_text"], name="crm_contact_search_trgm", opclasses=["gin_trgm_ops"]),
            GinIndex(fields=["custom_fields"], name="crm_contact_custom_fields"),
            # Few people have other e-mails or phones: the import and the duplicate finder
            # look them up there too, through these small indexes.
            GinIndex(fields=["other_emails"], name="crm_contact_other_emails", condition=~models.Q(other_emails=[])),
            GinIndex(fields=["other_phones"], name="crm_contact_other_phones", condition=~models.Q(other_phones=[])),
        ]

    def __str__(self):
        return f"{self.first_names} {self.last_name}".strip() or self.email or f"#{self.pk}"

    @property
    def last_name(self):
        return self.usage_name or self.birth_name

    @staticmethod
    def holding(kind, value):
        """Q: the contacts whose `kind` ("email" or "phone") is `value`, their own or one
        of their other ones."""
        return models.Q(**{kind: value}) | models.Q(**{f"other_{kind}s__contains": [value]})

    def save(self, *args, **kwargs):
        from .normalise import name_key, search_text

        self.email = (self.email or "").strip().lower()
        self.name_key = name_key(self.birth_name, self.first_names)
        self.search_text = search_text(self.first_names, self.birth_name, self.usage_name, self.email)
        super().save(*args, **kwargs)


def has_others_sql(kind, table=""):
    """The condition of the partial indexes crm_contact_other_emails/_phones in SQL,
    written as Django writes it (~Q(other_emails=[])) so that the planner sees they
    apply: the contact (`table`, an alias) has other e-mails (phones)."""
    column = f"{table}.other_{kind}s" if table else f"other_{kind}s"
    return f"NOT ({column} = '{{}}')"


class ImportedRow(models.Model):
    """A file row that went into a contact (created it, completed it, or was merged into
    it as a duplicate), hashed with the file's columns and mapping: the same row in a
    later file has nothing new to give and is skipped (crm/importing/rows.py)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    row_hash = models.BigIntegerField()


class DistinctPair(models.Model):
    """Two contacts a person of the team said are not one person (a couple sharing an
    e-mail, namesakes in one building): the duplicates queue no longer offers them."""

    low = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    high = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("paire distincte")
        verbose_name_plural = _("paires distinctes")
        constraints = [
            models.UniqueConstraint(fields=["low", "high"], name="crm_distinctpair_unique"),
            models.CheckConstraint(condition=models.Q(low__lt=models.F("high")), name="crm_distinctpair_ordered"),
        ]


class DuplicateScan(OneRowModel):
    """When the duplicates queue of a big base was last worked out (crm/dedup.py)."""

    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recherche de doublons")
        verbose_name_plural = _("recherches de doublons")

    @property
    def running(self):
        return self.started_at is not None and (self.finished_at is None or self.started_at > self.finished_at)


class DuplicateSuggestion(models.Model):
    """A pair the last scan of a big base found (crm/dedup.py), in its order."""

    position = models.PositiveIntegerField()
    keep = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=30)
    similarity = models.FloatField(default=1.0)

    class Meta:
        ordering = ["position"]


class ConsentEvent(models.Model):
    """Every consent given or withdrawn, with where it came from. Never edited."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consent_events")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    granted = models.BooleanField()
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    source = models.CharField(max_length=120, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Why an opt-out was lifted (required then), or why staff opted someone out.
    # A database default too: the import's set-based SQL inserts consent rows directly.
    reason = models.CharField(max_length=300, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-at"]
        verbose_name = _("consentement")
        verbose_name_plural = _("journal des consentements")

    def __str__(self):
        return f"{self.contact_id} {self.channel} {'+' if self.granted else '-'}"


class Interaction(models.Model):
    """One line of a contact's timeline: imports, merges, field reports, messages,
    contributions. Later apps add their kinds."""

    class Kind(models.TextChoices):
        IMPORTED = "imported", _("Importé")
        UPDATED_BY_IMPORT = "import_update", _("Complété par un import")
        MERGED = "merged", _("Fusionné")
        CONSENT = "consent", _("Consentement")
        NOTE = "note", _("Note")
        EDITED = "edited", _("Modifié")
        FIELD_REPORT = "field_report", _("Visite de terrain")
        MESSAGE = "message", _("Message")
        CONTRIBUTION = "contribution", _("Contribution")
        SIGNED_UP = "signed_up", _("Inscription sur le site")
        EXPORTED = "exported", _("Données exportées")
        ERASED = "erased", _("Effacé")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Counts as a contact for "last contacted" and retention (a visit, a call, a message).
    is_contact = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")

    def __str__(self):
        return f"{self.contact_id} {self.kind} {self.at:%Y-%m-%d}"


class SuppressionEntry(models.Model):
    """An erased person's e-mail or phone, kept only as a salted hash so that no
    later import or send brings them back."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Téléphone")
        IDENTITY = "identity", _("Nom et date de naissance")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    value_hash = models.CharField(max_length=64)
    reason = models.CharField(max_length=120, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("liste d'exclusion")
        verbose_name_plural = _("liste d'exclusion")
        constraints = [models.UniqueConstraint(fields=["kind", "value_hash"], name="crm_suppression_unique")]

    def __str__(self):
        return f"{self.kind}:{self.value_hash[:12]}…"


def new_salt():
    return secrets.token_hex(16)


class CrmSettings(OneRowModel):
    """Per-campaign CRM settings (one row)."""

    suppression_salt = models.CharField(max_length=64, default=new_salt, editable=False)
    retention_months = models.PositiveSmallIntegerField(
        _("durée de conservation sans interaction (mois)"),
        null=True,
        blank=True,
        help_text=_("Vide : pas de purge automatique."),
    )
    # No double contact (crm/contacting.py): 0 = off.
    contact_window_days = models.PositiveSmallIntegerField(
        _("ne pas recontacter pendant (jours)"), default=14,
        help_text=_("Un foyer ou un numéro joint depuis moins longtemps est écarté des listes. 0 : désactivé."),
    )  # fmt: skip
    election_dates = ArrayField(models.DateField(), default=list, blank=True, verbose_name=_("dates d'élection"))
    election_grace_days = models.PositiveSmallIntegerField(
        _("délai après la dernière élection (jours)"), default=30,
        help_text=_("Les données venues seulement d'une liste électorale sont effacées passé ce délai."),
    )  # fmt: skip
    election_warning_sent_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("réglages du fichier")
        verbose_name_plural = _("réglages du fichier")

    def __str__(self):
        return str(_("Réglages du fichier"))


class Segment(models.Model):
    """A saved search over the contact base (see crm/segments.py for the filters)."""

    name = models.CharField(_("nom"), max_length=120, unique=True)
    filters = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self):
        return self.name


class ContactSummary(models.Model):
    """Figures about the contact base, computed in the background for dashboards."""

    computed_at = models.DateTimeField(auto_now_add=True)
    contacts = models.PositiveIntegerField()
    with_email = models.PositiveIntegerField()
    with_phone = models.PositiveIntegerField()
    geolocated = models.PositiveIntegerField()

    class Meta:
        get_latest_by = "computed_at"
        verbose_name = _("synthèse des contacts")
        verbose_name_plural = _("synthèses des contacts")

    def __str__(self):
        return f"{self.computed_at:%Y-%m-%d %H:%M}: {self.contacts}"
