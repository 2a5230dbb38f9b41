"""Campaign presets: what a new campaign starts with, by kind of organisation.

A campaign preset names project presets (participation/presets.py: programme
co-building, crisis review...) to open on day one. `create_campaign --preset` also
takes a project preset's name: the default campaign preset with that project.
"""

from dataclasses import dataclass, field, replace

from django.utils.translation import gettext_lazy as _

from .models import Campaign


@dataclass(frozen=True)
class CampaignPreset:
    name: str
    label: str
    kind: str
    teams: list = field(default_factory=list)
    tagline: str = ""
    projects: list = field(default_factory=list)


PRESETS = {
    p.name: p
    for p in [
        CampaignPreset(
            name="municipal-list",
            label=_("Liste municipale"),
            kind=Campaign.Kind.ELECTORAL,
            teams=["Porte-à-porte", "Tractage", "Phoning"],
            tagline=_("Construisons ensemble le programme de notre ville."),
            projects=["programme"],
        ),
        CampaignPreset(
            name="city-hall",
            label=_("Mairie / collectivité"),
            kind=Campaign.Kind.LOCAL_AUTHORITY,
            teams=["Service participation"],
            tagline=_("Votre avis compte pour les projets de la commune."),
            projects=["questions-first"],
        ),
        CampaignPreset(
            name="company-consultation",
            label=_("Consultation interne d'entreprise"),
            kind=Campaign.Kind.ORGANISATION,
            teams=["Comité de pilotage"],
            tagline=_("Une consultation ouverte à toutes les équipes."),
            projects=["organisation-review"],
        ),
    ]
}
DEFAULT_PRESET = "municipal-list"


def preset_names():
    from participation.presets import PROJECT_PRESETS

    return sorted(PRESETS) + sorted(PROJECT_PRESETS)


def resolve_preset(name):
    """The campaign preset called `name`, or the default one opening project preset `name`."""
    from participation.presets import PROJECT_PRESETS

    if name in PRESETS:
        return PRESETS[name]
    if name in PROJECT_PRESETS:
        return replace(PRESETS[DEFAULT_PRESET], name=name, projects=[name])
    return None
