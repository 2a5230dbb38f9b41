"""The idea box (proposals, votes, official answers) and Q&A (questions, up-votes,
official answers): modules hosted by a project's steps."""

from django.conf import settings
from django.contrib.gis.db import models as gis
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from participation.models import Moderated, Step

USER = settings.AUTH_USER_MODEL


class Proposal(Moderated):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Déposée")
        STUDYING = "studying", _("À l'étude")
        SELECTED = "selected", _("Retenue")
        REJECTED = "rejected", _("Non retenue")
        DONE = "done", _("Réalisée")

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="proposals")
    title = models.CharField(_("titre"), max_length=160)
    body = models.TextField(_("description"), max_length=5000)
    theme = models.CharField(_("thème"), max_length=80, blank=True)
    location = gis.PointField(_("lieu"), srid=4326, null=True, blank=True)
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    image = models.ImageField(_("image"), upload_to="ideas/", blank=True)
    # Empty in an anonymous project, or when the author deleted their account.
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals")
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    answer = models.TextField(_("réponse officielle"), blank=True)
    answered_at = models.DateTimeField(_("répondu le"), null=True, blank=True)
    # Kept in step with the vote rows by the vote functions (one UPDATE per vote).
    votes_count = models.PositiveIntegerField(default=0)
    comments_count = models.PositiveIntegerField(default=0)
    # A selection step carries chosen proposals forward: the copy points to its origin.
    origin = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("proposition")
        verbose_name_plural = _("propositions")
        indexes = [
            models.Index(fields=["step", "visibility", "-votes_count"], name="ideas_proposal_by_votes"),
            models.Index(fields=["step", "visibility", "-created"], name="ideas_proposal_by_date"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("ideas:proposal", args=[self.pk])


class Vote(models.Model):
    """One citizen's support for one proposal: the unique constraint is the rule."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="votes")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="proposal_votes")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["proposal", "user"], name="ideas_one_vote_per_citizen")]
        indexes = [models.Index(fields=["step", "user"], name="ideas_vote_step_user")]

    def __str__(self):
        return f"{self.user_id} → {self.proposal_id}"


class Question(Moderated):
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="questions")
    body = models.TextField(_("question"), max_length=2000)
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions")
    answer = models.TextField(_("réponse officielle"), blank=True)
    answered_at = models.DateTimeField(_("répondu le"), null=True, blank=True)
    answered_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    votes_count = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-votes_count", "created", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.body[:60]

    def get_absolute_url(self):
        return reverse("site:step", args=[self.step.project.slug, self.step.position]) + f"#question-{self.pk}"


class QuestionVote(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "user"], name="ideas_one_upvote_per_citizen")]

    def __str__(self):
        return f"{self.user_id} → {self.question_id}"
