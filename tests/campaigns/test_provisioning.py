"""Creating campaigns: the command, the platform API, bad input, and the template clone."""

import json

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context, schema_exists, tenant_context

from campaigns import provisioning
from campaigns.accounts.models import Role, Team, User
from campaigns.models import Campaign, Domain, PlatformAuditEntry
from participation.models import SiteSettings
from tests.conftest import unique_slug


def run_create(*args):
    from io import StringIO

    out = StringIO()
    call_command("create_campaign", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def registry_snapshot():
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace ORDER BY 1")
        schemas = [r[0] for r in cursor.fetchall()]
    return (
        schemas,
        list(Campaign.objects.values_list("schema_name", flat=True)),
        list(Domain.objects.values_list("domain", flat=True)),
        PlatformAuditEntry.objects.count(),
    )


def nothing_left_behind(slug, domains=()):
    connection.set_schema_to_public()
    assert not Campaign.objects.filter(schema_name=slug).exists()
    assert not schema_exists(slug)
    for domain in domains:
        assert not Domain.objects.filter(domain=domain).exists()
    assert not PlatformAuditEntry.objects.filter(campaign_slug=slug).exists()


def test_create_campaign_command_makes_a_live_campaign_with_its_admin(db):
    slug = unique_slug("ville")
    out = run_create(slug, "--name", "Orléans en commun", "--preset", "municipal-list", "--domain", "orleans.example")
    assert f"http://{slug}.localhost:8000/" in out
    password = out.split("Password (shown once, change it after signing in): ")[1].split()[0]

    campaign = Campaign.objects.get(schema_name=slug)
    assert campaign.name == "Orléans en commun"
    assert campaign.kind == Campaign.Kind.ELECTORAL
    assert set(campaign.domains.values_list("domain", flat=True)) == {f"{slug}.localhost", "orleans.example"}
    with tenant_context(campaign):
        admin = User.objects.get(email=f"admin@{slug}.localhost")
        assert admin.role == Role.ADMIN and admin.check_password(password)
        assert admin.groups.filter(name="role:admin").exists()
        assert Team.objects.filter(name="Porte-à-porte").exists()
        assert SiteSettings.current().tagline

    # The admin can sign in on the campaign's host with the printed password.
    client = Client(HTTP_HOST=f"{slug}.localhost")
    response = client.post("/accounts/login/", {"username": f"Admin@{slug}.localhost", "password": password})
    assert response.status_code == 302
    assert client.get("/api/me/").json()["role"] == "admin"
    assert PlatformAuditEntry.objects.filter(campaign_slug=slug, action="campaign.created").exists()


def test_admin_password_can_be_sent_by_email_instead_of_printed(db, django_capture_on_commit_callbacks):
    slug = unique_slug()
    with django_capture_on_commit_callbacks(execute=True):
        out = run_create(slug, "--name", "Mairie", "--admin-email", "maire@ville.example", "--email-password")
    assert "Password" not in out
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["maire@ville.example"]
    assert f"http://{slug}.localhost:8000/" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("Demo", "n'est pas un slug valide"),
        ("ma campagne", "n'est pas un slug valide"),
        ("1demo", "n'est pas un slug valide"),
        ("demo--x", "n'est pas un slug valide"),
        ("demo-", "n'est pas un slug valide"),
        ("démo", "n'est pas un slug valide"),
        ("demo_x", "n'est pas un slug valide"),
        ("public", "nom réservé"),
        ("www", "nom réservé"),
        ("api", "nom réservé"),
        ("template", "nom réservé"),
        ("pg-catalog", "nom réservé"),
        ("x" * 51, "trop long"),
    ],
)
def test_create_campaign_rejects_bad_slugs_and_creates_nothing(db, slug, expected):
    before = registry_snapshot()
    with pytest.raises(CommandError) as error:
        run_create(slug, "--name", "Test")
    assert expected in str(error.value)
    assert "SLUG" in str(error.value)
    assert registry_snapshot() == before


def test_create_campaign_rejects_a_duplicate_slug(campaign_a):
    existing = campaign_a
    with pytest.raises(CommandError, match="existe déjà"):
        run_create(existing.schema_name, "--name", "Doublon")
    assert Campaign.objects.filter(schema_name=existing.schema_name).count() == 1


def test_create_campaign_rejects_a_domain_already_used_and_creates_nothing(campaign_factory):
    campaign_factory(domains=["ville.example"])
    slug = unique_slug()
    with pytest.raises(CommandError, match="« ville.example » est déjà utilisé"):
        run_create(slug, "--name", "Autre", "--domain", "Ville.Example")
    nothing_left_behind(slug, [f"{slug}.localhost"])


@pytest.mark.parametrize(
    ("args", "field", "expected"),
    [
        (["--name", ""], "--name", "obligatoire"),
        (["--name", "X", "--domain", "pas un domaine"], "--domain", "n'est pas un nom de domaine valide"),
        (["--name", "X", "--domain", "localhost"], "--domain", "appartient à la plateforme"),
        (["--name", "X", "--domain", "other.localhost"], "--domain", "appartient à la plateforme"),
        (["--name", "X", "--admin-email", "pas-un-email"], "--admin-email", "n'est pas une adresse e-mail valide"),
        (["--name", "X", "--preset", "inconnu"], "--preset", "Modèle « inconnu » inconnu"),
        (["--name", "X", "--language", "de"], "--language", "non prise en charge"),
        (["--name", "X", "--time-zone", "Mars/Olympus"], "--time-zone", "Fuseau horaire"),
    ],
)
def test_create_campaign_rejects_bad_options_and_creates_nothing(db, args, field, expected):
    slug = unique_slug()
    with pytest.raises(CommandError) as error:
        run_create(slug, *args)
    assert f"{field}: " in str(error.value)
    assert expected in str(error.value)
    nothing_left_behind(slug, [f"{slug}.localhost"])


