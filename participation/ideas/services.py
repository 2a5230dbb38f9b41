"""The idea box and Q&A: proposals, votes within the step's rules, official answers,
questions and up-votes. Views and the API call these."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.realtime import publish_after_commit
from participation import moderation
from participation.citizens import record_participation
from participation.models import CitizenProfile, Step, Visibility
from participation.notify import notify_reply

from .models import Proposal, Question, QuestionVote, Vote

# Steps whose proposals can be supported.
VOTING_KINDS = {Step.Kind.COLLECT, Step.Kind.SELECTION, Step.Kind.VOTE}


class Refused(ValueError):
    """A contribution or a vote the rules do not allow; the message says why."""


class AlreadyVoted(Refused):
    pass


def _check_open(step):
    if step.status() != Step.Status.OPEN:
        raise Refused(_("Cette étape n'est pas ouverte : « %(title)s » est %(status)s.")
                      % {"title": step.title, "status": step.status().label.lower()})  # fmt: skip


def submit_proposal(step, *, author, title, body, theme="", location=None, address="", image=None):
    if step.kind != Step.Kind.COLLECT:
        raise Refused(_("On ne dépose pas de proposition à cette étape."))
    _check_open(step)
    moderation.check_not_banned(author)
    themes = step.config.get("themes") or []
    if theme and themes and theme not in themes:
        raise Refused(_("Thème « %(theme)s » inconnu. Thèmes : %(themes)s.")
                      % {"theme": theme, "themes": ", ".join(themes)})  # fmt: skip
    anonymous = step.project.anonymous
    with transaction.atomic():
        proposal = moderation.create_moderated(
            Proposal, author=author, text=f"{title}\n{body}", step=step, title=title.strip(), body=body.strip(),
            theme=theme, location=location, address=address, image=image or "",
            author_id=None if anonymous else author.pk,
        )  # fmt: skip
        if not anonymous:
            record_participation(author, module="ideas", action="proposal", step=step, summary=proposal.title)
        if proposal.visibility == Visibility.VISIBLE:
            announce(proposal)
    return proposal


def announce(proposal):
    """Tell open maps about a visible, geolocated proposal once it is committed."""
    if proposal.location is not None:
        publish_after_commit("contribution", contribution_feature(proposal))


def contribution_feature(proposal):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [proposal.location.x, proposal.location.y]},
        "properties": {
            "kind": "proposal",
            "id": proposal.pk,
            "title": proposal.title,
            "theme": proposal.theme,
            "status": proposal.status,
            "votes": proposal.votes_count,
            "url": proposal.get_absolute_url(),
        },  # fmt: skip
    }


def _contact_point(user):
    profile = (
        CitizenProfile.objects.filter(user=user)
        .select_related("contact__household__address")
        .only("contact__household__address__point")
        .first()
    )
    try:
        return profile.contact.household.address.point
    except AttributeError:
        return None


def _check_zone(step, user):
    zone_id = step.config.get("vote_zone")
    if not zone_id:
        return
    from crm.field.models import Zone

    zone = Zone.objects.filter(pk=zone_id).first()
    point = _contact_point(user)
    if zone is None or point is None or not zone.geometry.contains(point):
        raise Refused(
            _("Ce vote est réservé aux habitants de « %(zone)s » : votre adresse doit y être connue.")
            % {"zone": zone.name if zone else "?"}
        )


def vote(proposal, user):
    """Support a proposal: once per citizen (unique constraint), within the step's limit
    of votes per citizen, and only from inside the step's zone when it has one."""
    step = proposal.step
    if step.kind not in VOTING_KINDS:
        raise Refused(_("On ne vote pas à cette étape."))
    if proposal.visibility != Visibility.VISIBLE:
        raise Refused(_("Cette proposition n'est pas visible."))
    _check_open(step)
    moderation.check_not_banned(user)
    _check_zone(step, user)
    limit = step.config.get("vote_limit")
    with transaction.atomic():
        if limit:
            # One citizen's votes are counted one at a time: lock their profile row.
            CitizenProfile.objects.select_for_update().get_or_create(user=user)
            used = Vote.objects.filter(step=step, user=user).count()
            if used >= limit and not Vote.objects.filter(proposal=proposal, user=user).exists():
                raise Refused(_("Vous avez déjà utilisé vos %(n)d votes pour cette étape.") % {"n": limit})
        try:
            with transaction.atomic():
                Vote.objects.create(proposal=proposal, step=step, user=user)
        except IntegrityError:
            raise AlreadyVoted(_("Vous avez déjà voté pour cette proposition.")) from None
        Proposal.objects.filter(pk=proposal.pk).update(votes_count=F("votes_count") + 1)
        if not step.project.anonymous:
            record_participation(user, module="ideas", action="vote", step=step, summary=proposal.title)
    proposal.votes_count += 1
    return proposal


