"""SMS: encoding and segments, quiet hours, the Twilio adapter against a fake, STOP."""

import base64
import datetime as dt
import hashlib
import hmac
import zoneinfo

import pytest
from django.test import Client
from django_tenants.utils import tenant_context
from hypothesis import given
from hypothesis import strategies as st

from crm.messaging import sms
from crm.messaging.audience import audience
from crm.messaging.models import Message, MessagingSettings, Send, SmsOutbox
from crm.messaging.services import send_now
from crm.models import ConsentEvent, Contact, Segment, Tag
from tests.conftest import host_of
from tests.fakes import FakeProviders

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def test_accents_of_french_are_gsm7_but_oe_and_emoji_are_not():
    assert sms.segments("Réunion à l'école élémentaire, venez nombreux !") == ("GSM-7", 47, 1)
    assert sms.encoding_of("Cœur de ville") == "UCS-2"
    assert sms.segments("a" * 160)[2] == 1 and sms.segments("a" * 161)[2] == 2
    assert sms.segments("€" * 80) == ("GSM-7", 160, 1)  # extension characters count twice
    assert sms.segments("œ" * 70)[2] == 1 and sms.segments("œ" * 71)[2] == 2
    assert sms.segments("🙂" * 35) == ("UCS-2", 70, 1)


@given(st.text(alphabet=st.sampled_from(sorted(sms.GSM7_BASIC)), max_size=500))
def test_gsm7_text_costs_one_segment_per_153_characters(text):
    encoding, length, count = sms.segments(text)
    assert encoding == "GSM-7" and length == len(text)
    assert count == (1 if len(text) <= 160 else -(-len(text) // 153))


def test_quiet_hours_skip_nights_sundays_and_public_holidays(campaign):
    with tenant_context(campaign):
        ms = MessagingSettings.current()
        saturday_evening = dt.datetime(2026, 7, 11, 21, 30, tzinfo=PARIS)
        assert sms.is_quiet(saturday_evening, ms)
        # Sunday 12 is quiet, Monday 13 at 08:00 is fine.
        assert sms.next_allowed(saturday_evening, ms) == dt.datetime(2026, 7, 13, 8, 0, tzinfo=PARIS)
        # Monday 13 July evening: the next day is 14 July, so Wednesday 15 at 08:00.
        monday_evening = dt.datetime(2026, 7, 13, 20, 0, tzinfo=PARIS)
        assert sms.next_allowed(monday_evening, ms) == dt.datetime(2026, 7, 15, 8, 0, tzinfo=PARIS)
        assert not sms.is_quiet(dt.datetime(2026, 7, 15, 12, 0, tzinfo=PARIS), ms)
        assert sms.easter(2027) == dt.date(2027, 3, 28)
        assert dt.date(2027, 5, 17) in sms.french_holidays(2027)  # Whit Monday


def phone_people():
    tag = Tag.objects.create(name="SMS")
    people = [
        Contact.objects.create(first_names="Zoé", phone="+33612345678", consent_sms=True),
        Contact.objects.create(first_names="Léon", phone="+33712345678", consent_sms=True),
        Contact.objects.create(first_names="Fixe", phone="+33145678901", consent_sms=True),
        Contact.objects.create(first_names="Non", phone="+33612345679", consent_sms=False),
    ]
    tag.contacts.add(*people)
    segment = Segment.objects.create(name="SMS", filters={"tags": ["SMS"]})
    return people, segment


def test_sms_to_mobiles_with_consent_through_twilio_adding_the_stop_mention(campaign, settings):
    fake = FakeProviders()
    settings.SMS_BACKEND, settings.TWILIO_API_URL = "twilio", fake.url
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC123", "secret"
    settings.MESSAGING_RETRY_SECONDS = 0.01
    try:
        with tenant_context(campaign):
            _people, segment = phone_people()
            message = Message.objects.create(channel="sms", name="Rappel", body="{{ first_name }}, réunion ce soir !",
                                             segment=segment)  # fmt: skip
            assert audience(message)[1] == {"no_phone": 1, "no_consent": 1}
            send_now(message, actor=None)
            fake.fail_next(429)
            weekday_noon = dt.datetime(2026, 12, 2, 12, 0, tzinfo=PARIS)
            assert sms.deliver_sms(message, now=weekday_noon) == 2
        sent = {r["To"]: r for r in fake.sms_requests()}
        assert sorted(sent) == ["+33612345678", "+33712345678"]
        assert sent["+33612345678"]["Body"] == "Zoé, réunion ce soir !\nSTOP au 36180"
        assert sent["+33612345678"]["From"] == (campaign.name[:11])
    finally:
        fake.close()


def test_a_send_inside_quiet_hours_waits(campaign):
    with tenant_context(campaign):
        _people, segment = phone_people()
        message = Message.objects.create(channel="sms", name="Nuit", body="Bonsoir", segment=segment)
        send_now(message, actor=None)
        sunday = dt.datetime(2026, 12, 6, 12, 0, tzinfo=PARIS)
        assert sms.deliver_sms(message, now=sunday) == 0
        assert Send.objects.filter(message=message, status="pending").count() == 2
        assert sms.deliver_sms(message, now=dt.datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)) == 2
        assert SmsOutbox.objects.count() == 2  # the console backend


def test_inbound_stop_opts_the_number_out_once(campaign, settings):
    settings.TWILIO_AUTH_TOKEN = "secret"
    with tenant_context(campaign):
        zoe = Contact.objects.create(first_names="Zoé", phone="+33612345678", consent_sms=True)
    client = Client(HTTP_HOST=host_of(campaign))
    url = f"http://{host_of(campaign)}/messages/sms/entrant/"
    params = {"MessageSid": "SM1", "From": "+33612345678", "Body": "Stop"}

    def signature(p):
        data = url + "".join(f"{k}{v}" for k, v in sorted(p.items()))
        return base64.b64encode(hmac.new(b"secret", data.encode(), hashlib.sha1).digest()).decode()

    assert client.post("/messages/sms/entrant/", params).status_code == 403
    forged = client.post("/messages/sms/entrant/", {**params, "From": "+33700000000"},
                         headers={"X-Twilio-Signature": signature(params)})  # fmt: skip
    assert forged.status_code == 403
    with tenant_context(campaign):
        from crm.messaging.models import MessagingSettings

        ms = MessagingSettings.current()
        ms.optout_text_sms = "C'est noté : plus aucun message de Saran <3."
        ms.save()
    answers = [client.post("/messages/sms/entrant/", params, headers={"X-Twilio-Signature": signature(params)})
               for _ in range(2)]  # fmt: skip
    assert [a.status_code for a in answers] == [200, 200]
    # The campaign's own confirmation, once (the replay opts nobody out again), escaped for TwiML.
    assert "<Message>C&#x27;est noté : plus aucun message de Saran &lt;3.</Message>" in answers[0].content.decode()
    assert "<Message>" not in answers[1].content.decode()
    with tenant_context(campaign):
        assert Contact.objects.get(pk=zoe.pk).consent_sms is False
        assert ConsentEvent.objects.filter(contact=zoe, channel="sms", granted=False).count() == 1


def test_scheduled_sms_starts_when_due_and_the_console_outbox_is_shown_to_the_team(campaign):
    from django.utils import timezone

    from campaigns.accounts.models import Role
    from crm.messaging.services import schedule
    from crm.messaging.tasks import dispatch_messages
    from tests.conftest import make_user

    with tenant_context(campaign):
        _people, segment = phone_people()
        message = Message.objects.create(channel="sms", name="Plus tard", body="Bonjour", segment=segment)
        with pytest.raises(Exception, match="date à venir"):
            schedule(message, at=timezone.now() - dt.timedelta(minutes=1), actor=None)
        schedule(message, at=timezone.now() + dt.timedelta(hours=1), actor=None)
        dispatch_messages()
        assert Message.objects.get(pk=message.pk).status == "scheduled"  # not yet due
        Message.objects.filter(pk=message.pk).update(scheduled_at=timezone.now() - dt.timedelta(minutes=1))
        dispatch_messages()
        assert Message.objects.get(pk=message.pk).status == "sending"
        assert Send.objects.filter(message=message).count() == 2
        assert (
            sms.deliver_sms(Message.objects.get(pk=message.pk), now=dt.datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)) == 2
        )
    organizer = make_user(campaign, Role.ORGANIZER)
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(organizer)
    page = client.get("/messages/").content.decode()
    assert "SMS envoyés par la console" in page and "+33612345678" in page and "STOP au 36180" in page


