"""Moderation: automatic hold, reports, the queue, hide / restore / trash, bans, and the
log. Works on any model with the `Moderated` fields (comments now; proposals,
questions and help offers of the participation modules use the same functions)."""

import datetime as dt
import re

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import CitizenProfile, Comment, Flag, ModerationEntry, SiteSettings, Visibility

LINK = re.compile(r"(https?://|www\.|\b[\w-]+\.(?:com|fr|net|org|io|ru|info|biz|xyz)\b)", re.IGNORECASE)


class Banned(PermissionError):
    pass


def hold_reason(author, text, *, site=None, now=None):
    """Why this text from this author waits for a moderator, or "" to publish it now.

    Held: a link or a blocked word from an account younger than the campaign's
    threshold. Blocked words hold whatever the account's age."""
    site = site or SiteSettings.current()
    lowered = text.lower()
    for word in site.blocked_word_list():
        if word in lowered:
            return _("mot bloqué")
    now = now or timezone.now()
    is_new = author is None or author.date_joined > now - dt.timedelta(days=site.new_account_days)
    if is_new and LINK.search(text):
        return _("lien posté par un compte récent")
    return ""


def check_not_banned(user):
    profile = CitizenProfile.objects.filter(user=user).only("banned_until").first() if user else None
    if profile and profile.is_banned():
        raise Banned(
            _("Votre compte est suspendu jusqu'au %(until)s.")
            % {"until": timezone.localtime(profile.banned_until).strftime("%d/%m/%Y %H:%M")}
        )


@transaction.atomic
def create_moderated(model, *, author, text, **fields):
    """Create a contribution (comment, proposal, question...) visible at once, or held
    for a moderator when `hold_reason` says so — the hold is logged. `author` is who
    wrote it (checked for age); `fields` hold what is stored (the author may be None
    in an anonymous project)."""
    reason = hold_reason(author, text)
    obj = model.objects.create(visibility=Visibility.HELD if reason else Visibility.VISIBLE, **fields)
    if reason:
        log(ModerationEntry.Action.HOLD, obj, moderator=None, reason=reason)
    return obj


@transaction.atomic
def post_comment(target, *, author, body, parent=None, anonymous=False):
    check_not_banned(author)
    comment = create_moderated(Comment, author=author, text=body, target=target, parent=parent,
                               author_id=None if anonymous else author.pk, body=body.strip())  # fmt: skip
    if comment.visibility == Visibility.VISIBLE and parent is not None:
        from .notify import notify_reply

        notify_reply(parent.author, actor=author, subject=_("Réponse à votre commentaire"),
                     text=comment.body, path=comment.get_absolute_url())  # fmt: skip
    return comment


def log(action, obj, *, moderator, reason=""):
    return ModerationEntry.objects.create(
        action=action, moderator=moderator, reason=reason[:300],
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=obj.pk if obj is not None else None,
    )  # fmt: skip


def flag(obj, *, reason, text="", reporter=None):
    return Flag.objects.create(target=obj, reason=reason, text=text.strip(), reporter=reporter)


def _set(obj, visibility, *, action, moderator, reason=""):
    with transaction.atomic():
        obj.visibility = visibility
        obj.hidden_reason = reason if visibility == Visibility.HIDDEN else ""
        obj.moderated_at = timezone.now()
        obj.save(update_fields=["visibility", "hidden_reason", "moderated_at"])
        _resolve_flags(obj, moderator)
        log(action, obj, moderator=moderator, reason=reason)
    return obj


def _resolve_flags(obj, moderator):
    Flag.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, resolved_at__isnull=True
    ).update(resolved_at=timezone.now(), resolved_by=moderator)


def hide(obj, *, moderator, reason):
    if not reason.strip():
        raise ValueError(_("Indiquez le motif public du masquage."))
    return _set(obj, Visibility.HIDDEN, action=ModerationEntry.Action.HIDE, moderator=moderator, reason=reason)


def restore(obj, *, moderator):
    action = ModerationEntry.Action.RELEASE if obj.visibility == Visibility.HELD else ModerationEntry.Action.RESTORE
    return _set(obj, Visibility.VISIBLE, action=action, moderator=moderator)


def trash(obj, *, moderator, reason=""):
    return _set(obj, Visibility.TRASHED, action=ModerationEntry.Action.TRASH, moderator=moderator, reason=reason)


def dismiss_flags(obj, *, moderator):
    with transaction.atomic():
        _resolve_flags(obj, moderator)
        log(ModerationEntry.Action.DISMISS, obj, moderator=moderator)


def ban(user, *, days, moderator, reason=""):
    if days < 1:
        raise ValueError(_("La durée de suspension doit être d'au moins un jour."))
    with transaction.atomic():
        profile, _created = CitizenProfile.objects.get_or_create(user=user)
        profile.banned_until = timezone.now() + dt.timedelta(days=days)
        profile.save(update_fields=["banned_until"])
        log(ModerationEntry.Action.BAN, user, moderator=moderator, reason=reason or f"{days} j")
    return profile


def unban(user, *, moderator):
    with transaction.atomic():
        CitizenProfile.objects.filter(user=user).update(banned_until=None)
        log(ModerationEntry.Action.UNBAN, user, moderator=moderator)


# Models whose rows appear in the queue; the participation modules add theirs.
MODERATED_MODELS = [Comment]


def register(model):
    if model not in MODERATED_MODELS:
        MODERATED_MODELS.append(model)
    return model


def queue():
    """What waits for a moderator: held items and items with open reports, oldest first,
    each as (object, open report count, reasons)."""
    items = []
    for model in MODERATED_MODELS:
        ct = ContentType.objects.get_for_model(model)
        flagged = (
            Flag.objects.filter(content_type=ct, resolved_at__isnull=True)
            .values("object_id")
            .annotate(n=Count("id"), last=Max("created"))
        )
        counts = {row["object_id"]: row["n"] for row in flagged}
        rows = model.objects.filter(Q(visibility=Visibility.HELD) | Q(pk__in=list(counts))).exclude(
            visibility=Visibility.TRASHED
        )
        reasons = {}
        for f in Flag.objects.filter(content_type=ct, resolved_at__isnull=True, object_id__in=list(counts)):
            reasons.setdefault(f.object_id, []).append(f)
        for obj in rows:
            items.append((obj, counts.get(obj.pk, 0), reasons.get(obj.pk, [])))
    items.sort(key=lambda item: item[0].created)
    return items
