from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from . import gdpr
from .editing import home_for, save_by_hand
from .importing.mapping import CUSTOM_PREFIX, IGNORE, field_choices
from .models import CONSENT_FIELDS, Channel, Contact, Segment, Tag
from .segments import PARTICIPATION_NAMES
from .services import normalise_phone


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Fichier CSV ou XLSX"))
    source = forms.CharField(
        label=_("Origine de ces contacts"), required=False, help_text=_("Ex. : liste électorale 2026")
    )
    electoral_list = forms.BooleanField(
        label=_("C'est une liste électorale"), required=False,
        help_text=_("Effacées après l'élection, sauf si elles donnent leur accord ou participent."),
    )  # fmt: skip


class MappingForm(forms.Form):
    """One choice per column of the file, prefilled with the guessed mapping."""

    save_as = forms.CharField(label=_("Enregistrer cette correspondance sous le nom"), required=False)

    def __init__(self, *args, headers, mapping, **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        for i, header in enumerate(headers):
            choices = [(IGNORE, _("— ignorer —")), (CUSTOM_PREFIX + header, _("champ libre « %(h)s »") % {"h": header})]
            choices += field_choices()
            self.fields[f"col_{i}"] = forms.ChoiceField(
                label=header or _("(colonne sans titre)"), choices=choices, required=False,
                initial=mapping.get(header, IGNORE),
            )  # fmt: skip

    def mapping(self):
        return {h: self.cleaned_data.get(f"col_{i}") or IGNORE for i, h in enumerate(self.headers)}


class ContactSearchForm(forms.Form):
    q = forms.CharField(label=_("Recherche"), required=False)
    tag = forms.ModelChoiceField(label=_("Étiquette"), queryset=Tag.objects.all(), required=False, to_field_name="name")
    consent = forms.ChoiceField(label=_("Accord"), required=False, choices=[("", "—"), *Channel.choices])
    polling_station = forms.CharField(label=_("Bureau de vote"), required=False)
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=Segment.objects.all(), required=False)

    def filters(self):
        data = self.cleaned_data
        filters = dict(data["segment"].filters) if data.get("segment") else {}
        if data.get("q"):
            filters["search"] = data["q"]
        if data.get("tag"):
            filters["tags"] = [*filters.get("tags", []), data["tag"].name]
        if data.get("consent"):
            filters["consent"] = {**filters.get("consent", {}), data["consent"]: True}
        if data.get("polling_station"):
            filters["polling_stations"] = [data["polling_station"]]
        return filters


# What "took part on the public site" can mean (crm.segments, the "participation" filter).
PARTICIPATION_CHOICES = [
    ("", _("— peu importe —")),
    ("any", _("a contribué, quoi que ce soit")),
    *((f"{module}:{action}" if action else module, label) for (module, action), label in PARTICIPATION_NAMES.items()),
]


