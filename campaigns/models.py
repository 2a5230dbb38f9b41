"""The tenant registry: one Campaign per schema, reached through its Domains."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin


class Campaign(TenantMixin):
    class Kind(models.TextChoices):
        ELECTORAL = "electoral", _("Campagne électorale")
        LOCAL_AUTHORITY = "local_authority", _("Collectivité")
        ORGANISATION = "organisation", _("Organisation")

    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.ELECTORAL)
    preset = models.CharField(_("modèle de départ"), max_length=50, blank=True)
    language = models.CharField(_("langue"), max_length=8, default="fr")
    time_zone = models.CharField(_("fuseau horaire"), max_length=64, default="Europe/Paris")
    # Default region for parsing phone numbers typed without an international prefix.
    phone_region = models.CharField(_("région téléphonique"), max_length=2, default="FR")
    created = models.DateTimeField(_("créée le"), auto_now_add=True)

    # Provisioning clones the template schema itself (campaigns/provisioning.py),
    # so saving a Campaign must not create or migrate a schema on its own.
    auto_create_schema = False
    auto_drop_schema = True

    class Meta:
        verbose_name = _("campagne")
        verbose_name_plural = _("campagnes")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def slug(self):
        return self.schema_name

    @property
    def is_platform(self):
        from django_tenants.utils import get_public_schema_name

        return self.schema_name == get_public_schema_name()


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domaine")
        verbose_name_plural = _("domaines")

    def __str__(self):
        return self.domain


class PlatformAuditEntry(models.Model):
    """Who did what to the campaign registry (create, delete, attach a domain)."""

    at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=254, help_text="E-mail of the platform user, or 'cli'.")
    action = models.CharField(max_length=64)
    campaign_slug = models.CharField(max_length=63)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("entrée du journal de la plateforme")
        verbose_name_plural = _("journal de la plateforme")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.campaign_slug}"
