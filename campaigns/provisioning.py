"""Creating campaigns.

A new campaign's schema is cloned from a pre-migrated template schema instead of
being migrated from scratch: cloning costs about the same however many migrations
the apps accumulate, which keeps "a new campaign is live in seconds" true as the
code grows. `sync_template_schema` keeps the template in step with the migrations;
`create_campaign` refuses to clone an outdated template and brings it up to date
first.
"""

import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.management import call_command
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_context, schema_exists, tenant_context

from .models import Campaign, Domain, PlatformAuditEntry
from .presets import preset_names, resolve_preset

TEMPLATE_SCHEMA = settings.TENANT_BASE_SCHEMA

SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
SLUG_MAX_LENGTH = 50
RESERVED_SLUGS = {
    "public",
    "www",
    "api",
    "admin",
    "static",
    "media",
    "mail",
    "smtp",
    "ftp",
    "ws",
    "app",
    "docs",
    "help",
    "status",
    "platform",
    "terrain",
    "template",
    "information-schema",
    TEMPLATE_SCHEMA,
}
HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)
# Arbitrary constant key for pg_advisory_xact_lock, shared by every process.
TEMPLATE_LOCK_ID = 0x7465727261696E


class ProvisioningError(Exception):
    """Bad input for a new campaign. `errors` maps each field to its messages."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()))


@dataclass
class NewCampaign:
    campaign: Campaign
    admin_email: str
    admin_password: str
    url: str


def campaign_url(campaign):
    domain = campaign.get_primary_domain()
    port = settings.PLATFORM_PORT
    default_port = {"http": 80, "https": 443}[settings.PLATFORM_SCHEME]
    suffix = f":{port}" if port and port != default_port else ""
    return f"{settings.PLATFORM_SCHEME}://{domain.domain}{suffix}/"


def template_is_current():
    if not schema_exists(TEMPLATE_SCHEMA):
        return False
    with schema_context(TEMPLATE_SCHEMA):
        executor = MigrationExecutor(connection)
        return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def sync_template_schema(verbosity=0):
    """Create the template schema if missing and apply any pending migration to it."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Two processes provisioning at once must not both build the template.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TEMPLATE_LOCK_ID])
        if template_is_current():
            return False
        if not schema_exists(TEMPLATE_SCHEMA):
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE SCHEMA "{TEMPLATE_SCHEMA}"')
        call_command(
            "migrate_schemas", tenant=True, schema_name=TEMPLATE_SCHEMA, interactive=False, verbosity=verbosity
        )
        connection.set_schema_to_public()
    return True


def clone_template(schema_name):
    """Copy the template schema (tables, data, sequences, functions) to a new schema.

    django-tenants' clone function recreates multi-column unique constraints
    under PostgreSQL's default names (`<table>_<cols>_key`) instead of Django's
    (`<table>_<cols>_<hash>_uniq`). A later migration that drops one by name would
    then fail on cloned campaigns only, so the names are put back as in the template.
    """
    CloneSchema().clone_schema(TEMPLATE_SCHEMA, schema_name, "DATA")
    shape = """
        SELECT rel.relname, con.contype, pg_get_constraintdef(con.oid), con.conname
          FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
         WHERE con.connamespace = %s::regnamespace"""
    with connection.cursor() as cursor:
        cursor.execute(shape, [TEMPLATE_SCHEMA])
        wanted = {}
        for table, kind, definition, name in cursor.fetchall():
            key = (table, kind, definition.replace(TEMPLATE_SCHEMA, schema_name))
            wanted[key] = None if key in wanted else name  # ambiguous: leave alone
        cursor.execute(shape, [schema_name])
        for table, kind, definition, name in cursor.fetchall():
            target = wanted.get((table, kind, definition))
            if target and target != name:
                cursor.execute(f'ALTER TABLE "{schema_name}"."{table}" RENAME CONSTRAINT "{name}" TO "{target}"')


def _clean_hostname(value):
    return (value or "").strip().lower().rstrip(".")


def validate_new_campaign(*, slug, name, domains=(), admin_email=None, preset=None, language="fr", time_zone=None):
    """Return {field: [messages]} for everything wrong with these inputs (empty when fine)."""
    errors = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if not slug:
        add("slug", _("Le sous-domaine (slug) est obligatoire."))
    elif len(slug) > SLUG_MAX_LENGTH:
        add(
            "slug",
            _("« %(slug)s » est trop long (%(max)d caractères au plus).") % {"slug": slug, "max": SLUG_MAX_LENGTH},
        )
    elif not SLUG_RE.match(slug):
        add(
            "slug",
            _(
                "« %(slug)s » n'est pas un slug valide : lettres minuscules sans accent, chiffres et tirets "
                "simples, en commençant par une lettre (ex. « lyon-2026 »)."
            )
            % {"slug": slug},
        )
    elif slug in RESERVED_SLUGS or slug.startswith("pg-"):
        add("slug", _("« %(slug)s » est un nom réservé ; choisissez-en un autre.") % {"slug": slug})
    elif Campaign.objects.filter(schema_name=slug).exists() or schema_exists(slug, case_sensitive=False):
        add("slug", _("Une campagne « %(slug)s » existe déjà.") % {"slug": slug})

    if not (name or "").strip():
        add("name", _("Le nom de la campagne est obligatoire."))
    elif len(name) > Campaign._meta.get_field("name").max_length:
        add("name", _("Le nom de la campagne est trop long (200 caractères au plus)."))

    platform = settings.PLATFORM_DOMAIN
    wanted = [f"{slug}.{platform}"] + [_clean_hostname(d) for d in domains]
    for host in wanted[1:]:
        if not HOSTNAME_RE.match(host):
            add("domain", _("« %(host)s » n'est pas un nom de domaine valide.") % {"host": host})
        elif host == platform or (host.endswith("." + platform) and host != wanted[0]):
            add(
                "domain",
                _("« %(host)s » appartient à la plateforme ; un domaine supplémentaire doit être le vôtre.")
                % {"host": host},
            )
    if len(set(wanted)) != len(wanted):
        add("domain", _("Le même domaine est donné deux fois."))
    taken = Domain.objects.filter(domain__in=wanted).values_list("domain", flat=True)
    for host in taken:
        add("domain", _("Le domaine « %(host)s » est déjà utilisé par une autre campagne.") % {"host": host})

    if admin_email:
        try:
            validate_email(admin_email)
        except ValidationError:
            add("admin_email", _("« %(email)s » n'est pas une adresse e-mail valide.") % {"email": admin_email})

    if preset and resolve_preset(preset) is None:
        add(
            "preset",
            _("Modèle « %(preset)s » inconnu. Modèles disponibles : %(names)s.")
            % {"preset": preset, "names": ", ".join(preset_names())},
        )
    if language not in dict(settings.LANGUAGES):
        add("language", _("Langue « %(lang)s » non prise en charge (fr ou en).") % {"lang": language})
    if time_zone:
        import zoneinfo

        if time_zone not in zoneinfo.available_timezones():
            add("time_zone", _("Fuseau horaire « %(tz)s » inconnu (ex. Europe/Paris).") % {"tz": time_zone})
    return errors


