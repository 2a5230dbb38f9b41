from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Segment

from .models import Message
from .services import check_message
from .templating import BadTemplate


class MessageForm(forms.ModelForm):
    class Meta:
        model = Message
        fields = ["channel", "name", "segment", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}
        help_texts = {
            "body": _("E-mail : Markdown (**gras**, listes, [liens](https://…)). Champs de fusion : {{ first_name }}, "
                      "{{ last_name }}, {{ city }}, {{ postal_code }}. Le lien de désabonnement est ajouté."),
            "subject": _("E-mail seulement."),
        }  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.order_by("name")

    def clean(self):
        data = super().clean()
        if data.get("channel") == Message.Channel.EMAIL and not data.get("subject"):
            self.add_error("subject", _("Un e-mail a besoin d'un objet."))
        probe = Message(subject=data.get("subject") or "", body=data.get("body") or "")
        try:
            check_message(probe)
        except BadTemplate as exc:
            raise forms.ValidationError(exc.problems) from None
        return data


class ScheduleForm(forms.Form):
    at = forms.DateTimeField(label=_("Envoyer le"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
