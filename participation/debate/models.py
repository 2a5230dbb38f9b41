"""Consultation on a text: sections, contributions and amendments, arguments for and
against, agree / disagree / mixed votes, the team's synthesis per section, and the
opinion groups computed from the votes."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from participation.models import Moderated, Step

USER = settings.AUTH_USER_MODEL


class TextSection(models.Model):
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="text_sections")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte"), help_text=_("Markdown"))
    synthesis = models.TextField(_("synthèse de l'équipe"), blank=True)
    synthesis_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("partie du texte")
        verbose_name_plural = _("parties du texte")
        ordering = ["step", "position"]
        constraints = [models.UniqueConstraint(fields=["step", "position"], name="debate_section_position")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("debate:section", args=[self.pk])


class Contribution(Moderated):
    class Kind(models.TextChoices):
        CONTRIBUTION = "contribution", _("Contribution")
        AMENDMENT = "amendment", _("Amendement")

    section = models.ForeignKey(TextSection, on_delete=models.CASCADE, related_name="contributions")
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices, default=Kind.CONTRIBUTION)
    body = models.TextField(_("texte"), max_length=3000)
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    agree = models.PositiveIntegerField(default=0)
    disagree = models.PositiveIntegerField(default=0)
    mixed = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")

    def __str__(self):
        return self.body[:60]

    def get_absolute_url(self):
        return f"{self.section.get_absolute_url()}#contribution-{self.pk}"


class Vote(models.Model):
    class Value(models.IntegerChoices):
        AGREE = 1, _("D'accord")
        MIXED = 0, _("Mitigé")
        DISAGREE = -1, _("Pas d'accord")

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    value = models.SmallIntegerField(choices=Value.choices)
    at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contribution", "user"], name="debate_one_vote")]

    def __str__(self):
        return f"{self.user_id} {self.value:+d} {self.contribution_id}"


class Argument(Moderated):
    class Side(models.TextChoices):
        FOR = "for", _("Pour")
        AGAINST = "against", _("Contre")

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="arguments")
    side = models.CharField(_("côté"), max_length=8, choices=Side.choices)
    body = models.TextField(_("argument"), max_length=2000)
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    votes_count = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-votes_count", "created"]

    def __str__(self):
        return self.body[:60]

    def get_absolute_url(self):
        return self.contribution.get_absolute_url()


class ArgumentVote(models.Model):
    argument = models.ForeignKey(Argument, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["argument", "user"], name="debate_one_argument_vote")]

    def __str__(self):
        return f"{self.user_id} → {self.argument_id}"


class OpinionGroups(models.Model):
    """The last computation of a step's opinion groups (participation/debate/opinion.py)."""

    step = models.OneToOneField(Step, on_delete=models.CASCADE, related_name="opinion_groups")
    computed_at = models.DateTimeField()
    participants = models.PositiveIntegerField()
    data = models.JSONField()

    def __str__(self):
        return f"{self.step_id} @ {self.computed_at:%Y-%m-%d %H:%M}"