def create_campaign(
    *,
    slug,
    name,
    preset=None,
    domains=(),
    admin_email=None,
    language="fr",
    time_zone="Europe/Paris",
    actor="cli",
    email_password=False,
):
    """Create a live campaign with its admin account, or raise ProvisioningError and create nothing."""
    from campaigns.accounts.models import AuditEntry, Role, User
    from campaigns.accounts.roles import assign_role, ensure_role_groups

    slug = (slug or "").strip()
    domains = [_clean_hostname(d) for d in domains if d and d.strip()]
    errors = validate_new_campaign(
        slug=slug,
        name=name,
        domains=domains,
        admin_email=admin_email,
        preset=preset,
        language=language,
        time_zone=time_zone,
    )
    if errors:
        raise ProvisioningError(errors)

    if not template_is_current():
        sync_template_schema()

    chosen = resolve_preset(preset) if preset else None
    admin_email = (admin_email or f"admin@{slug}.{settings.PLATFORM_DOMAIN}").lower()
    password = secrets.token_urlsafe(12)

    connection.set_schema_to_public()
    # One transaction for the row, the schema clone, the domains and the admin:
    # PostgreSQL DDL is transactional, so a failure anywhere leaves nothing behind.
    with transaction.atomic():
        campaign = Campaign.objects.create(
            schema_name=slug,
            name=name.strip(),
            kind=chosen.kind if chosen else Campaign.Kind.ELECTORAL,
            preset=preset or "",
            language=language,
            time_zone=time_zone,
        )
        clone_template(slug)
        Domain.objects.create(domain=f"{slug}.{settings.PLATFORM_DOMAIN}", tenant=campaign, is_primary=True)
        for host in domains:
            Domain.objects.create(domain=host, tenant=campaign, is_primary=False)

        with tenant_context(campaign):
            # The roles' permissions as this code has them (the template schema keeps the
            # groups of its last migration).
            ensure_role_groups()
            admin = User.objects.create_user(admin_email, password, full_name=_("Administrateur"))
            assign_role(admin, Role.ADMIN)
            if chosen:
                _apply_preset(chosen)
            AuditEntry.objects.create(
                actor=None,
                action="campaign.created",
                target_type="campaign",
                target_id=slug,
                data={"by": actor, "preset": preset or ""},
            )
        PlatformAuditEntry.objects.create(
            actor=actor, action="campaign.created", campaign_slug=slug, data={"domains": domains, "preset": preset}
        )
        url = campaign_url(campaign)
        if email_password:
            transaction.on_commit(lambda: _send_admin_welcome(campaign, admin_email, password, url))
    return NewCampaign(campaign=campaign, admin_email=admin_email, admin_password=password, url=url)


def _apply_preset(preset):
    from campaigns.accounts.models import Team
    from participation.models import SiteSettings
    from participation.services import create_project, create_starter_pages

    for team_name in preset.teams:
        Team.objects.get_or_create(name=team_name)
    site = SiteSettings.current()
    site.tagline = str(preset.tagline)
    site.save()
    create_starter_pages()
    for name in preset.projects:
        create_project(name)


def _send_admin_welcome(campaign, email, password, url):
    send_mail(
        subject=_("Votre campagne « %(name)s » est prête") % {"name": campaign.name},
        message=_(
            "Bonjour,\n\nLa campagne « %(name)s » est en ligne : %(url)s\n\n"
            "Identifiant : %(email)s\nMot de passe provisoire : %(password)s\n\n"
            "Changez ce mot de passe dès votre première connexion.\n"
        )
        % {"name": campaign.name, "url": url, "email": email, "password": password},
        from_email=None,
        recipient_list=[email],
    )


def delete_campaign(campaign, *, actor="cli"):
    """Drop a campaign's schema and registry rows."""
    slug = campaign.schema_name
    connection.set_schema_to_public()
    with transaction.atomic():
        campaign.delete(force_drop=True)
        PlatformAuditEntry.objects.create(actor=actor, action="campaign.deleted", campaign_slug=slug)