def unvote(proposal, user):
    with transaction.atomic():
        deleted, _rows = Vote.objects.filter(proposal=proposal, user=user).delete()
        if deleted:
            Proposal.objects.filter(pk=proposal.pk).update(votes_count=F("votes_count") - 1)
    return bool(deleted)


def answer_proposal(proposal, *, status, answer, actor):
    if status not in Proposal.Status.values:
        raise Refused(_("Statut « %(s)s » inconnu.") % {"s": status})
    proposal.status = status
    proposal.answer = answer.strip()
    proposal.answered_at = timezone.now() if proposal.answer else None
    proposal.save(update_fields=["status", "answer", "answered_at"])
    if proposal.answer:
        notify_reply(proposal.author, subject=_("L'équipe a répondu à votre proposition « %(title)s »")
                     % {"title": proposal.title}, text=f"{proposal.get_status_display()}\n\n{proposal.answer}",
                     path=proposal.get_absolute_url())  # fmt: skip
    return proposal


@transaction.atomic
def carry_forward(from_step, to_step):
    """Copy the proposals selected in `from_step` into `to_step` (a vote step), once."""
    already = set(Proposal.objects.filter(step=to_step).values_list("origin_id", flat=True))
    chosen = (
        Proposal.objects.filter(
            step__project=from_step.project, status=Proposal.Status.SELECTED, visibility=Visibility.VISIBLE
        )
        .exclude(pk__in=already)
        .exclude(step=to_step)
    )
    copies = [
        Proposal(
            step=to_step,
            title=p.title,
            body=p.body,
            theme=p.theme,
            location=p.location,
            address=p.address,
            image=p.image,
            author=p.author,
            origin=p,
            status=Proposal.Status.SELECTED,
        )  # fmt: skip
        for p in chosen
    ]
    return Proposal.objects.bulk_create(copies)


# -- Q&A --------------------------------------------------------------------------------


def ask(step, *, author, body):
    if step.kind != Step.Kind.QA:
        raise Refused(_("On ne pose pas de question à cette étape."))
    _check_open(step)
    moderation.check_not_banned(author)
    anonymous = step.project.anonymous
    with transaction.atomic():
        question = moderation.create_moderated(Question, author=author, text=body, step=step, body=body.strip(),
                                               author_id=None if anonymous else author.pk)  # fmt: skip
        if not anonymous:
            record_participation(author, module="qa", action="question", step=step, summary=question.body[:120])
    return question


def upvote(question, user):
    if question.visibility != Visibility.VISIBLE:
        raise Refused(_("Cette question n'est pas visible."))
    moderation.check_not_banned(user)
    with transaction.atomic():
        try:
            with transaction.atomic():
                QuestionVote.objects.create(question=question, user=user)
        except IntegrityError:
            raise AlreadyVoted(_("Vous soutenez déjà cette question.")) from None
        Question.objects.filter(pk=question.pk).update(votes_count=F("votes_count") + 1)
    question.votes_count += 1
    return question


def answer_question(question, *, answer, actor):
    if not answer.strip():
        raise Refused(_("La réponse est vide."))
    question.answer, question.answered_at, question.answered_by = answer.strip(), timezone.now(), actor
    question.save(update_fields=["answer", "answered_at", "answered_by"])
    notify_reply(question.author, subject=_("L'équipe a répondu à votre question"),
                 text=f"{question.body}\n\n{question.answer}", path=question.get_absolute_url())  # fmt: skip
    return question
