"""Mutual aid ("entraide"): offers and requests of help with an approximate place,
and private conversations relayed by the platform (nobody's e-mail is shown)."""

from django.conf import settings
from django.contrib.gis.db import models as gis
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from campaigns.singletons import OneRowModel
from participation.models import Moderated

USER = settings.AUTH_USER_MODEL

DEFAULT_CATEGORIES = [
    "Garde d'enfants", "Courses et médicaments", "Compagnie pour personnes isolées", "Démarches administratives",
    "Aide aux récoltes", "Prêt de matériel", "Transport", "Autre",
]  # fmt: skip


def default_categories():
    return list(DEFAULT_CATEGORIES)


class AidSettings(OneRowModel):
    categories = models.JSONField(_("catégories"), default=default_categories)

    class Meta:
        verbose_name = _("réglages de l'entraide")
        verbose_name_plural = _("réglages de l'entraide")

    def __str__(self):
        return str(_("Réglages de l'entraide"))


class HelpPost(Moderated):
    class Kind(models.TextChoices):
        OFFER = "offer", _("Je propose de l'aide")
        REQUEST = "request", _("J'ai besoin d'aide")

    class Status(models.TextChoices):
        OPEN = "open", _("Ouverte")
        CLOSED = "closed", _("Pourvue / close")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    category = models.CharField(_("catégorie"), max_length=80)
    title = models.CharField(_("titre"), max_length=160)
    body = models.TextField(_("description"), max_length=3000)
    # Only an approximate point is ever stored (snapped to a grid of about 300 m).
    area = gis.PointField(_("secteur"), srid=4326, null=True, blank=True)
    area_label = models.CharField(_("quartier ou commune"), max_length=120, blank=True)
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="help_posts")
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("annonce d'entraide")
        verbose_name_plural = _("annonces d'entraide")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("aid:post", args=[self.pk])


class Conversation(models.Model):
    """Someone answering a post, and the post's author: messages relayed by e-mail."""

    post = models.ForeignKey(HelpPost, on_delete=models.CASCADE, related_name="conversations")
    asker = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "asker"], name="aid_one_conversation_per_person")]

    def __str__(self):
        return f"{self.post_id}/{self.asker_id}"

    def get_absolute_url(self):
        return reverse("aid:conversation", args=[self.pk])


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(max_length=3000)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self):
        return f"{self.conversation_id}: {self.body[:40]}"
