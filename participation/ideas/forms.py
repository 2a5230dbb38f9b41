from django import forms
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from participation.forms import HoneypotMixin, check_image

from .models import Proposal


class ProposalForm(HoneypotMixin, forms.ModelForm):
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)

    class Meta:
        model = Proposal
        fields = ["title", "body", "theme", "address", "image"]
        widgets = {"body": forms.Textarea(attrs={"rows": 5})}
        labels = {"address": _("Adresse ou lieu (facultatif)")}

    def __init__(self, *args, themes=(), **kwargs):
        super().__init__(*args, **kwargs)
        if themes:
            self.fields["theme"] = forms.ChoiceField(label=_("Thème"), choices=[("", "—")] + [(t, t) for t in themes],
                                                     required=False)  # fmt: skip
        self.fields["image"].required = False

    def clean_image(self):
        return check_image(self.cleaned_data.get("image"))

    def clean(self):
        data = super().clean()
        lat, lon = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lon is None):
            raise ValidationError(_("Le point sur la carte est incomplet : cliquez à nouveau sur la carte."))
        data["location"] = Point(lon, lat, srid=4326) if lat is not None else None
        return data


class AnswerForm(forms.Form):
    status = forms.ChoiceField(label=_("Statut"), choices=Proposal.Status.choices)
    answer = forms.CharField(label=_("Réponse officielle"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class QuestionForm(HoneypotMixin):
    body = forms.CharField(label=_("Votre question"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class QuestionAnswerForm(forms.Form):
    answer = forms.CharField(label=_("Réponse officielle"), widget=forms.Textarea(attrs={"rows": 3}))


SORTS = {
    "votes": _("Les plus soutenues"),
    "new": _("Les plus récentes"),
    "comments": _("Les plus commentées"),
    "random": _("Au hasard"),
}


class FilterForm(forms.Form):
    theme = forms.ChoiceField(label=_("Thème"), required=False)
    status = forms.ChoiceField(label=_("Statut"), required=False, choices=[("", _("Tous"))] + Proposal.Status.choices)
    zone = forms.ChoiceField(label=_("Quartier"), required=False)
    sort = forms.ChoiceField(label=_("Trier"), required=False, choices=list(SORTS.items()))

    def __init__(self, *args, themes=(), zones=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = [("", _("Tous"))] + [(t, t) for t in themes]
        self.fields["zone"].choices = [("", _("Tous"))] + [(str(pk), name) for pk, name in zones]