def test_stop_from_a_persons_other_number_opts_them_out_and_a_stop_without_number_nobody(campaign, settings):
    settings.TWILIO_AUTH_TOKEN = "secret"
    with tenant_context(campaign):
        zoe = Contact.objects.create(first_names="Zoé", phone="+33612345678", other_phones=["+33781000001"],
                                     consent_sms=True)  # fmt: skip
        noel = Contact.objects.create(first_names="Noël", email="noel@exemple.fr", consent_sms=True)  # no phone
    client = Client(HTTP_HOST=host_of(campaign))
    url = f"http://{host_of(campaign)}/messages/sms/entrant/"
    for params in ({"MessageSid": "SM2", "From": "", "Body": "STOP"},
                   {"MessageSid": "SM3", "From": "+33781000001", "Body": "STOP"}):  # fmt: skip
        data = url + "".join(f"{k}{v}" for k, v in sorted(params.items()))
        signature = base64.b64encode(hmac.new(b"secret", data.encode(), hashlib.sha1).digest()).decode()
        answer = client.post("/messages/sms/entrant/", params, headers={"X-Twilio-Signature": signature})
        assert answer.status_code == 200
        with tenant_context(campaign):
            assert Contact.objects.get(pk=noel.pk).consent_sms is True  # a blank number is nobody's
    with tenant_context(campaign):
        assert Contact.objects.get(pk=zoe.pk).consent_sms is False