class SegmentForm(forms.Form):
    """Every criterion of a segment (crm/segments.py) a team needs, in words."""

    name = forms.CharField(label=_("Nom du segment"), max_length=120)
    search = forms.CharField(label=_("Nom ou e-mail contient"), required=False)
    zones = forms.ModelMultipleChoiceField(label=_("Habitent dans l'une de ces zones"), queryset=None, required=False)
    polling_stations = forms.CharField(label=_("Bureaux de vote (séparés par des virgules)"), required=False)
    tags = forms.ModelMultipleChoiceField(
        label=_("Étiquettes"), queryset=Tag.objects.all(), required=False, to_field_name="name"
    )
    tags_mode = forms.ChoiceField(
        label=_("Avoir"), choices=[("all", _("toutes ces étiquettes")), ("any", _("au moins l'une d'elles"))],
        initial="all", required=False, widget=forms.RadioSelect,
    )  # fmt: skip
    exclude_tags = forms.ModelMultipleChoiceField(
        label=_("Sans aucune de ces étiquettes"), queryset=Tag.objects.all(), required=False, to_field_name="name"
    )
    consent = forms.MultipleChoiceField(
        label=_("Ont donné leur accord pour"), required=False, choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    has_email = forms.BooleanField(label=_("Avec une adresse e-mail"), required=False)
    has_phone = forms.BooleanField(label=_("Avec un numéro de téléphone"), required=False)
    support_min = forms.IntegerField(label=_("Soutien minimum (1–5)"), min_value=1, max_value=5, required=False)
    support_max = forms.IntegerField(label=_("Soutien maximum (1–5)"), min_value=1, max_value=5, required=False)
    never_contacted = forms.BooleanField(label=_("Jamais contactés"), required=False)
    not_contacted_since = forms.DateField(
        label=_("Pas contactés depuis le"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    contacted_since = forms.DateField(
        label=_("Contactés depuis le"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    source = forms.CharField(label=_("Origine contient"), required=False,
                             help_text=_("Ex. : liste électorale, site, pétition"))  # fmt: skip
    custom_field = forms.CharField(label=_("Champ libre"), required=False, help_text=_("Ex. : Quartier"))
    custom_value = forms.CharField(label=_("… a pour valeur"), required=False, help_text=_("Ex. : Nord"))
    participation = forms.ChoiceField(label=_("Sur le site participatif"), choices=PARTICIPATION_CHOICES,
                                      required=False)  # fmt: skip

    # The form's fields in the order a team thinks of them, under a heading each.
    GROUPS = [
        (_("Où"), ["zones", "polling_stations"]),
        (_("Qui"), ["search", "tags", "tags_mode", "exclude_tags", "support_min", "support_max", "source",
                    "custom_field", "custom_value"]),
        (_("Comment les joindre"), ["consent", "has_email", "has_phone"]),
        (_("Déjà contactés ?"), ["never_contacted", "not_contacted_since", "contacted_since", "participation"]),
    ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        from crm.field.models import Zone

        super().__init__(*args, **kwargs)
        self.fields["zones"].queryset = Zone.objects.order_by("kind", "name")

    def groups(self):
        """[(heading, [bound fields])], every field but the name in one group."""
        return [(heading, [self[name] for name in names]) for heading, names in self.GROUPS]

    def clean(self):
        data = super().clean()
        low, high = data.get("support_min"), data.get("support_max")
        if low and high and low > high:
            self.add_error("support_max", _("Le maximum est plus petit que le minimum."))
        if bool(data.get("custom_field")) != bool(data.get("custom_value")):
            self.add_error("custom_value", _("Donnez le champ libre et sa valeur, ou aucun des deux."))
        return data

    def filters(self):
        """The segment's filters (crm/segments.py) from what the form holds."""
        d = self.cleaned_data
        filters = {}
        if d.get("search"):
            filters["search"] = d["search"]
        if d.get("zones"):
            filters["zones"] = [zone.pk for zone in d["zones"]]
        if d.get("polling_stations"):
            filters["polling_stations"] = [s.strip() for s in d["polling_stations"].split(",") if s.strip()]
        if d.get("tags"):
            filters["tags"] = [t.name for t in d["tags"]]
            if d.get("tags_mode") == "any":
                filters["tags_mode"] = "any"
        if d.get("exclude_tags"):
            filters["exclude_tags"] = [t.name for t in d["exclude_tags"]]
        if d.get("consent"):
            filters["consent"] = dict.fromkeys(d["consent"], True)
        for key in ("has_email", "has_phone", "never_contacted"):
            if d.get(key):
                filters[key] = True
        for key in ("support_min", "support_max"):
            if d.get(key):
                filters[key] = d[key]
        for key in ("not_contacted_since", "contacted_since"):
            if d.get(key):
                filters[key] = d[key].isoformat()
        if d.get("source"):
            filters["source"] = d["source"]
        if d.get("custom_field") and d.get("custom_value"):
            filters["custom"] = {d["custom_field"]: d["custom_value"]}
        if d.get("participation"):
            module, _sep, action = d["participation"].partition(":")
            filters["participation"] = (
                {} if module == "any" else {"module": module} | ({"action": action} if action else {})
            )
        return filters


CONSENT_CHOICES = [("", _("pas encore demandé")), ("yes", _("oui")), ("no", _("non"))]
CONSENT_VALUES = {"": None, "yes": True, "no": False}


class ContactForm(forms.ModelForm):
    """A contact typed in or corrected by a person of the team (crm.editing.save_by_hand):
    names, contact details, address, tags, consents, and the opinion fields for the
    roles allowed to see them."""

    line1 = forms.CharField(label=_("Adresse"), max_length=200, required=False, help_text=_("Ex. : 12 rue des Lilas"))
    household_label = forms.CharField(label=_("Complément (étage, porte, boîte)"), max_length=120, required=False)
    postal_code = forms.CharField(label=_("Code postal"), max_length=10, required=False)
    city = forms.CharField(label=_("Ville"), max_length=120, required=False)
    tags = forms.CharField(label=_("Étiquettes"), required=False, help_text=_("Séparées par des virgules"))
    consent_reason = forms.CharField(
        label=_("Motif d'un changement d'accord"), max_length=300, required=False,
        help_text=_("Obligatoire pour lever une opposition : ce que la personne a dit, où, quand."),
    )  # fmt: skip
    new_consent = forms.BooleanField(label=_("La personne a de nouveau donné son accord"), required=False)
    support_level = forms.TypedChoiceField(
        label=_("Niveau de soutien"), coerce=int, empty_value=None, required=False,
        choices=[("", "—"), (1, _("1 — opposé")), (2, "2"), (3, "3"), (4, "4"), (5, _("5 — très favorable"))],
    )  # fmt: skip
    another_person = forms.BooleanField(
        label=_("C'est une autre personne (même e-mail ou téléphone qu'un contact existant)"), required=False
    )

    class Meta:
        model = Contact
        fields = ["first_names", "birth_name", "usage_name", "sex", "birth_date", "email", "phone",
                  "support_level", "opinion_notes"]  # fmt: skip
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }
        help_texts = {"phone": _("Ex. : 06 12 34 56 78 ; d'un autre pays, avec son indicatif (+32…)")}

    def __init__(self, *args, user, region="FR", **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.region = user, region
        contact = self.instance
        if not user.has_perm("crm.see_sensitive"):
            for name in Contact.SENSITIVE_FIELDS:
                del self.fields[name]
        for field in CONSENT_FIELDS:
            current = getattr(contact, field)
            # Given or refused stays on record: it can change, not go back to "never asked".
            choices = CONSENT_CHOICES if current is None else CONSENT_CHOICES[1:]
            initial = {None: "", True: "yes", False: "no"}[current]
            self.fields[field] = forms.ChoiceField(
                label=capfirst(Contact._meta.get_field(field).verbose_name),
                choices=choices,
                initial=initial,
                required=False,
            )
        if contact.household_id:
            home = contact.household
            self.initial.update(line1=home.address.line1, postal_code=home.address.postal_code,
                                city=home.address.city, household_label=home.label)  # fmt: skip
        if contact.pk:
            self.initial["tags"] = ", ".join(contact.tags.values_list("name", flat=True))

    GROUPS = [
        (_("Identité"), ["first_names", "birth_name", "usage_name", "sex", "birth_date"]),
        (_("Pour la joindre"), ["email", "phone", "another_person"]),
        (_("Adresse"), ["line1", "household_label", "postal_code", "city"]),
        (_("Étiquettes"), ["tags"]),
        (_("Accords"), [*CONSENT_FIELDS, "consent_reason", "new_consent"]),
        (_("Opinion (donnée sensible)"), list(Contact.SENSITIVE_FIELDS)),
    ]

    def groups(self):
        """[(heading, [bound fields])]; a heading whose fields this user may not see is left out."""
        shown = [(heading, [self[n] for n in names if n in self.fields]) for heading, names in self.GROUPS]
        return [(heading, fields) for heading, fields in shown if fields]

    def clean_phone(self):
        raw = self.cleaned_data["phone"].strip()
        return normalise_phone(raw, self.region) if raw else ""

    def clean_email(self):
        email = (self.cleaned_data["email"] or "").strip().lower()
        if email and email != self.instance.email and gdpr.is_suppressed(email=email):
            raise forms.ValidationError(_("Cette personne a demandé l'effacement de ses données."))
        return email

    def clean_tags(self):
        names = [" ".join(n.split()) for n in self.cleaned_data["tags"].split(",")]
        if too_long := [n for n in names if len(n) > 80]:
            raise forms.ValidationError(_("Étiquette trop longue (80 caractères au plus) : %(n)s") % {"n": too_long[0]})
        return [n for n in names if n]

    def clean(self):
        data = super().clean()
        if not (data.get("birth_name") or data.get("usage_name") or data.get("first_names") or data.get("email")
                or data.get("phone")):  # fmt: skip
            self.add_error(None, _("Donnez au moins un nom, un e-mail ou un téléphone."))
        if not data.get("line1") and (data.get("postal_code") or data.get("city") or data.get("household_label")):
            self.add_error("line1", _("Indiquez le numéro et la rue."))
        for field in CONSENT_FIELDS:
            value = CONSENT_VALUES.get(data.get(field) or "")
            data[field] = value
            lifting = getattr(self.instance, field) is False and value is True
            if lifting and not (data.get("consent_reason", "").strip() and data.get("new_consent")):
                self.add_error(field, _("Cette personne s'est opposée : indiquez le motif et cochez son nouvel "
                                        "accord pour lever l'opposition."))  # fmt: skip
        if not data.get("another_person"):
            self._check_not_someone_else(data)
        return data

    def _check_not_someone_else(self, data):
        """A new e-mail or phone that another contact holds: most often the same person
        typed twice. Say who, with a link; the team confirms when it is someone else."""
        for kind, label in (("email", _("Cet e-mail")), ("phone", _("Ce téléphone"))):
            value = data.get(kind)
            if not value or value == getattr(self.instance, kind):
                continue
            other = Contact.objects.filter(Contact.holding(kind, value), erased_at__isnull=True)
            other = other.exclude(pk=self.instance.pk).first() if self.instance.pk else other.first()
            if other:
                self.add_error(kind, format_html(
                    _('{what} est déjà celui de <a href="{url}">{name}</a>. Si c\'est une autre personne, cochez '
                      "« C'est une autre personne »."), what=label, url=reverse("crm:contact", args=[other.pk]),
                    name=str(other),
                ))  # fmt: skip

    def save_by_hand(self, actor):
        """Save through crm.editing.save_by_hand; returns the contact (self.changed: what changed)."""
        data = self.cleaned_data
        changes = {name: data[name] for name in self._meta.fields if name in self.fields}
        home = None
        if data.get("line1"):
            home = home_for(data["line1"], data.get("postal_code", ""), data.get("city", ""),
                            data.get("household_label", ""))  # fmt: skip
        # The form wrote its values on self.instance when it validated: compare with the
        # contact as it is stored.
        contact = Contact.objects.get(pk=self.instance.pk) if self.instance.pk else Contact()
        self.changed = save_by_hand(
            contact, changes, actor=actor, consents={f: data[f] for f in CONSENT_FIELDS}, tags=data["tags"],
            home=home, reason=data.get("consent_reason", "").strip(), new_consent=data.get("new_consent", False),
        )  # fmt: skip
        return contact
