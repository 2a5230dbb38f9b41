"""Consultation: contributions and amendments on a text's sections, arguments for and
against, agree / disagree / mixed votes, the team's synthesis, opinion groups."""

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from participation import moderation
from participation.citizens import record_participation
from participation.models import Step, Visibility

from . import opinion
from .models import Argument, ArgumentVote, Contribution, OpinionGroups, TextSection, Vote

COUNTER = {Vote.Value.AGREE: "agree", Vote.Value.DISAGREE: "disagree", Vote.Value.MIXED: "mixed"}


class Refused(ValueError):
    pass


def _check_open(step):
    if step.status() != Step.Status.OPEN:
        raise Refused(_("Cette consultation n'est pas ouverte."))


def contribute(section, *, author, body, kind=Contribution.Kind.CONTRIBUTION):
    step = section.step
    _check_open(step)
    moderation.check_not_banned(author)
    anonymous = step.project.anonymous
    with transaction.atomic():
        contribution = moderation.create_moderated(
            Contribution, author=author, text=body, section=section, kind=kind, body=body.strip(),
            author_id=None if anonymous else author.pk,
        )  # fmt: skip
        if not anonymous:
            record_participation(author, module="debate", action=kind, step=step, summary=body[:120])
    return contribution


def vote(contribution, *, user, value):
    """Agree (+1), mixed (0) or disagree (-1); voting again changes the vote."""
    if value not in COUNTER:
        raise Refused(_("Vote inconnu : d'accord, mitigé ou pas d'accord."))
    if contribution.visibility != Visibility.VISIBLE:
        raise Refused(_("Cette contribution n'est pas visible."))
    step = contribution.section.step
    _check_open(step)
    moderation.check_not_banned(user)
    with transaction.atomic():
        # Lock the row: concurrent votes of one person cannot both count.
        Contribution.objects.select_for_update().filter(pk=contribution.pk).first()
        previous = Vote.objects.filter(contribution=contribution, user=user).first()
        if previous and previous.value == value:
            return contribution
        changes = {COUNTER[value]: F(COUNTER[value]) + 1}
        if previous:
            changes[COUNTER[previous.value]] = F(COUNTER[previous.value]) - 1
            previous.value = value
            previous.save(update_fields=["value", "at"])
        else:
            Vote.objects.create(contribution=contribution, user=user, value=value)
            if not step.project.anonymous:
                record_participation(user, module="debate", action="vote", step=step)
        Contribution.objects.filter(pk=contribution.pk).update(**changes)
        transaction.on_commit(lambda: schedule_opinion_groups(step))
    contribution.refresh_from_db(fields=["agree", "disagree", "mixed"])
    return contribution


def argue(contribution, *, author, side, body):
    if side not in Argument.Side.values:
        raise Refused(_("Un argument est pour ou contre."))
    step = contribution.section.step
    _check_open(step)
    moderation.check_not_banned(author)
    return moderation.create_moderated(
        Argument, author=author, text=body, contribution=contribution, side=side, body=body.strip(),
        author_id=None if step.project.anonymous else author.pk,
    )  # fmt: skip


def support_argument(argument, user):
    moderation.check_not_banned(user)
    try:
        with transaction.atomic():
            ArgumentVote.objects.create(argument=argument, user=user)
            Argument.objects.filter(pk=argument.pk).update(votes_count=F("votes_count") + 1)
    except IntegrityError:
        raise Refused(_("Vous soutenez déjà cet argument.")) from None


def publish_synthesis(section, *, text):
    section.synthesis, section.synthesis_at = text.strip(), timezone.now() if text.strip() else None
    section.save(update_fields=["synthesis", "synthesis_at"])
    return section


def ordered(contributions, sort):
    if sort == "supported":
        return contributions.order_by("-agree", "-created")
    if sort == "controversial":
        # Many votes on both sides: the smaller side first, then the total.
        from django.db.models.functions import Least

        return contributions.annotate(both=Least("agree", "disagree")).order_by("-both", "-created")
    return contributions.order_by("-created", "-id")


# -- Opinion groups -----------------------------------------------------------------------


def schedule_opinion_groups(step, *, countdown=30):
    """Recompute at most once a minute while votes arrive, in Celery."""
    if cache.add(f"opinion-groups:{step.pk}", 1, 60):
        from .tasks import refresh_opinion_groups

        refresh_opinion_groups.apply_async(args=[step.pk], countdown=countdown)


def compute_opinion_groups(step):
    votes = Vote.objects.filter(
        contribution__section__step=step, contribution__visibility=Visibility.VISIBLE
    ).values_list("user_id", "contribution_id", "value")
    result = opinion.opinion_groups(list(votes))
    # Which person is in which group is an opinion profile: never stored.
    result.pop("labels", None)
    stored, _created = OpinionGroups.objects.update_or_create(
        step=step, defaults={"computed_at": timezone.now(), "participants": result["participants"], "data": result}
    )
    return stored


def described_groups(step):
    """The stored groups with their statements' texts, for the page."""
    stored = OpinionGroups.objects.filter(step=step).first()
    if stored is None:
        return None
    ids = {d["statement"] for g in stored.data["groups"] for d in g["defining"]} | {
        c["statement"] for c in stored.data["consensus"]
    }
    texts = dict(Contribution.public().filter(pk__in=ids).values_list("pk", "body"))
    for g in stored.data["groups"]:
        for d in g["defining"]:
            d["text"] = texts.get(d["statement"], "")
    for c in stored.data["consensus"]:
        c["text"] = texts.get(c["statement"], "")
    return stored


def sections_for(step):
    return TextSection.objects.filter(step=step).order_by("position")
