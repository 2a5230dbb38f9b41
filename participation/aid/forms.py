from django import forms
from django.utils.translation import gettext_lazy as _

from participation.forms import HoneypotMixin

from .models import HelpPost


class HelpPostForm(HoneypotMixin, forms.ModelForm):
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)

    class Meta:
        model = HelpPost
        fields = ["kind", "category", "title", "body", "area_label"]
        widgets = {"kind": forms.RadioSelect, "body": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"area_label": _("Un quartier ou une commune, jamais votre adresse exacte.")}

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"] = forms.ChoiceField(label=_("Catégorie"), choices=[(c, c) for c in categories])

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error(None, _("Le point sur la carte est incomplet : cliquez à nouveau sur la carte."))
        return data


class MessageForm(HoneypotMixin):
    body = forms.CharField(label=_("Votre message"), max_length=3000, widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=_("Votre adresse e-mail n'est pas transmise. Donnez un moyen de vous "
                                       "joindre seulement si vous le souhaitez."))  # fmt: skip


class FilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("Tous"))] + HelpPost.Kind.choices)
    category = forms.ChoiceField(label=_("Catégorie"), required=False)
    zone = forms.ChoiceField(label=_("Quartier"), required=False)

    def __init__(self, *args, categories=(), zones=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Toutes"))] + [(c, c) for c in categories]
        self.fields["zone"].choices = [("", _("Tous"))] + [(str(pk), name) for pk, name in zones]
