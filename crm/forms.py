from django import forms
from django.utils.translation import gettext_lazy as _

from .importing.mapping import CUSTOM_PREFIX, IGNORE, field_choices
from .models import Segment, Tag


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
    consent = forms.ChoiceField(
        label=_("Accord"),
        required=False,
        choices=[("", "—"), ("email", _("E-mail")), ("sms", _("SMS")), ("phone", _("Téléphone")),
                 ("door", _("Porte-à-porte"))],
    )  # fmt: skip
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


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Nom du segment"), max_length=120)
    search = forms.CharField(label=_("Nom ou e-mail contient"), required=False)
    tags = forms.ModelMultipleChoiceField(
        label=_("Avec toutes ces étiquettes"), queryset=Tag.objects.all(), required=False, to_field_name="name"
    )
    consent = forms.MultipleChoiceField(
        label=_("Ont donné leur accord pour"),
        required=False,
        choices=[("email", _("E-mail")), ("sms", _("SMS")), ("phone", _("Téléphone")), ("door", _("Porte-à-porte"))],
        widget=forms.CheckboxSelectMultiple,
    )
    support_min = forms.IntegerField(label=_("Soutien minimum (1–5)"), min_value=1, max_value=5, required=False)
    polling_stations = forms.CharField(label=_("Bureaux de vote (séparés par des virgules)"), required=False)
    never_contacted = forms.BooleanField(label=_("Jamais contactés"), required=False)

    def filters(self):
        d = self.cleaned_data
        filters = {}
        if d["search"]:
            filters["search"] = d["search"]
        if d["tags"]:
            filters["tags"] = [t.name for t in d["tags"]]
        if d["consent"]:
            filters["consent"] = dict.fromkeys(d["consent"], True)
        if d["support_min"]:
            filters["support_min"] = d["support_min"]
        if d["polling_stations"]:
            filters["polling_stations"] = [s.strip() for s in d["polling_stations"].split(",") if s.strip()]
        if d["never_contacted"]:
            filters["never_contacted"] = True
        return filters
