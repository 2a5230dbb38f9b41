"""Mutual aid: post an offer or a request at an approximate place, close it, and talk
privately through the platform: each message is mailed to the other person with a
link back to the conversation; neither sees the other's e-mail address."""

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.realtime import publish_after_commit
from participation import moderation
from participation.citizens import record_participation
from participation.geo import approximate
from participation.models import Visibility
from participation.templatetags.site import author_label

from .models import AidSettings, Conversation, HelpPost, Message


class Refused(ValueError):
    pass


def post_help(*, author, kind, category, title, body, latitude=None, longitude=None, area_label=""):
    categories = AidSettings.current().categories
    if category not in categories:
        raise Refused(_("Catégorie « %(c)s » inconnue. Catégories : %(all)s.")
                      % {"c": category, "all": ", ".join(categories)})  # fmt: skip
    moderation.check_not_banned(author)
    with transaction.atomic():
        post = moderation.create_moderated(
            HelpPost, author=author, text=f"{title}\n{body}", kind=kind, category=category, title=title.strip(),
            body=body.strip(), author_id=author.pk, area=approximate(latitude, longitude),
            area_label=area_label.strip(),
        )  # fmt: skip
        record_participation(author, module="aid", action=kind, step=None, summary=post.title)
        if post.visibility == Visibility.VISIBLE and post.area is not None:
            publish_after_commit("contribution", feature(post))
    return post


def feature(post):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [post.area.x, post.area.y]},
        "properties": {
            "kind": post.kind,
            "id": post.pk,
            "title": post.title,
            "theme": post.category,
            "status": post.status,
            "votes": None,
            "url": post.get_absolute_url(),
        },  # fmt: skip
    }


def close(post, user):
    if post.author_id != user.pk:
        raise Refused(_("Seul l'auteur peut clore son annonce."))
    post.status = HelpPost.Status.CLOSED
    post.save(update_fields=["status"])
    return post


def _relay(message, recipient, conversation, *, url):
    """Mail one message to the other person: our address as sender, no Reply-To, the
    sender shown by their public name only."""
    post = conversation.post
    sender = author_label(message.sender)
    body = _(
        "%(sender)s vous écrit au sujet de l'annonce « %(title)s » :\n\n%(text)s\n\n"
        "Pour répondre, ouvrez la conversation (votre adresse e-mail n'est pas communiquée) :\n%(url)s"
    ) % {"sender": sender, "title": post.title, "text": message.body, "url": url}
    EmailMessage(_("Entraide : message au sujet de « %(title)s »") % {"title": post.title}, body,
                 None, [recipient.email]).send()  # fmt: skip


def contact(post, *, asker, body, url_for):
    """The interested person writes to the post's author through the platform."""
    if post.visibility != Visibility.VISIBLE or post.status != HelpPost.Status.OPEN:
        raise Refused(_("Cette annonce n'est plus ouverte."))
    if post.author_id is None or post.author_id == asker.pk:
        raise Refused(_("Vous ne pouvez pas écrire à cette annonce."))
    moderation.check_not_banned(asker)
    with transaction.atomic():
        conversation, _created = Conversation.objects.get_or_create(post=post, asker=asker)
        message = Message.objects.create(conversation=conversation, sender=asker, body=body.strip())
    transaction.on_commit(lambda: _relay(message, post.author, conversation, url=url_for(conversation)))
    return conversation


def reply(conversation, *, sender, body, url_for):
    parties = {conversation.asker_id, conversation.post.author_id}
    if sender.pk not in parties:
        raise Refused(_("Cette conversation ne vous concerne pas."))
    other = conversation.post.author if sender.pk == conversation.asker_id else conversation.asker
    if other is None:
        raise Refused(_("L'autre personne a quitté le site."))
    message = Message.objects.create(conversation=conversation, sender=sender, body=body.strip())
    transaction.on_commit(lambda: _relay(message, other, conversation, url=url_for(conversation)))
    return message
