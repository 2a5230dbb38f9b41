"""The campaign's public site. Its content models arrive with the participatory-site issue."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SiteSettings(models.Model):
    """What the public home page says about the campaign. One row per campaign schema."""

    tagline = models.CharField(_("accroche"), max_length=200, blank=True)
    intro = models.TextField(_("présentation"), blank=True)
    primary_colour = models.CharField(_("couleur principale"), max_length=7, default="#1d4ed8")

    class Meta:
        verbose_name = _("réglages du site")
        verbose_name_plural = _("réglages du site")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(primary_colour__regex=r"^#[0-9a-fA-F]{6}$"),
                name="participation_site_colour_hex",
            )
        ]

    def __str__(self):
        return str(_("Réglages du site"))

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls()
