import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.singletons import OneRowModel


class MessagingSettings(OneRowModel):
    """Per-campaign sending identity, provider keys and quiet hours (one row)."""

    sender_email = models.EmailField(_("adresse d'expédition"), blank=True)
    sender_name = models.CharField(_("nom d'expéditeur"), max_length=120, blank=True)
    reply_to = models.EmailField(_("adresse de réponse"), blank=True)
    # SendGrid: "Mail Settings > Event Webhook > Signature verification" public key.
    sendgrid_webhook_key = models.TextField(_("clé de vérification du webhook SendGrid"), blank=True)
    sms_sender = models.CharField(_("expéditeur SMS"), max_length=11, blank=True,
                                  help_text=_("11 caractères au plus (lettres et chiffres) ou un numéro"))  # fmt: skip
    quiet_start = models.TimeField(_("pas d'envoi à partir de"), default=dt.time(20, 0))
    quiet_end = models.TimeField(_("reprise des envois à"), default=dt.time(8, 0))
    quiet_sundays = models.BooleanField(_("pas d'envoi le dimanche"), default=True)
    quiet_holidays = models.BooleanField(_("pas d'envoi les jours fériés"), default=True)
    # What a person reads after opting out (every channel at once, crm/consent.py).
    optout_text_email = models.TextField(
        _("confirmation de désabonnement (e-mail)"), blank=True,
        help_text=_("Affichée après un clic sur « se désabonner ». Vide : texte par défaut."),
    )  # fmt: skip
    optout_text_sms = models.CharField(
        _("réponse au STOP (SMS)"), max_length=160, blank=True,
        help_text=_("Envoyée en réponse à un STOP. Vide : pas de réponse."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("réglages des messages")
        verbose_name_plural = _("réglages des messages")

    def __str__(self):
        return str(_("Réglages des messages"))


class Message(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SCHEDULED = "scheduled", _("Programmé")
        SENDING = "sending", _("En cours d'envoi")
        SENT = "sent", _("Envoyé")
        CANCELLED = "cancelled", _("Annulé")

    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    name = models.CharField(_("nom interne"), max_length=200)
    subject = models.CharField(_("objet"), max_length=200, blank=True)
    body = models.TextField(_("texte"), help_text=_("Markdown pour un e-mail ; champs de fusion : {{ first_name }}…"))
    segment = models.ForeignKey("crm.Segment", on_delete=models.PROTECT, related_name="+", verbose_name=_("segment"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(_("envoi prévu le"), null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created"]

    def __str__(self):
        return self.name


class Send(models.Model):
    """One recipient of one message. Unique per (message, contact): a retried or
    restarted task finds the row and never sends twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("À envoyer")
        CLAIMED = "claimed", _("En cours")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")
        DELIVERED = "delivered", _("Remis")
        OPENED = "opened", _("Ouvert")
        CLICKED = "clicked", _("Cliqué")
        BOUNCED = "bounced", _("Rejeté")
        DROPPED = "dropped", _("Abandonné")
        SPAM = "spam", _("Signalé comme spam")
        UNSUBSCRIBED = "unsubscribed", _("Désabonné")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="sends")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    to = models.CharField(max_length=254)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    # Set when a worker takes the row for a request; a stale claim means a worker died mid-request.
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_id = models.CharField(max_length=120, blank=True)
    error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("envoi")
        verbose_name_plural = _("envois")
        constraints = [models.UniqueConstraint(fields=["message", "contact"], name="messaging_send_once")]
        indexes = [models.Index(fields=["message", "status"], name="messaging_send_status")]

    def __str__(self):
        return f"{self.message_id}:{self.contact_id} {self.status}"


class ProviderEvent(models.Model):
    """A provider event already applied (SendGrid's sg_event_id, an SMS provider's id):
    a replayed webhook finds it and changes nothing."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=120)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="messaging_event_once")]

    def __str__(self):
        return f"{self.provider}:{self.event_id}"


class SmsOutbox(models.Model):
    """What the console SMS backend "sent" (development), shown in the staff UI."""

    to = models.CharField(max_length=20)
    sender = models.CharField(max_length=20, blank=True)
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("SMS (console)")
        verbose_name_plural = _("SMS (console)")

    def __str__(self):
        return f"{self.to}: {self.body[:40]}"