def test_a_failure_half_way_leaves_no_schema_row_or_domain(db, monkeypatch):
    slug = unique_slug()

    def broken_preset(preset):
        raise RuntimeError("disk full")

    monkeypatch.setattr(provisioning, "_apply_preset", broken_preset)
    with pytest.raises(RuntimeError):
        provisioning.create_campaign(slug=slug, name="Échec", preset="city-hall")
    nothing_left_behind(slug, [f"{slug}.localhost"])


def _schema_shape(schema):
    """Tables, columns, constraints, indexes and sequences of a schema, comparable across schemas."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT table_name, column_name, data_type, is_nullable, column_default
                 FROM information_schema.columns WHERE table_schema = %s""",
            [schema],
        )
        columns = {tuple(str(v).replace(schema, "S") for v in row) for row in cursor.fetchall()}
        cursor.execute(
            """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
                 FROM pg_constraint WHERE connamespace = %s::regnamespace""",
            [schema],
        )
        constraints = {tuple(str(v).replace(schema, "S") for v in row) for row in cursor.fetchall()}
        cursor.execute("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = %s", [schema])
        indexes = {(t, d.replace(f'"{schema}"', "S").replace(schema, "S")) for t, d in cursor.fetchall()}
        cursor.execute(
            "SELECT table_name, count(*) FROM information_schema.tables WHERE table_schema = %s GROUP BY 1",
            [schema],
        )
        tables = set(cursor.fetchall())
    return {"tables": tables, "columns": columns, "constraints": constraints, "indexes": indexes}


def test_cloned_schema_matches_a_freshly_migrated_one(campaign_factory):
    cloned = campaign_factory().campaign.schema_name
    fresh = unique_slug("fresh")
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{fresh}"')
    call_command("migrate_schemas", tenant=True, schema_name=fresh, interactive=False, verbosity=0)
    connection.set_schema_to_public()
    a, b = _schema_shape(cloned), _schema_shape(fresh)
    assert a["tables"] and a["tables"] == b["tables"]
    assert a["columns"] == b["columns"]
    assert a["indexes"] == b["indexes"]
    # Constraint names embed a hash that Django derives from table and column names only.
    assert a["constraints"] == b["constraints"]
    with schema_context(fresh):
        from django.db.migrations.recorder import MigrationRecorder

        fresh_migrations = set(MigrationRecorder(connection).applied_migrations())
    with schema_context(cloned):
        cloned_migrations = set(MigrationRecorder(connection).applied_migrations())
    assert fresh_migrations == cloned_migrations


def test_an_outdated_or_missing_template_is_rebuilt_before_cloning(db):
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{provisioning.TEMPLATE_SCHEMA}" CASCADE')
    assert not provisioning.template_is_current()
    result = provisioning.create_campaign(slug=unique_slug(), name="Après migration")
    assert provisioning.template_is_current()
    with tenant_context(result.campaign):
        assert User.objects.filter(role=Role.ADMIN).count() == 1


def test_platform_staff_create_a_campaign_through_the_api(db):
    staff = User.objects.create_user("equipe@terrain.example", "mot-de-passe-plateforme", is_superuser=True)
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    slug = unique_slug("api")
    response = client.post(
        "/api/campaigns/",
        data=json.dumps({"slug": slug, "name": "Consultation interne", "preset": "company-consultation"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == slug and body["kind"] == "organisation"
    assert body["url"] == f"http://{slug}.localhost:8000/"
    assert body["admin_password"]
    listing = client.get("/api/campaigns/").json()["results"]
    assert slug in [c["slug"] for c in listing]


def test_campaign_api_answers_bad_input_with_field_messages_and_creates_nothing(db):
    staff = User.objects.create_user("equipe2@terrain.example", "mot-de-passe-plateforme", is_superuser=True)
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    response = client.post(
        "/api/campaigns/",
        data=json.dumps({"slug": "Public Space", "name": "X", "domains": ["localhost"]}),
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert "slug" in body and "Public Space" in body["slug"][0]
    assert "domain" in body
    assert not Campaign.objects.filter(name="X").exists()


def test_campaign_api_is_for_platform_staff_only(campaign_a):
    anonymous = Client(HTTP_HOST="localhost").post("/api/campaigns/", {"slug": "x1", "name": "X"})
    assert anonymous.status_code in (401, 403)
    not_staff = User.objects.create_user("curieux@terrain.example", "mot-de-passe-plateforme")
    client = Client(HTTP_HOST="localhost")
    client.force_login(not_staff)
    assert client.post("/api/campaigns/", {"slug": "x2", "name": "X"}).status_code == 403
    # A campaign's own host has no registry API at all.
    assert Client(HTTP_HOST=f"{campaign_a.schema_name}.localhost").get("/api/campaigns/").status_code == 404
    assert not Campaign.objects.filter(schema_name__in=["x1", "x2"]).exists()
