"""Sending an e-mail message through SendGrid's v3 Mail Send API, exactly once per person.

Each batch of up to 1,000 pending recipients is *claimed* (status "claimed", in a
committed UPDATE ... FOR UPDATE SKIP LOCKED, so two workers never take the same
rows), handed to SendGrid in one request with one personalization per person, and
marked "sent" when SendGrid answers 2xx. 429 and 5xx are retried with backoff; any
other 4xx marks the batch failed and is never retried. If the worker dies between
SendGrid's answer and our marking, the batch stays "claimed": SendGrid's
"processed" events (custom argument `send`) mark those rows sent when they arrive,
and a claim still unconfirmed after MESSAGING_CLAIM_TIMEOUT was never accepted and
goes back to the queue.
"""

import datetime as dt
import time

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from campaigns.provisioning import campaign_url

from .models import Message, MessagingSettings, Send
from .templating import fill, render_email, values_for, with_keys

BATCH = 1000
UNSUBSCRIBE_SALT = "terrain.messaging.unsubscribe"


class SendFailed(Exception):
    """The provider kept failing (429 / 5xx / network) after every retry."""


class Uncertain(Exception):
    """The request may have reached the provider (it timed out waiting for the answer):
    sending it again could mail people twice, so the rows stay claimed until the
    provider's events confirm them or the claim times out."""


def _timed_out(exc):
    return isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError)


def unsubscribe_token(send_id):
    return signing.dumps({"s": connection.schema_name, "id": send_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token):
    """(schema, send id) of a token, or raise signing.BadSignature."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    return data["s"], data["id"]


def unsubscribe_url(base, send_id):
    return base.rstrip("/") + reverse("messaging:unsubscribe", args=[unsubscribe_token(send_id)])


def _sender(ms):
    email = ms.sender_email or settings.DEFAULT_FROM_EMAIL.split("<")[-1].strip(" >")
    return {"email": email, "name": ms.sender_name or connection.tenant.name}


def mail_body(message, sends, *, base_url=None, ms=None):
    """The Mail Send request body for these recipients (one personalization each)."""
    ms = ms or MessagingSettings.current()
    base_url = base_url or campaign_url(connection.tenant)
    html, text = render_email(message.body)
    footer = _("Vous recevez ce message de %(name)s. Se désabonner : ") % {"name": connection.tenant.name}
    text += "\n\n--\n" + footer + "{{ unsubscribe_url }}"
    link = escape(_("Se désabonner"))
    html += '<hr><p style="font-size:small"><a href="{{ unsubscribe_url }}">' + link + "</a></p>"
    text, html = with_keys(text), with_keys(html, html_part=True)
    personalizations = []
    for send in sends:
        url = unsubscribe_url(base_url, send.pk)
        personalizations.append(
            {
                "to": [{"email": send.to}],
                "substitutions": values_for(send.contact, {"unsubscribe_url": url}),
                "headers": {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
                "custom_args": {"send": str(send.pk), "campaign": connection.schema_name},
            }
        )
    body = {
        "personalizations": personalizations,
        "from": _sender(ms),
        "subject": with_keys(message.subject),
        "content": [{"type": "text/plain", "value": text}, {"type": "text/html", "value": html}],
        "tracking_settings": {"subscription_tracking": {"enable": False}},
    }
    if ms.reply_to:
        body["reply_to"] = {"email": ms.reply_to}
    return body


def preview(message, contact):
    """(subject, html, text) as this contact would receive it."""
    send = Send(pk=0, contact=contact, to=contact.email)
    body = mail_body(message, [send])
    values = body["personalizations"][0]["substitutions"]
    html = next(c["value"] for c in body["content"] if c["type"] == "text/html")
    text = next(c["value"] for c in body["content"] if c["type"] == "text/plain")
    return fill(body["subject"], values), fill(html, values), fill(text, values)


def client():
    return SendGridAPIClient(api_key=settings.SENDGRID_API_KEY or "unset", host=settings.SENDGRID_API_URL)


class RateLimiter:
    """At most `rate` requests per second from this process."""

    def __init__(self, rate):
        self.interval = 1.0 / rate if rate else 0.0
        self.next_at = 0.0

    def wait(self):
        now = time.monotonic()
        if now < self.next_at:
            time.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


def post_with_retries(body, *, sg=None, sleep=time.sleep):
    """POST /v3/mail/send; retry 429 and 5xx (and network errors) with backoff,
    honouring Retry-After; raise HTTPError at once on any other 4xx."""
    sg = sg or client()
    delay = settings.MESSAGING_RETRY_SECONDS
    for attempt in range(1, settings.MESSAGING_MAX_TRIES + 1):
        try:
            return sg.client.mail.send.post(request_body=body, timeout=settings.SENDGRID_TIMEOUT_SECONDS)
        except HTTPError as exc:
            if exc.status_code != 429 and exc.status_code < 500:
                raise
            wait = _retry_after(exc) or delay
        except OSError as exc:  # refused or reset: nothing was accepted, try again
            if _timed_out(exc):
                raise Uncertain(str(exc)) from None
            wait = delay
        if attempt == settings.MESSAGING_MAX_TRIES:
            break
        sleep(wait)
        delay *= 2
    raise SendFailed(_("SendGrid ne répond pas après %(n)d essais.") % {"n": settings.MESSAGING_MAX_TRIES})


def _retry_after(exc):
    try:
        return min(float(exc.headers.get("Retry-After")), 60.0)
    except (TypeError, ValueError, AttributeError):
        return None


def claim(message, size=BATCH):
    """Take up to `size` pending recipients for this worker (committed at once)."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            UPDATE messaging_send SET status = 'claimed', claimed_at = now(), attempts = attempts + 1, updated = now()
            WHERE id IN (SELECT id FROM messaging_send WHERE message_id = %s AND status = 'pending'
                         ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)
            RETURNING id
            """,
            [message.pk, size],
        )
        ids = [row[0] for row in cur.fetchall()]
    return list(Send.objects.filter(pk__in=ids).select_related("contact__household__address").order_by("pk"))


def release_stale_claims(message, *, older_than=None):
    """Claims left by a dead worker and never confirmed by the provider go back to the queue."""
    seconds = settings.MESSAGING_CLAIM_TIMEOUT if older_than is None else older_than
    limit = timezone.now() - dt.timedelta(seconds=seconds)
    return Send.objects.filter(message=message, status=Send.Status.CLAIMED, claimed_at__lt=limit).update(
        status=Send.Status.PENDING, claimed_at=None
    )


def mark_sent(message, ids, *, provider_id=""):
    """Claimed rows become sent, and each person's timeline says so (once)."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE messaging_send SET status = 'sent', sent_at = now(), provider_id = %s, updated = now() "
            "WHERE id = ANY(%s) AND status = 'claimed' RETURNING contact_id",
            [provider_id, ids],
        )
        contacts = [row[0] for row in cur.fetchall()]
        cur.execute(
            "INSERT INTO crm_interaction (contact_id, kind, at, summary, data, is_contact) "
            "SELECT c, 'message', now(), %s, %s::jsonb, true FROM unnest(%s::bigint[]) AS c",
            [f"{message.get_channel_display()} : {message.subject or message.name}"[:300],
             f'{{"message": {message.pk}}}', contacts],
        )  # fmt: skip
    return len(contacts)


