import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.singletons import OneRowModel


def default_tiles():
    return settings.MAP_TILE_URL


def default_attribution():
    return settings.MAP_TILE_ATTRIBUTION


# A tile server's address as Leaflet takes it: http(s), a host name (Leaflet's {s}
# subdomain placeholder allowed), an optional port, then a path holding {z}, {x} and {y}.
# Nothing else: the host goes into the pages' Content Security Policy as is.
TILE_URL = re.compile(r"^https?://(\{s\}\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?/[^\s;,'\"<>]*$")


def validate_tile_url(url):
    if not url:
        return
    if not TILE_URL.match(url):
        raise ValidationError(
            _("« %(url)s » n'est pas une adresse de tuiles : http(s)://serveur/…/{z}/{x}/{y}.png attendu."),
            params={"url": url},
        )
    missing = [part for part in ("{z}", "{x}", "{y}") if part not in url]
    if missing:
        raise ValidationError(
            _("Il manque %(parts)s dans l'adresse des tuiles (ex. https://tile.openstreetmap.org/{z}/{x}/{y}.png)."),
            params={"parts": ", ".join(missing)},
        )


class MapSettings(OneRowModel):
    """The campaign's map background (one row). Empty URL: a blank background, nothing
    requested from another host (privacy-minded campaigns, tests)."""

    tile_url = models.CharField(
        _("adresse des tuiles"), max_length=300, blank=True, default=default_tiles, validators=[validate_tile_url],
        help_text=_("Ex. https://tile.openstreetmap.org/{z}/{x}/{y}.png ; vide = fond blanc"),
    )  # fmt: skip
    tile_attribution = models.CharField(_("attribution"), max_length=300, blank=True, default=default_attribution)

    class Meta:
        verbose_name = _("réglages de la carte")
        verbose_name_plural = _("réglages de la carte")

    def __str__(self):
        return str(_("Réglages de la carte"))


class ReportCell(models.Model):
    """Field reports counted per grid cell and zoom level (livemap/cells.py)."""

    level = models.PositiveSmallIntegerField()
    x = models.IntegerField()
    y = models.IntegerField()
    count = models.PositiveIntegerField(default=0)
    reached = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "x", "y"], name="livemap_cell_unique")]

    def __str__(self):
        return f"{self.level}/{self.x}/{self.y}: {self.count}"
