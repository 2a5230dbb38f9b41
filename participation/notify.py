"""E-mails to citizens about their own contributions: a reply to their comment, the
team's answer to their proposal or question. Only for people who kept "tell me about
replies" in their profile; sent after the change is committed."""

from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils.translation import gettext as _

from .models import CitizenProfile


def _absolute(path):
    from campaigns.provisioning import campaign_url

    return campaign_url(connection.tenant).rstrip("/") + path


def notify_reply(recipient, *, subject, text, path, actor=None):
    if recipient is None or not recipient.is_active or (actor is not None and actor.pk == recipient.pk):
        return False
    if not CitizenProfile.objects.filter(user=recipient, notify_replies=True).exists():
        return False
    body = _(
        "%(text)s\n\nÀ lire ici : %(url)s\n\nVous recevez ce message car vous avez demandé à être prévenu·e "
        "des réponses à vos contributions (modifiable dans votre profil)."
    ) % {"text": text, "url": _absolute(path)}
    email = recipient.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]))
    return True
