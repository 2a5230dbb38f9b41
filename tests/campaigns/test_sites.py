"""What each host answers: the demo campaign, the platform, unknown hosts, the API schema."""

import datetime as dt

import pytest
import yaml
from django.db import connection
from django.db.models import F
from django.test import Client
from django.utils import timezone
from drf_spectacular.validation import validate_schema

from campaigns.models import Campaign
from campaigns.provisioning import delete_campaign
from crm.models import Contact
from demo.seed import seed_demo


@pytest.fixture(scope="module")
def _demo(django_db_setup, django_db_blocker):
    """The demo campaign, seeded once for the module (seeding takes seconds) and removed
    after it; each test works inside its own rolled back transaction."""
    with django_db_blocker.unblock():
        result = seed_demo(people=300, password="demo-mot-de-passe")
        connection.set_schema_to_public()
    yield result
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        delete_campaign(result.campaign, actor="tests")


@pytest.fixture
def demo(_demo, db):
    return _demo


def test_demo_site_answers_home_page_on_demo_localhost(demo):
    response = Client(HTTP_HOST="demo.localhost").get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Villebourg en commun" in html
    assert '<html lang="fr">' in html
    # The public site has something to show: the programme project, news, events.
    assert "Co-construire le programme" in html and "Vos questions sur la campagne" in html
    assert "Notre local de campagne ouvre ses portes" in html and "Réunion publique : le programme" in html
    # The programme's introduction is over: a visitor is sent to the step open for ideas.
    assert "Étape : Vos idées — En cours" in html and "La démarche — En cours" not in html
    assert "20:00</time> — Salle des fêtes de Villebourg" in html and "10:00</time> — Devant le local" in html
    event = Client(HTTP_HOST="demo.localhost").get("/evenements/reunion-publique/").content.decode()
    assert 'id="place-map"' in event
    # Ideas and a mutual-aid offer are on the public map.
    bbox = "bbox=-180,-90,180,90&zoom=3"
    kinds = [
        f["properties"]["kind"]
        for f in Client(HTTP_HOST="demo.localhost").get(f"/api/public/contributions/?{bbox}").json()["features"]
    ]
    assert kinds.count("proposal") == 3 and kinds.count("offer") == 1


def test_demo_has_a_login_for_each_role_and_town_sized_data(demo):
    roles = {role for _, role, _ in demo.logins}
    assert {"Administrateur de campagne", "Organisateur", "Chef d'équipe", "Militant", "Citoyen"} <= {
        str(r) for r in roles
    }
    from django_tenants.utils import tenant_context

    from crm.models import Contact

    with tenant_context(demo.campaign):
        # The 300 of the town, and the people volunteers met at doors, off the walk list.
        met = Contact.objects.filter(source__startswith="terrain").count()
    assert demo.contacts == 300 + met
    for email, _, password in demo.logins:
        client = Client(HTTP_HOST="demo.localhost")
        assert client.post("/accounts/login/", {"username": email, "password": password}).status_code == 302


def test_demo_people_can_be_reached_and_picked_out(demo):
    """Consents (each with its line in the consent log), tags and support levels, so
    that the demo's segments, SMS and e-mails reach someone."""
    from django_tenants.utils import tenant_context

    from crm.models import ConsentEvent, Contact
    from crm.segments import contacts_matching

    with tenant_context(demo.campaign):
        texting = Contact.objects.filter(consent_sms=True)
        assert 0 < texting.count() < demo.contacts and not texting.filter(phone="").exists()
        assert Contact.objects.filter(consent_email=True).exclude(email="").exists()
        # Each person's last SMS consent line says what their record says (the door-to-door
        # round's answers changed some after the first lines).
        last = {}
        for contact_id, granted in (
            ConsentEvent.objects.filter(channel="sms").order_by("at", "id").values_list("contact_id", "granted")
        ):
            last[contact_id] = granted
        assert {pk for pk, granted in last.items() if granted} == set(texting.values_list("pk", flat=True))
        assert contacts_matching({"tags": ["sympathisant"], "consent": {"sms": True}}).exists()
        assert Contact.objects.filter(support_level__gte=4).exists()


