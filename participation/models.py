"""The campaign's public site: settings, pages, news, events, projects and their
steps, citizens' profiles, comments and moderation. The modules hosted by steps
(idea box, questionnaire, Q&A...) are the participation-modules issue."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.db import models as gis
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.singletons import OneRowModel

USER = settings.AUTH_USER_MODEL


class SiteSettings(OneRowModel):
    """What the public site says and looks like, and its moderation settings."""

    tagline = models.CharField(_("accroche"), max_length=200, blank=True)
    intro = models.TextField(_("présentation"), blank=True)
    primary_colour = models.CharField(_("couleur principale"), max_length=7, default="#1d4ed8")
    logo = models.ImageField(_("logo"), upload_to="site/", blank=True)
    share_description = models.CharField(
        _("description pour le partage"), max_length=300, blank=True,
        help_text=_("Texte affiché quand un lien du site est partagé sur un réseau social."),
    )  # fmt: skip
    share_image = models.ImageField(_("image de partage"), upload_to="site/", blank=True)
    # Moderation: contributions of accounts younger than this that contain a link or
    # a blocked word wait for a moderator.
    new_account_days = models.PositiveSmallIntegerField(_("compte récent (jours)"), default=7)
    blocked_words = models.TextField(_("mots bloqués"), blank=True, help_text=_("Un mot ou une expression par ligne."))

    class Meta:
        verbose_name = _("réglages du site")
        verbose_name_plural = _("réglages du site")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(primary_colour__regex=r"^#[0-9a-fA-F]{6}$"),
                name="participation_site_colour_hex",
            )
        ]

    def __str__(self):
        return str(_("Réglages du site"))

    def blocked_word_list(self):
        return [w.strip().lower() for w in self.blocked_words.splitlines() if w.strip()]


class Page(models.Model):
    """A static page: the programme, the team, legal notice, privacy policy."""

    slug = models.SlugField(_("adresse"), max_length=80, unique=True)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte"), blank=True, help_text=_("Markdown"))
    in_menu = models.BooleanField(_("dans le menu"), default=True)
    menu_order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    published = models.BooleanField(_("publiée"), default=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["menu_order", "title"]
        verbose_name = _("page")
        verbose_name_plural = _("pages")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("site:page", args=[self.slug])


class NewsPost(models.Model):
    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("adresse"), max_length=120, unique=True)
    summary = models.CharField(_("chapeau"), max_length=400, blank=True)
    body = models.TextField(_("texte"), blank=True, help_text=_("Markdown"))
    image = models.ImageField(_("image"), upload_to="news/", blank=True)
    image_alt = models.CharField(_("description de l'image"), max_length=200, blank=True)
    # Empty: a draft. In the future: scheduled.
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("actualité")
        verbose_name_plural = _("actualités")
        indexes = [models.Index(fields=["-published_at"], name="participation_news_published")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("site:news-post", args=[self.slug])

    @property
    def is_published(self):
        return self.published_at is not None and self.published_at <= timezone.now()


class Event(models.Model):
    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("adresse"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown"))
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"), null=True, blank=True)
    place = models.CharField(_("lieu"), max_length=300, blank=True)
    location = gis.PointField(_("position"), srid=4326, null=True, blank=True)
    online_url = models.URLField(_("lien en ligne"), blank=True)
    # Empty: no limit.
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True)
    published = models.BooleanField(_("publié"), default=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("événement")
        verbose_name_plural = _("événements")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("starts_at")),
                name="participation_event_ends_after_start",
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("site:event", args=[self.slug])


class Rsvp(models.Model):
    class Status(models.TextChoices):
        GOING = "going", _("Inscrit")
        WAITING = "waiting", _("Liste d'attente")
        CANCELLED = "cancelled", _("Annulé")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="rsvps")
    name = models.CharField(_("nom"), max_length=200)
    email = models.EmailField(_("e-mail"))
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created", "id"]
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        constraints = [models.UniqueConstraint(fields=["event", "email"], name="participation_rsvp_once")]

    def __str__(self):
        return f"{self.email} → {self.event_id} ({self.status})"


class ParticipantGroup(models.Model):
    """People a private project is open to (a department, a site, a neighbourhood)."""

    name = models.CharField(_("nom"), max_length=120, unique=True)
    members = models.ManyToManyField(USER, blank=True, related_name="participant_groups", verbose_name=_("membres"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("groupe de participants")
        verbose_name_plural = _("groupes de participants")

    def __str__(self):
        return self.name


class Project(models.Model):
    """A participatory process ("démarche"): ordered steps, each hosting a module."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Publique : tout le monde peut participer")
        VERIFIED = "verified", _("Visible par tous, participation réservée aux comptes vérifiés")
        PRIVATE = "private", _("Privée : personnes invitées, groupes ou domaines autorisés")

    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("adresse"), max_length=120, unique=True)
    summary = models.CharField(_("résumé"), max_length=400, blank=True)
    description = models.TextField(_("présentation"), blank=True, help_text=_("Markdown"))
    preset = models.CharField(_("modèle"), max_length=40, blank=True)
    visibility = models.CharField(_("accès"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    groups = models.ManyToManyField(ParticipantGroup, blank=True, verbose_name=_("groupes autorisés"))
    allowed_domains = ArrayField(
        models.CharField(max_length=120), default=list, blank=True, verbose_name=_("domaines e-mail autorisés"),
        help_text=_("Ex. entreprise.fr : toute personne dont l'e-mail vérifié finit par @entreprise.fr."),
    )  # fmt: skip
    invited_emails = ArrayField(models.EmailField(), default=list, blank=True, verbose_name=_("personnes invitées"))
    # Keeps no link between a contribution and its author, not even for admins.
    anonymous = models.BooleanField(_("participation anonyme"), default=False)
    published = models.BooleanField(_("publié"), default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("projet")
        verbose_name_plural = _("projets")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("site:project", args=[self.slug])


class Step(models.Model):
    class Kind(models.TextChoices):
        PRESENTATION = "presentation", _("Présentation")
        CONSULTATION = "consultation", _("Consultation")
        COLLECT = "collect", _("Boîte à idées")
        SELECTION = "selection", _("Sélection")
        VOTE = "vote", _("Vote")
        QUESTIONNAIRE = "questionnaire", _("Questionnaire")
        QA = "qa", _("Questions-réponses")
        RESULTS = "results", _("Résultats")

    class Status(models.TextChoices):
        UPCOMING = "upcoming", _("À venir")
        OPEN = "open", _("En cours")
        CLOSED = "closed", _("Terminée")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("ordre"))
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("présentation"), blank=True, help_text=_("Markdown"))
    starts_at = models.DateTimeField(_("ouverture"), null=True, blank=True)
    ends_at = models.DateTimeField(_("clôture"), null=True, blank=True)
    # Starter content for the step's module (themes, questions...), from a preset.
    config = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["project", "position"]
        verbose_name = _("étape")
        verbose_name_plural = _("étapes")
        constraints = [
            models.UniqueConstraint(fields=["project", "position"], name="participation_step_position"),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("starts_at")),
                name="participation_step_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("site:step", args=[self.project.slug, self.position])

    def status(self, now=None):
        now = now or timezone.now()
        if self.starts_at and now < self.starts_at:
            return self.Status.UPCOMING
        if self.ends_at and now >= self.ends_at:
            return self.Status.CLOSED
        return self.Status.OPEN


class CitizenProfile(models.Model):
    """What the public site keeps about a signed-up person beyond the login."""

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="citizen")
    contact = models.ForeignKey("crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    notify_news = models.BooleanField(_("recevoir les actualités"), default=False)
    notify_projects = models.BooleanField(_("être prévenu des nouvelles étapes des projets"), default=False)
    notify_replies = models.BooleanField(_("être prévenu des réponses à mes contributions"), default=True)
    banned_until = models.DateTimeField(_("suspendu jusqu'au"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("profil citoyen")
        verbose_name_plural = _("profils citoyens")

    def __str__(self):
        return str(self.user)

    @property
    def is_verified(self):
        return self.email_confirmed_at is not None

    def is_banned(self, now=None):
        return self.banned_until is not None and self.banned_until > (now or timezone.now())


class Visibility(models.TextChoices):
    """Where a contribution stands in moderation. Only VISIBLE is shown to the public."""

    VISIBLE = "visible", _("Visible")
    HELD = "held", _("En attente de modération")
    HIDDEN = "hidden", _("Masqué")
    TRASHED = "trashed", _("Supprimé")


class Moderated(models.Model):
    """What every contribution and comment carries for moderation."""

    visibility = models.CharField(
        _("modération"), max_length=10, choices=Visibility.choices, default=Visibility.VISIBLE, db_index=True
    )
    # Shown in place of the content when hidden ("Masqué : propos injurieux").
    hidden_reason = models.CharField(_("motif public"), max_length=300, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @classmethod
    def public(cls):
        return cls.objects.filter(visibility=Visibility.VISIBLE)


class Comment(Moderated):
    """A comment on a news post, a project (and later a proposal), with replies."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    # Empty when the author deleted their account, or in an anonymous project.
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments")
    body = models.TextField(_("commentaire"), max_length=5000)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created", "id"]
        verbose_name = _("commentaire")
        verbose_name_plural = _("commentaires")
        indexes = [models.Index(fields=["content_type", "object_id", "created"], name="participation_comment_target")]

    def __str__(self):
        return self.body[:60]

    def get_absolute_url(self):
        return f"{self.target.get_absolute_url()}#comment-{self.pk}"


class Flag(models.Model):
    """Someone reported a contribution or a comment."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Publicité ou spam")
        ABUSE = "abuse", _("Propos injurieux, haineux ou harcèlement")
        PERSONAL = "personal", _("Données personnelles d'un tiers")
        ILLEGAL = "illegal", _("Contenu illégal")
        OFF_TOPIC = "off_topic", _("Hors sujet")
        OTHER = "other", _("Autre")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    reason = models.CharField(_("motif"), max_length=12, choices=Reason.choices)
    text = models.TextField(_("précisions"), blank=True, max_length=2000)
    reporter = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    resolved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created", "id"]
        verbose_name = _("signalement")
        verbose_name_plural = _("signalements")

    def __str__(self):
        return f"{self.reason} {self.content_type_id}:{self.object_id}"


class ModerationEntry(models.Model):
    """The moderation log: who hid, restored, trashed, held, released or banned what."""

    class Action(models.TextChoices):
        HOLD = "hold", _("Mis en attente automatiquement")
        RELEASE = "release", _("Publié après vérification")
        HIDE = "hide", _("Masqué")
        RESTORE = "restore", _("Rétabli")
        TRASH = "trash", _("Supprimé")
        DISMISS = "dismiss", _("Signalements classés")
        BAN = "ban", _("Compte suspendu")
        UNBAN = "unban", _("Suspension levée")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    moderator = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, null=True, on_delete=models.SET_NULL, related_name="+")
    object_id = models.PositiveBigIntegerField(null=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("décision de modération")
        verbose_name_plural = _("journal de modération")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