def deliver_email(message, *, batch_size=BATCH, sg=None, limiter=None):
    """Send every pending recipient of the message; returns how many were handed over."""
    sg = sg or client()
    limiter = limiter or RateLimiter(settings.SENDGRID_REQUESTS_PER_SECOND)
    ms = MessagingSettings.current()
    base_url = campaign_url(connection.tenant)
    handed = 0
    while True:
        message.refresh_from_db(fields=["status"])
        if message.status == Message.Status.CANCELLED:
            break
        sends = claim(message, batch_size)
        if not sends:
            break
        body = mail_body(message, sends, base_url=base_url, ms=ms)
        ids = [s.pk for s in sends]
        limiter.wait()
        try:
            response = post_with_retries(body, sg=sg)
        except HTTPError as exc:
            Send.objects.filter(pk__in=ids).update(status=Send.Status.FAILED,
                                                   error=f"HTTP {exc.status_code}: {str(exc.body)[:250]}")  # fmt: skip
            continue
        except SendFailed:
            Send.objects.filter(pk__in=ids).update(status=Send.Status.PENDING, claimed_at=None)
            raise
        except Uncertain:
            continue  # left claimed: settled by "processed" events or, later, the claim timeout
        message_id = (response.headers.get("X-Message-Id") or "") if response.headers else ""
        mark_sent(message, ids, provider_id=message_id)
        handed += len(ids)
    return handed
