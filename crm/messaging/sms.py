"""SMS: encoding and segment count, quiet hours, and the providers.

Providers implement `send(to, body, sender) -> provider id`. "console" keeps messages
in the database (shown to the team); "twilio" calls Twilio's Messaging REST API
(`POST /2010-04-01/Accounts/{sid}/Messages.json`), which French campaigns use and
which delivers to French mobiles with an alphanumeric sender.
"""

import datetime as dt
import time

import requests
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.tenancy import campaign_zone

from .email import claim, mark_sent
from .models import Message, MessagingSettings, Send, SmsOutbox
from .templating import fill, values_for, with_keys

# GSM 03.38 default alphabet and its extension table (extension characters cost two).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def encoding_of(text):
    """ "GSM-7" when every character is in the GSM alphabet, else "UCS-2"."""
    return "GSM-7" if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text) else "UCS-2"


def segments(text):
    """(encoding, characters counted, segments): 160/153 septets in GSM-7, 70/67 in UCS-2."""
    encoding = encoding_of(text)
    if encoding == "GSM-7":
        length = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, multi = 160, 153
    else:
        length = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)  # UTF-16 code units
        single, multi = 70, 67
    count = 1 if length <= single else -(-length // multi)
    return encoding, length, count


def stop_mention():
    return _("STOP au 36180")


def with_stop(body):
    """The opt-out mention is added to every SMS sent to a list (French rules)."""
    mention = stop_mention()
    return body if mention in body else f"{body.rstrip()}\n{mention}"


# ---- quiet hours ----


def easter(year):
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return dt.date(year, month, day + 1)


def french_holidays(year):
    e = easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    return {dt.date(year, m, d) for m, d in fixed} | {
        e + dt.timedelta(days=1),
        e + dt.timedelta(days=39),
        e + dt.timedelta(days=50),
    }


def is_quiet(moment, ms=None):
    """True if no SMS may go out at this moment (campaign's time zone)."""
    ms = ms or MessagingSettings.current()
    local = moment.astimezone(campaign_zone())
    if ms.quiet_sundays and local.weekday() == 6:
        return True
    if ms.quiet_holidays and local.date() in french_holidays(local.year):
        return True
    t = local.time()
    start, end = ms.quiet_start, ms.quiet_end
    if start == end:
        return False
    return (t >= start or t < end) if start > end else (start <= t < end)


def next_allowed(moment, ms=None):
    """The first moment at or after `moment` outside quiet hours (minute steps, then exact)."""
    ms = ms or MessagingSettings.current()
    zone = campaign_zone()
    candidate = moment
    for _step in range(60 * 24 * 10):
        if not is_quiet(candidate, ms):
            return candidate
        local = candidate.astimezone(zone)
        # Jump to the end of tonight's quiet period or to the next midnight.
        if ms.quiet_start != ms.quiet_end and (local.time() >= ms.quiet_start or local.time() < ms.quiet_end):
            day = local.date() if local.time() < ms.quiet_end else local.date() + dt.timedelta(days=1)
            target = dt.datetime.combine(day, ms.quiet_end, tzinfo=zone)
        else:
            target = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0, 0), tzinfo=zone)
        candidate = max(target, candidate + dt.timedelta(minutes=1))
    return candidate


# ---- providers ----


class ConsoleSms:
    def send(self, to, body, sender):
        return f"console-{SmsOutbox.objects.create(to=to, body=body, sender=sender).pk}"


class TwilioSms:
    """Twilio Messaging REST API with the account SID and auth token (basic auth)."""

    def __init__(self):
        self.url = (
            f"{settings.TWILIO_API_URL.rstrip('/')}/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Messages.json"
        )
        self.session = requests.Session()
        self.session.auth = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)

    def send(self, to, body, sender):
        response = self.session.post(self.url, data={"To": to, "From": sender, "Body": body}, timeout=15)
        if response.status_code == 429 or response.status_code >= 500:
            raise ProviderBusy(response.status_code)
        if response.status_code >= 400:
            raise ProviderRefused(f"HTTP {response.status_code}: {response.text[:200]}")
        return response.json().get("sid", "")


class ProviderBusy(Exception):
    pass


class ProviderRefused(Exception):
    pass


def provider():
    return TwilioSms() if settings.SMS_BACKEND == "twilio" else ConsoleSms()


def deliver_sms(message, *, backend=None, now=None):
    """Send pending recipients one by one, outside quiet hours (inside, they wait)."""
    backend = backend or provider()
    ms = MessagingSettings.current()
    sender = ms.sms_sender or connection.tenant.name[:11]
    body = with_keys(with_stop(message.body))
    handed = 0
    while True:
        message.refresh_from_db(fields=["status"])
        if message.status != Message.Status.SENDING or is_quiet(now or timezone.now(), ms):
            break
        sends = claim(message, 100)
        if not sends:
            break
        for send in sends:
            text = fill(body, values_for(send.contact))
            for attempt in range(settings.MESSAGING_MAX_TRIES):
                try:
                    provider_id = backend.send(send.to, text, sender)
                except ProviderRefused as exc:
                    Send.objects.filter(pk=send.pk).update(status=Send.Status.FAILED, error=str(exc)[:300])
                    break
                except (ProviderBusy, requests.RequestException):
                    if attempt == settings.MESSAGING_MAX_TRIES - 1:
                        Send.objects.filter(pk=send.pk).update(status=Send.Status.PENDING, claimed_at=None)
                        break
                    time.sleep(settings.MESSAGING_RETRY_SECONDS * 2**attempt)
                    continue
                mark_sent(message, [send.pk], provider_id=provider_id)
                handed += 1
                break
    return handed
