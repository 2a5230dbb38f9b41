"""Events: RSVP within capacity even under concurrent requests, waiting list, cancel
and promotion, reminder e-mails, .ics download."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from participation import services
from participation.models import Event, Rsvp
from tests.conftest import host_of


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def make_event(**extra):
    fields = {"title": "Réunion publique à l'Argonne", "slug": "reunion-argonne",
              "starts_at": timezone.now() + dt.timedelta(days=3), "place": "Salle des fêtes, Orléans",
              "capacity": 2} | extra  # fmt: skip
    return Event.objects.create(**fields)


def test_rsvp_fills_seats_then_the_waiting_list_and_cancelling_promotes(campaign, django_capture_on_commit_callbacks):
    with tenant_context(campaign):
        event = make_event()
    client = Client(HTTP_HOST=host_of(campaign))
    for n in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/evenements/{event.slug}/inscription/", {"name": f"P{n}", "email": f"p{n}@ex.fr"})
        assert response.status_code == 302
    page = client.get(f"/evenements/{event.slug}/").content.decode()
    assert "2 inscrits sur 2" in page and "2 en liste d'attente" in page
    with tenant_context(campaign):
        statuses = dict(Rsvp.objects.filter(event=event).values_list("email", "status"))
        assert statuses == {"p0@ex.fr": "going", "p1@ex.fr": "going", "p2@ex.fr": "waiting", "p3@ex.fr": "waiting"}
        # Registering twice changes nothing.
        assert services.rsvp(event, name="P0", email="P0@ex.fr").status == "going"
        assert Rsvp.objects.filter(event=event).count() == 4
    assert [m.subject for m in mail.outbox].count("Liste d'attente : Réunion publique à l'Argonne") == 2

    # The cancel link mailed with the confirmation frees the seat for the first waiting.
    mail.outbox.clear()
    from campaigns import signing

    with tenant_context(campaign):
        first = Rsvp.objects.get(email="p0@ex.fr")
        token = signing.dumps(first.pk, salt="participation.rsvp-cancel")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/evenements/{event.slug}/annuler/{token}/").status_code == 302
    assert client.post(f"/evenements/{event.slug}/annuler/forged/").status_code == 404
    with tenant_context(campaign):
        statuses = dict(Rsvp.objects.filter(event=event).values_list("email", "status"))
    assert statuses["p0@ex.fr"] == "cancelled" and statuses["p2@ex.fr"] == "going" and statuses["p3@ex.fr"] == "waiting"
    assert mail.outbox[-1].to == ["p2@ex.fr"] and "place s'est libérée" in mail.outbox[-1].subject


def test_bad_rsvp_is_explained_and_records_nothing(campaign):
    with tenant_context(campaign):
        event = make_event()
    client = Client(HTTP_HOST=host_of(campaign))
    response = client.post(f"/evenements/{event.slug}/inscription/", {"name": "", "email": "nope"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "email"}
    assert client.post("/evenements/inconnu/inscription/", {"name": "A", "email": "a@ex.fr"}).status_code == 404
    with tenant_context(campaign):
        assert not Rsvp.objects.exists()


def test_concurrent_rsvps_never_exceed_capacity(committed):
    campaign = committed.campaign().campaign
    with tenant_context(campaign):
        event = make_event(capacity=5)
    barrier = threading.Barrier(20)
    errors = []

    def register(n):
        try:
            client = Client(HTTP_HOST=host_of(campaign))
            barrier.wait()
            response = client.post(f"/evenements/{event.slug}/inscription/", {"name": f"P{n}", "email": f"p{n}@ex.fr"})
            assert response.status_code == 302, response.status_code
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with tenant_context(campaign):
        counts = services.rsvp_counts(event)
        assert counts == {"going": 5, "waiting": 15}
        going = list(Rsvp.objects.filter(event=event, status="going").order_by("created").values_list("id", flat=True))
        waiting = Rsvp.objects.filter(event=event, status="waiting").order_by("created").values_list("id", flat=True)
        # First come, first served: every seat went to someone who registered earlier than anyone waiting.
        assert max(going) < min(waiting)


def test_reminders_go_once_to_people_going(campaign):
    with tenant_context(campaign):
        soon = make_event(starts_at=timezone.now() + dt.timedelta(hours=5))
        later = make_event(slug="plus-tard", starts_at=timezone.now() + dt.timedelta(days=5))
        for n in range(3):
            services.rsvp(soon, name=f"P{n}", email=f"p{n}@ex.fr")
            services.rsvp(later, name=f"P{n}", email=f"p{n}@ex.fr")
        mail.outbox.clear()
        assert services.send_event_reminders() == 2
        assert services.send_event_reminders() == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["p0@ex.fr", "p1@ex.fr"]
    assert all(m.subject == "Rappel : Réunion publique à l'Argonne" for m in mail.outbox)


def test_ics_download_is_a_valid_calendar_entry(campaign):
    from django.contrib.gis.geos import Point

    with tenant_context(campaign):
        event = make_event(title="Porte-à-porte, quartier Saint-Marceau ; café offert " * 2,
                           location=Point(1.9093, 47.8925, srid=4326))  # fmt: skip
    response = Client(HTTP_HOST=host_of(campaign)).get(f"/evenements/{event.slug}/agenda.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    unfolded = body.replace("\r\n ", "")
    assert "SUMMARY:Porte-à-porte\\, quartier Saint-Marceau \\; café offert" in unfolded
    assert f"DTSTART:{event.starts_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}" in unfolded
    assert "GEO:47.892500;1.909300" in unfolded
    page = Client(HTTP_HOST=host_of(campaign)).get(f"/evenements/{event.slug}/").content.decode()
    assert 'id="place-map"' in page and 'data-lat="47.892500"' in page


def test_reminder_task_runs_in_celery_for_every_campaign(committed, celery_worker_process):
    from participation.tasks import send_event_reminders_everywhere

    campaigns = [committed.campaign().campaign for _ in range(2)]
    for n, campaign in enumerate(campaigns):
        with tenant_context(campaign):
            event = make_event(starts_at=timezone.now() + dt.timedelta(hours=3))
            for k in range(n + 1):
                Rsvp.objects.create(event=event, name=f"P{k}", email=f"p{k}@ex.fr", status="going")
    # Other campaigns of the session may have events too: count only these two.
    send_event_reminders_everywhere.delay().get(timeout=60)
    for campaign in campaigns:
        with tenant_context(campaign):
            assert Event.objects.get().reminder_sent_at is not None
