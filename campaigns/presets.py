"""Campaign presets: what a new campaign starts with, by kind of organisation.

The participatory-site issue adds project presets (programme co-building, crisis
review...); a campaign preset may name some of them to open on day one.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .models import Campaign


@dataclass(frozen=True)
class CampaignPreset:
    name: str
    label: str
    kind: str
    teams: list = field(default_factory=list)
    tagline: str = ""


PRESETS = {
    p.name: p
    for p in [
        CampaignPreset(
            name="municipal-list",
            label=_("Liste municipale"),
            kind=Campaign.Kind.ELECTORAL,
            teams=["Porte-à-porte", "Tractage", "Phoning"],
            tagline=_("Construisons ensemble le programme de notre ville."),
        ),
        CampaignPreset(
            name="city-hall",
            label=_("Mairie / collectivité"),
            kind=Campaign.Kind.LOCAL_AUTHORITY,
            teams=["Service participation"],
            tagline=_("Votre avis compte pour les projets de la commune."),
        ),
        CampaignPreset(
            name="company-consultation",
            label=_("Consultation interne d'entreprise"),
            kind=Campaign.Kind.ORGANISATION,
            teams=["Comité de pilotage"],
            tagline=_("Une consultation ouverte à toutes les équipes."),
        ),
    ]
}
DEFAULT_PRESET = "municipal-list"
