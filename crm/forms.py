from django import forms
from django.utils.translation import gettext_lazy as _

from .importing.mapping import CUSTOM_PREFIX, IGNORE, field_choices
from .models import Channel, Segment, Tag
from .segments import PARTICIPATION_NAMES


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