def test_seed_demo_twice_keeps_one_demo_and_resets_the_logins(demo):
    again = seed_demo(people=300, password="autre-mot-de-passe")
    assert again.contacts == demo.contacts
    client = Client(HTTP_HOST="demo.localhost")
    login = {"username": "militant@demo.localhost", "password": "autre-mot-de-passe"}
    assert client.post("/accounts/login/", login).status_code == 302
    # The planner knows the demo's size at once (on a machine with autovacuum off, the
    # duplicates page of a demo never analyzed took close to a minute).
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stats WHERE schemaname = 'demo' AND tablename = 'crm_contact'")
        assert cursor.fetchone()[0] > 0


@pytest.mark.parametrize("host", ["demo.localhost", "localhost"])
def test_api_schema_is_a_valid_openapi_3_document(demo, host):
    response = Client(HTTP_HOST=host).get("/api/schema/")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    validate_schema(document)
    paths = set(document["paths"])
    if host == "localhost":
        assert "/api/campaigns/" in paths and "/api/contacts/" not in paths
    else:
        assert "/api/contacts/" in paths and "/api/campaigns/" not in paths


def test_swagger_ui_is_served_from_our_own_static_files(demo):
    response = Client(HTTP_HOST="demo.localhost").get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


@pytest.mark.parametrize("host", ["nowhere.localhost", "evil.example.com", "localhost.evil.com"])
def test_unknown_host_gets_a_clear_404_page(db, host):
    response = Client(HTTP_HOST=host).get("/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Aucune campagne à cette adresse" in html


def test_unknown_host_api_call_is_a_404_not_a_500(db):
    response = Client(HTTP_HOST="nowhere.localhost").post("/api/contacts/", {"email": "x@y.z"})
    assert response.status_code == 404


def test_english_is_available(demo):
    client = Client(HTTP_HOST="demo.localhost")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in html
    assert "Sign in" in html


def test_healthz_reports_database_and_cache(db):
    response = Client(HTTP_HOST="localhost").get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok"}


def test_pages_forbid_third_party_scripts_through_csp(demo):
    response = Client(HTTP_HOST="demo.localhost").get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_campaign_answers_on_an_extra_domain_too(campaign_factory, settings):
    settings.ALLOWED_HOSTS = [".localhost", "orleans-en-commun.fr"]
    campaign = campaign_factory(name="Orléans en commun", domains=["orleans-en-commun.fr"]).campaign
    response = Client(HTTP_HOST="orleans-en-commun.fr").get("/")
    assert response.status_code == 200
    assert "Orléans en commun" in response.content.decode()
    assert Client(HTTP_HOST=f"{campaign.schema_name}.localhost").get("/").status_code == 200


def test_demo_town_has_polling_station_zones_holding_its_people(demo):
    from django_tenants.utils import tenant_context

    from crm.field.models import Zone
    from crm.segments import contacts_matching

    with tenant_context(demo.campaign):
        stations = Zone.objects.filter(kind=Zone.Kind.POLLING_STATION)
        assert stations.count() == 4
        counts = [contacts_matching({"zones": [z.pk]}).count() for z in stations]
        assert sum(counts) == demo.contacts and all(counts)


def test_demo_volunteers_have_a_turf_to_work_in_the_field_app(demo):
    from django_tenants.utils import tenant_context

    from campaigns.accounts.models import User
    from crm.field.models import Assignment

    client = Client(HTTP_HOST=f"{demo.campaign.schema_name}.localhost")
    with tenant_context(demo.campaign):
        client.force_login(User.objects.get(email="militant@demo.localhost"))
    [mine] = client.get("/api/assignments/", {"current": 1}).json()
    assert mine["action_detail"]["name"] == "Porte-à-porte de quartier" and mine["door_count"] > 0
    walk = client.get(f"/api/assignments/{mine['id']}/walk-list/").json()
    assert sum(len(b["doors"]) for s in walk["streets"] for b in s["buildings"]) == mine["door_count"]
    with tenant_context(demo.campaign):
        assert Assignment.objects.count() == 2


def test_a_renamed_campaign_or_removed_domain_is_seen_at_once_despite_the_host_cache(shared_campaign, db):
    campaign = Campaign.objects.get(pk=shared_campaign.pk)  # changed here, rolled back after
    campaign.name = "Avant"
    campaign.save()
    client = Client(HTTP_HOST=f"{campaign.schema_name}.localhost")
    assert "Avant" in client.get("/").content.decode()  # the host's campaign is now cached
    campaign.name = "Après"
    campaign.save()
    html = client.get("/").content.decode()
    assert "Après" in html and "Avant" not in html
    domain = campaign.domains.get()
    old_host, domain.domain = domain.domain, f"nouveau-{domain.domain}"
    domain.save()
    assert Client(HTTP_HOST=old_host).get("/").status_code == 404
    client = Client(HTTP_HOST=domain.domain)
    assert "Après" in client.get("/").content.decode()
    campaign.domains.all().delete()  # (deleting the campaign deletes its domains first)
    response = client.get("/")
    assert response.status_code == 404
    assert "Aucune campagne à cette adresse" in response.content.decode()


def test_demo_has_two_days_of_door_to_door_and_the_last_hour_under_review(demo):
    from django_tenants.utils import tenant_context

    from crm.field.models import FieldReport, ReviewBatch

    with tenant_context(demo.campaign):
        today = timezone.localdate()
        days = {timezone.localdate(at) for at in FieldReport.objects.values_list("done_at", flat=True)}
        past_days = {today - dt.timedelta(days=2), today - dt.timedelta(days=1)}
        # Today's round is the hour before seeding, from midnight on (none just after it).
        assert past_days <= days <= past_days | {today}
        # Every report came through the volunteers' path: a door of their turf, in their batch.
        assert not FieldReport.objects.filter(batch=None).exists()
        assert not FieldReport.objects.exclude(turf__assignments__volunteer=F("volunteer")).exists()
        past = ReviewBatch.objects.filter(day__in=past_days)
        assert past.count() == 4 and not past.exclude(status=ReviewBatch.Status.COMMITTED).exists()
        # Today's batches wait for the team, one per volunteer out today (just after
        # midnight, the hour gone holds doors of one volunteer, or none).
        pending = list(ReviewBatch.objects.filter(status=ReviewBatch.Status.PENDING))
        out_today = {r.volunteer_id for r in FieldReport.objects.all() if timezone.localdate(r.done_at) == today}
        assert {b.day for b in pending} <= {today} and sorted(b.volunteer_id for b in pending) == sorted(out_today)
        assert timezone.localtime().hour < 2 or len(out_today) == 2
        # Their survey answers reached the people met, once the batches were applied.
        met = Contact.objects.filter(field_reports__batch__in=past, field_reports__answers__has_key="q1")
        assert met.exists() and not met.filter(support_level=None).exists()
        # Some doors have a note, which the visit's line in the person's timeline carries.
        noted = FieldReport.objects.filter(batch__in=past).exclude(notes="").exclude(contact=None).first()
        assert noted and noted.contact.interactions.filter(summary__contains=noted.notes).exists()


def test_english_pages_punctuate_in_english(demo):
    """French puts a space before a colon, English does not: the colon is part of each
    translated label ("Étape :" / "Step:")."""
    client = Client(HTTP_HOST="demo.localhost")
    client.cookies["django_language"] = "en"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Step: Vos idées — Running" in html and "Step :" not in html
    french = Client(HTTP_HOST="demo.localhost").get("/").content.decode()
    assert "Étape : Vos idées — En cours" in french
