"""What providers tell us: SendGrid's Event Webhook (signed, ECDSA) and inbound SMS
(Twilio, signed with HMAC-SHA1). Each event is applied once: a replay changes nothing."""

import base64
import hashlib
import hmac
import json

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from sendgrid.helpers.eventwebhook import EventWebhook

from crm import consent
from crm.models import Contact

from .email import mark_sent
from .models import MessagingSettings, ProviderEvent, Send

# How far along a recipient got; an event never moves a row backwards.
RANK = {
    Send.Status.PENDING: 0, Send.Status.CLAIMED: 1, Send.Status.SENT: 2, Send.Status.DELIVERED: 3,
    Send.Status.OPENED: 4, Send.Status.CLICKED: 5, Send.Status.FAILED: 6, Send.Status.DROPPED: 7,
    Send.Status.BOUNCED: 8, Send.Status.UNSUBSCRIBED: 9, Send.Status.SPAM: 10,
}  # fmt: skip
EVENT_STATUS = {
    "delivered": Send.Status.DELIVERED, "open": Send.Status.OPENED, "click": Send.Status.CLICKED,
    "bounce": Send.Status.BOUNCED, "dropped": Send.Status.DROPPED, "spamreport": Send.Status.SPAM,
    "unsubscribe": Send.Status.UNSUBSCRIBED, "group_unsubscribe": Send.Status.UNSUBSCRIBED,
}  # fmt: skip
STOP_WORDS = {"STOP", "STOP SMS", "ARRET", "ARRÊT", "STOPSMS", "UNSUBSCRIBE"}


def sendgrid_signature_ok(payload, signature, timestamp):
    key = MessagingSettings.current().sendgrid_webhook_key.strip()
    if not (key and signature and timestamp):
        return False
    try:
        return EventWebhook(key).verify_signature(payload, signature, timestamp)
    except (ValueError, TypeError):  # a malformed key or signature
        return False


def first_time(provider, event_id):
    """True the first time this event is seen (recorded in the same transaction)."""
    try:
        with transaction.atomic():
            ProviderEvent.objects.create(provider=provider, event_id=event_id)
        return True
    except IntegrityError:
        return False


@transaction.atomic
def apply_sendgrid_events(events):
    """Apply SendGrid events to sends and contacts; returns how many were new."""
    applied = 0
    for event in events:
        if not isinstance(event, dict) or event.get("campaign") != connection.schema_name:
            continue
        event_id, kind = str(event.get("sg_event_id") or ""), event.get("event")
        try:
            send_id = int(event.get("send"))
        except (TypeError, ValueError):
            continue
        if not event_id or not first_time("sendgrid", event_id):
            continue
        send = Send.objects.select_related("message", "contact").filter(pk=send_id).first()
        if send is None:
            continue
        applied += 1
        if kind == "processed":
            if send.status == Send.Status.CLAIMED:
                mark_sent(send.message, [send.pk], provider_id=str(event.get("sg_message_id") or ""))
            continue
        status = EVENT_STATUS.get(kind)
        if status and RANK[status] > RANK[send.status]:
            Send.objects.filter(pk=send.pk).update(status=status, updated=timezone.now())
        contact = send.contact
        if kind == "bounce" and event.get("type", "bounce") == "bounce":
            Contact.objects.filter(pk=contact.pk).update(email_bounced_at=timezone.now())
        elif kind in ("spamreport", "unsubscribe", "group_unsubscribe"):
            consent.opt_out(contact, source=f"sendgrid:{kind}")
    return applied


def twilio_signature_ok(url, params, signature):
    """Twilio's scheme: base64(HMAC-SHA1(auth token, URL + each POST key and value, sorted by key))."""
    token = settings.TWILIO_AUTH_TOKEN
    if not (token and signature):
        return False
    data = url + "".join(f"{k}{v}" for k, v in sorted(params.items()))
    expected = base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()
    return hmac.compare_digest(expected, signature)


@transaction.atomic
def apply_inbound_sms(params):
    """An answer "STOP" opts the number out of SMS; returns the number of people opted out."""
    sid, number = params.get("MessageSid", ""), params.get("From", "")
    if not sid or not number or not first_time("twilio", sid):
        return 0
    if params.get("Body", "").strip().upper() not in STOP_WORDS:
        return 0
    people = list(Contact.objects.filter(Contact.holding("phone", number), erased_at__isnull=True))
    for contact in people:
        consent.opt_out(contact, source="sms:STOP")  # every channel at once
    return len(people)


def parse_events(payload):
    events = json.loads(payload)
    if not isinstance(events, list):
        raise ValueError("not a list")
    return events
