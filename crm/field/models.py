from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class Zone(models.Model):
    class Kind(models.TextChoices):
        ZONE = "zone", _("Zone")
        POLLING_STATION = "polling_station", _("Bureau de vote")
        COMMUNE = "commune", _("Commune")
        CANTON = "canton", _("Canton")

    name = models.CharField(_("nom"), max_length=200)
    code = models.CharField(_("code"), max_length=50, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.ZONE)
    priority = models.PositiveSmallIntegerField(_("priorité"), null=True, blank=True, help_text=_("1 = la plus haute"))
    notes = models.TextField(_("notes"), blank=True)
    geometry = models.MultiPolygonField(_("contour"), srid=4326)
    indicators = models.JSONField(_("indicateurs"), default=dict, blank=True)
    # Derived from the indicators and the campaign's weights (crm/field/targeting.py).
    score = models.FloatField(_("score de priorité"), null=True, blank=True, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["priority", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], condition=~models.Q(code=""), name="field_zone_code"),
            models.CheckConstraint(
                condition=models.Q(priority__isnull=True) | models.Q(priority__range=(1, 3)),
                name="field_zone_priority_1_3",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})" if self.code else self.name


class TargetingWeights(models.Model):
    """How much each indicator counts in the zones' priority score (one row)."""

    weights = models.JSONField(default=dict, blank=True, help_text='{"indicator": weight, ...}')
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pondération du ciblage")
        verbose_name_plural = _("pondération du ciblage")

    def __str__(self):
        return str(_("Pondération du ciblage"))

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls.objects.create()
