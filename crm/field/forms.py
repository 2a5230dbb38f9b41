from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from campaigns.accounts.models import STAFF_ROLES, Team
from crm.models import Segment

from .actions import BadSurvey, assignment_problems, clean_result_codes, clean_survey
from .models import Action, Assignment, Turf, Zone

# The words a team types in the survey box, and what they mean.
TYPE_WORDS = {
    "oui/non": "yes_no", "yes/no": "yes_no", "choix": "single", "choice": "single",
    "choix multiples": "multiple", "multiple": "multiple", "échelle": "scale", "echelle": "scale",
    "scale": "scale", "texte": "text", "text": "text",
}  # fmt: skip
UPDATE_WORDS = {
    "soutien": "support_level", "support": "support_level", "accord e-mail": "consent_email",
    "accord sms": "consent_sms", "accord téléphone": "consent_phone", "accord porte-à-porte": "consent_door",
    "étiquette": "tag", "tag": "tag", "bénévole": "volunteer", "volunteer": "volunteer",
}  # fmt: skip


def survey_from_text(text):
    """One question per line: `label | type | choices separated by / | updates`."""
    survey, problems = [], []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        label, kind = parts[0], TYPE_WORDS.get((parts[1] if len(parts) > 1 else "oui/non").lower())
        if kind is None:
            problems.append(
                _("Ligne %(n)d : type « %(t)s » inconnu (oui/non, choix, choix multiples, échelle, texte).")
                % {"n": n, "t": parts[1]}
            )
            continue
        question = {"id": f"q{len(survey) + 1}", "label": label, "type": kind}
        if len(parts) > 2 and parts[2]:
            question["choices"] = [c.strip() for c in parts[2].split("/") if c.strip()]
        if len(parts) > 3 and parts[3]:
            word = parts[3].lower()
            target = UPDATE_WORDS.get(word)
            if target is None and word.startswith(("étiquette:", "tag:")):
                target, question["tag"] = "tag", parts[3].split(":", 1)[1].strip()
            if target is None:
                problems.append(
                    _("Ligne %(n)d : « %(u)s » ne correspond à aucun champ du contact.") % {"n": n, "u": parts[3]}
                )
                continue
            question["updates"] = target
        survey.append(question)
    if problems:
        raise BadSurvey(problems)
    return clean_survey(survey)


def survey_to_text(survey):
    types = {v: k for k, v in reversed(TYPE_WORDS.items())}
    updates = {v: k for k, v in reversed(UPDATE_WORDS.items())}
    lines = []
    for q in survey or []:
        update = updates.get(q.get("updates"), "")
        if q.get("updates") == "tag" and q.get("tag"):
            update = f"étiquette: {q['tag']}"
        parts = [q["label"], types.get(q["type"], q["type"]), " / ".join(q.get("choices", [])), update]
        lines.append(" | ".join(parts).rstrip(" |"))
    return "\n".join(lines)


class ActionForm(forms.ModelForm):
    survey_text = forms.CharField(
        label=_("Questionnaire"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Une question par ligne : intitulé | type (oui/non, choix, choix multiples, échelle, texte) | "
                    "choix séparés par / | champ mis à jour (soutien, accord SMS, accord e-mail, accord téléphone, "
                    "bénévole, étiquette, étiquette: NOM). Ex. : « Soutien | échelle | | soutien »."),
    )  # fmt: skip

    class Meta:
        model = Action
        fields = ["name", "kind", "starts_on", "ends_on", "objective", "zones", "segment", "team", "script"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "zones": forms.SelectMultiple(attrs={"size": 6}),
            "script": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zones"].queryset = Zone.objects.order_by("name")
        self.fields["segment"].queryset = Segment.objects.order_by("name")
        self.fields["team"].queryset = Team.objects.order_by("name")
        if self.instance.pk:
            self.fields["survey_text"].initial = survey_to_text(self.instance.survey)

    def clean_survey_text(self):
        try:
            return survey_from_text(self.cleaned_data["survey_text"])
        except BadSurvey as exc:
            raise forms.ValidationError(exc.problems) from None

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("La fin est avant le début."))
        if data.get("kind") == Action.Kind.PHONE and not data.get("segment"):
            self.add_error("segment", _("Un phoning appelle les personnes d'un segment : choisissez-le."))
        return data

    def save(self, commit=True):
        action = super().save(commit=False)
        action.survey = self.cleaned_data.get("survey_text") or []
        if not action.result_codes or "kind" in self.changed_data:
            action.result_codes = clean_result_codes([], action.kind)
        if commit:
            action.save()
            self.save_m2m()
        return action


class AssignmentForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ["turf", "volunteer", "team", "starts_at", "ends_at"]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        self.fields["turf"].queryset = Turf.objects.filter(zone__in=action.zones.all()).order_by("name")
        self.fields["volunteer"].queryset = (
            get_user_model().objects.filter(role__in=[r.value for r in STAFF_ROLES], is_active=True).order_by("email")
        )
        self.fields["volunteer"].label_from_instance = lambda u: f"{u.public_name} ({u.email})"
        self.fields["team"].queryset = Team.objects.order_by("name")

    def clean(self):
        data = super().clean()
        problems = assignment_problems(
            self.action, turf=data.get("turf"), volunteer=data.get("volunteer"), team=data.get("team"),
            starts_at=data.get("starts_at"), ends_at=data.get("ends_at"),
        )  # fmt: skip
        for field, message in problems:
            if field is None:
                raise forms.ValidationError(message)
            self.add_error(field, message)
        return data

    def save(self, commit=True):
        self.instance.action = self.action
        return super().save(commit)


class CutForm(forms.Form):
    zone = forms.ModelChoiceField(label=_("Zone"), queryset=Zone.objects.none())
    doors_per_turf = forms.IntegerField(label=_("Portes par secteur"), min_value=10, max_value=5000, initial=150)

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = action.zones.order_by("name")
