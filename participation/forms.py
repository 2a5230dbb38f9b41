import re

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from crm.services import normalise_phone

from .models import Comment, Event, Flag, NewsPost, Page, Project, SiteSettings, Step
from .presets import DEFAULT_DAYS, PROJECT_PRESETS

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
MAX_IMAGE = 5 * 1024 * 1024


def check_image(image):
    if image and hasattr(image, "size"):
        if image.size > MAX_IMAGE:
            raise ValidationError(_("Image trop lourde (5 Mo au plus)."))
        content_type = getattr(image, "content_type", None)
        if content_type and content_type not in IMAGE_TYPES:
            raise ValidationError(_("Format d'image non accepté : JPEG, PNG, WebP ou GIF."))
    return image


class HoneypotMixin(forms.Form):
    """A field people never see nor fill; robots that fill every field do."""

    website = forms.CharField(
        required=False, label=_("Ne pas remplir ce champ"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["website"] = self.fields.pop("website")  # last: after the fields people fill

    def clean_website(self):
        if self.cleaned_data.get("website"):
            raise ValidationError(_("Formulaire refusé : un champ caché a été rempli."))
        return ""


# -- Citizens -----------------------------------------------------------------------------


class SignUpForm(HoneypotMixin):
    email = forms.EmailField(label=_("Adresse e-mail"))
    full_name = forms.CharField(label=_("Prénom et nom"), max_length=200)
    display_name = forms.CharField(
        label=_("Nom affiché (facultatif)"), max_length=80, required=False,
        help_text=_("Montré à côté de vos contributions publiques à la place de votre nom."),
    )  # fmt: skip
    password = forms.CharField(
        label=_("Mot de passe"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    consent_email = forms.BooleanField(label=_("Je souhaite être tenu·e informé·e par e-mail"), required=False)
    consent_sms = forms.BooleanField(label=_("Je souhaite être tenu·e informé·e par SMS"), required=False)
    phone = forms.CharField(label=_("Téléphone mobile (pour les SMS)"), max_length=30, required=False)
    accept = forms.BooleanField(label=_("J'ai lu la politique de confidentialité"))

    def __init__(self, *args, region="FR", **kwargs):
        self.region = region
        super().__init__(*args, **kwargs)
        self.order_fields(["email", "full_name", "display_name", "password", "consent_email", "consent_sms", "phone"])

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise ValidationError(
                _("Un compte existe déjà avec cette adresse. Connectez-vous ou réinitialisez le mot de passe.")
            )
        return email

    def clean_phone(self):
        raw = self.cleaned_data.get("phone", "").strip()
        return normalise_phone(raw, self.region) if raw else ""

    def clean(self):
        data = super().clean()
        if data.get("consent_sms") and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", _("Indiquez un numéro de mobile pour recevoir des SMS."))
        if data.get("password"):
            user = get_user_model()(email=data.get("email", ""), full_name=data.get("full_name", ""))
            try:
                password_validation.validate_password(data["password"], user)
            except ValidationError as exc:
                self.add_error("password", exc)
        return data

    def consents(self):
        return [c for c in ("email", "sms") if self.cleaned_data.get(f"consent_{c}")]


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Prénom et nom"), max_length=200)
    display_name = forms.CharField(label=_("Nom affiché (facultatif)"), max_length=80, required=False)
    consent_email = forms.BooleanField(label=_("Je souhaite être tenu·e informé·e par e-mail"), required=False)
    consent_sms = forms.BooleanField(label=_("Je souhaite être tenu·e informé·e par SMS"), required=False)
    notify_news = forms.BooleanField(label=_("Recevoir les actualités"), required=False)
    notify_projects = forms.BooleanField(label=_("Être prévenu·e des nouvelles étapes des projets"), required=False)
    notify_replies = forms.BooleanField(label=_("Être prévenu·e des réponses à mes contributions"), required=False)


class DeleteAccountForm(forms.Form):
    password = forms.CharField(label=_("Mot de passe actuel"), widget=forms.PasswordInput)
    erase = forms.BooleanField(
        label=_("Effacer aussi toutes mes données de contact détenues par la campagne"), required=False
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        if not self.user.check_password(self.cleaned_data["password"]):
            raise ValidationError(_("Mot de passe incorrect."))
        return ""


class ResendForm(HoneypotMixin):
    email = forms.EmailField(label=_("Adresse e-mail"))


class RsvpForm(HoneypotMixin):
    name = forms.CharField(label=_("Nom"), max_length=200)
    email = forms.EmailField(label=_("Adresse e-mail"))


class CommentForm(HoneypotMixin, forms.ModelForm):
    class Meta:
        model = Comment
        fields = ["body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}


class FlagForm(forms.ModelForm):
    class Meta:
        model = Flag
        fields = ["reason", "text"]
        widgets = {"reason": forms.RadioSelect, "text": forms.Textarea(attrs={"rows": 3})}


# -- Staff --------------------------------------------------------------------------------


class SiteSettingsForm(forms.ModelForm):
    class Meta:
        model = SiteSettings
        fields = ["tagline", "intro", "primary_colour", "logo", "share_description", "share_image",
                  "new_account_days", "blocked_words"]  # fmt: skip
        widgets = {"primary_colour": forms.TextInput(attrs={"type": "color"})}

    def clean_primary_colour(self):
        colour = self.cleaned_data.get("primary_colour", "").strip()
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
            raise ValidationError(_("« %(c)s » n'est pas une couleur : écrivez-la comme #1d4ed8.") % {"c": colour})
        return colour.lower()

    def clean_logo(self):
        return check_image(self.cleaned_data.get("logo"))

    def clean_share_image(self):
        return check_image(self.cleaned_data.get("share_image"))


class PageForm(forms.ModelForm):
    class Meta:
        model = Page
        fields = ["title", "slug", "body", "in_menu", "menu_order", "published"]


class NewsPostForm(forms.ModelForm):
    publish = forms.BooleanField(label=_("Publier"), required=False)

    class Meta:
        model = NewsPost
        fields = ["title", "slug", "summary", "body", "image", "image_alt"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = _("Laissez vide pour la déduire du titre.")
        self.fields["publish"].initial = bool(self.instance.published_at)

    def clean_image(self):
        return check_image(self.cleaned_data.get("image"))

    def clean(self):
        data = super().clean()
        if data.get("image") and not data.get("image_alt"):
            self.add_error("image_alt", _("Décrivez l'image pour les personnes qui ne la voient pas."))
        return data


class EventForm(forms.ModelForm):
    online_url = forms.URLField(label=_("Lien en ligne"), required=False, assume_scheme="https")
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)

    class Meta:
        model = Event
        fields = ["title", "slug", "description", "starts_at", "ends_at", "place", "online_url", "capacity",
                  "published"]  # fmt: skip
        widgets = {"starts_at": DATETIME, "ends_at": DATETIME}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = _("Laissez vide pour la déduire du titre.")
        if self.instance.location:
            self.fields["latitude"].initial = self.instance.location.y
            self.fields["longitude"].initial = self.instance.location.x

    def clean(self):
        data = super().clean()
        lat, lon = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lon is None):
            self.add_error("longitude" if lon is None else "latitude", _("Indiquez la latitude et la longitude."))
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] < data["starts_at"]:
            self.add_error("ends_at", _("La fin doit suivre le début."))
        return data

    def save(self, commit=True):
        lat, lon = self.cleaned_data.get("latitude"), self.cleaned_data.get("longitude")
        self.instance.location = Point(lon, lat, srid=4326) if lat is not None and lon is not None else None
        return super().save(commit)


class ProjectFromPresetForm(forms.Form):
    preset = forms.ChoiceField(label=_("Modèle de démarche"))
    title = forms.CharField(label=_("Titre"), max_length=200, required=False,
                            help_text=_("Laissez vide pour reprendre le nom du modèle."))  # fmt: skip
    starts_on = forms.DateField(label=_("Début"), widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(label=_("Durée (jours)"), min_value=1, max_value=365, initial=DEFAULT_DAYS)
    visibility = forms.ChoiceField(label=_("Accès"), choices=Project.Visibility.choices)
    anonymous = forms.BooleanField(label=_("Participation anonyme"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preset"].choices = [(p.name, p.label) for p in PROJECT_PRESETS.values()]


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["title", "summary", "description", "visibility", "groups", "allowed_domains", "invited_emails",
                  "anonymous", "published"]  # fmt: skip
        widgets = {"groups": forms.CheckboxSelectMultiple}

    def clean_allowed_domains(self):
        domains = [d.strip().lower().lstrip("@") for d in self.cleaned_data.get("allowed_domains") or [] if d.strip()]
        for d in domains:
            if "." not in d or " " in d:
                raise ValidationError(_("« %(d)s » n'est pas un nom de domaine.") % {"d": d})
        return domains

    def clean_invited_emails(self):
        return sorted({e.strip().lower() for e in self.cleaned_data.get("invited_emails") or [] if e.strip()})


class StepForm(forms.ModelForm):
    """A step's dates and texts; for idea box and vote steps, the voting rules too
    (kept in the step's configuration, read by participation.ideas)."""

    vote_limit = forms.IntegerField(
        label=_("Soutiens par personne (idées et votes)"), required=False, min_value=1, max_value=1000,
        help_text=_("Vide : autant que de propositions."),
    )  # fmt: skip
    vote_zone = forms.ModelChoiceField(
        label=_("Vote réservé aux habitants de la zone"), required=False, queryset=None,
        help_text=_("Seules les personnes dont l'adresse connue est dans la zone peuvent voter."),
    )  # fmt: skip

    class Meta:
        model = Step
        fields = ["title", "kind", "starts_at", "ends_at", "description"]
        widgets = {"starts_at": DATETIME, "ends_at": DATETIME, "description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        from crm.field.models import Zone

        super().__init__(*args, **kwargs)
        self.fields["vote_zone"].queryset = Zone.objects.order_by("name")
        config = self.instance.config or {}
        self.fields["vote_limit"].initial = config.get("vote_limit")
        self.fields["vote_zone"].initial = config.get("vote_zone")

    def save(self, commit=True):
        config = dict(self.instance.config or {})
        for key, value in (("vote_limit", self.cleaned_data.get("vote_limit")),
                           ("vote_zone", self.cleaned_data.get("vote_zone"))):  # fmt: skip
            if value:
                config[key] = value.pk if key == "vote_zone" else value
            else:
                config.pop(key, None)
        self.instance.config = config
        return super().save(commit)


StepFormSet = inlineformset_factory(Project, Step, form=StepForm, extra=0, can_delete=False)


class HideForm(forms.Form):
    reason = forms.CharField(label=_("Motif public"), max_length=300)


class BanForm(forms.Form):
    days = forms.IntegerField(label=_("Durée (jours)"), min_value=1, max_value=3650, initial=7)
    reason = forms.CharField(label=_("Motif"), max_length=300, required=False)
