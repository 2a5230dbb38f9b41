"""Questionnaires: sections and questions of many types, conditional jumps, questions
for some participant groups only, signed-in or anonymous answers, save and resume."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from participation.models import ParticipantGroup, Step

USER = settings.AUTH_USER_MODEL


class Questionnaire(models.Model):
    step = models.OneToOneField(Step, on_delete=models.CASCADE, related_name="questionnaire")
    # No link at all between an answer and its author: a separate roll records who took
    # part, so nobody answers twice, without saying which answers are whose.
    anonymous = models.BooleanField(_("réponses anonymes"), default=False)
    public_results = models.BooleanField(_("résultats publics"), default=False)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self):
        return self.step.title


class Section(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("présentation"), blank=True)
    # Shown only to members of these groups (none: everyone).
    groups = models.ManyToManyField(ParticipantGroup, blank=True, related_name="+", verbose_name=_("groupes"))
    # Skip this section when an earlier answer equals a value: {"question": id, "equals": value}.
    skip_if = models.JSONField(_("sauter si"), default=dict, blank=True)

    class Meta:
        ordering = ["questionnaire", "position"]
        constraints = [models.UniqueConstraint(fields=["questionnaire", "position"], name="surveys_section_position")]

    def __str__(self):
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SHORT_TEXT = "short_text", _("Texte court")
        LONG_TEXT = "long_text", _("Texte long")
        SINGLE = "single_choice", _("Choix unique")
        MULTIPLE = "multiple_choice", _("Choix multiple")
        RANKING = "ranking", _("Classement")
        SCALE = "scale", _("Échelle")
        NUMBER = "number", _("Nombre")
        DATE = "date", _("Date")
        YES_NO = "yes_no", _("Oui / non")
        # A point picked on a map, kept only approximately; shown on the maps.
        PLACE = "place", _("Lieu sur une carte")

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("aide"), max_length=300, blank=True)
    required = models.BooleanField(_("obligatoire"), default=False)
    choices = models.JSONField(_("choix"), default=list, blank=True)
    min_choices = models.PositiveSmallIntegerField(null=True, blank=True)
    max_choices = models.PositiveSmallIntegerField(null=True, blank=True)
    scale_min = models.SmallIntegerField(default=1)
    scale_max = models.SmallIntegerField(default=5)
    groups = models.ManyToManyField(ParticipantGroup, blank=True, related_name="+", verbose_name=_("groupes"))

    class Meta:
        ordering = ["section", "position"]
        constraints = [models.UniqueConstraint(fields=["section", "position"], name="surveys_question_position")]

    def __str__(self):
        return self.label

    @property
    def pk_str(self):
        return str(self.pk)


class Response(models.Model):
    # Random ids: the order of responses says nothing about the order of the roll.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="responses")
    # Empty in anonymous questionnaires.
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The respondent's groups when they submitted (for results by group, shown from 5).
    groups = models.JSONField(default=list, blank=True)
    # Empty while the respondent is still answering (save and resume).
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Anonymous answers keep only the day, so that the time of the roll entry cannot
    # pair them up.
    submitted_on = models.DateField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "user"],
                condition=models.Q(user__isnull=False),
                name="surveys_one_response_per_user",
            )  # fmt: skip
        ]

    def __str__(self):
        return f"{self.questionnaire_id}#{self.pk}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    value = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="surveys_one_answer")]

    def __str__(self):
        return f"{self.question_id}: {self.value!r}"


class Roll(models.Model):
    """Who has answered an anonymous questionnaire, without saying what (no time, a
    random id)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="roll")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["questionnaire", "user"], name="surveys_roll_once")]

    def __str__(self):
        return f"{self.questionnaire_id}: {self.user_id}"
