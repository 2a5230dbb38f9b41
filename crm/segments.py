"""Segments: saved searches over the contact base.

A segment's filters are a JSON object; every key is optional and they combine with AND:

    {"search": "dupont",                 name or e-mail, ignoring accents and case
     "tags": ["bénévole"], "tags_mode": "all" | "any",
     "exclude_tags": ["ne pas appeler"],
     "polygon": {GeoJSON Polygon or MultiPolygon, WGS 84},
     "zones": [zone ids],                          inside any of these zones
     "polling_stations": ["0012"],
     "support_min": 4, "support_max": 5,
     "consent": {"sms": true, "email": true},      true = consented, false = refused
     "contacted_since": "2026-01-01", "not_contacted_since": "2026-10-01",
     "never_contacted": true,
     "source": "liste électorale",
     "custom": {"Quartier": "Nord"},
     "has_email": true, "has_phone": true,
     "participation": {"module": "ideas", "action": "vote", "step": 12, "project": 3, "since": "2026-11-01"}
                                   took part on the public site (every key optional:
                                   {} = any contribution; modules: ideas, qa; actions:
                                   proposal, vote, question)}
"""

import datetime as dt
import json
import operator
from functools import reduce

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.db.models import Exists, F, Lookup, OuterRef, Q
from django.utils.translation import gettext as _

from .models import Address, Contact, Tag
from .normalise import words

CHANNELS = ("email", "sms", "phone", "door")
KNOWN_KEYS = {
    "search", "zones", "tags", "tags_mode", "exclude_tags", "polygon", "polling_stations", "support_min", "support_max",
    "consent", "contacted_since", "not_contacted_since", "never_contacted", "source", "custom", "has_email",
    "has_phone", "participation",
}  # fmt: skip
PARTICIPATION_KEYS = {"module", "action", "step", "project", "since"}


class BadFilters(ValueError):
    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def _texts(value):
    """Whether `value` is a list of strings (tag names, polling-station codes)."""
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _date(value, key, errors):
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors[key] = _("« %(v)s » n'est pas une date AAAA-MM-JJ.") % {"v": value}


def contacts_matching(filters):
    """The contacts a segment's filters select (erased people never)."""
    if not isinstance(filters, dict):
        raise BadFilters({"filters": _("Les filtres doivent être un objet JSON.")})
    errors = {}
    for key in set(filters) - KNOWN_KEYS:
        errors[key] = _("Filtre inconnu. Filtres possibles : %(keys)s.") % {"keys": ", ".join(sorted(KNOWN_KEYS))}
    qs = Contact.objects.filter(erased_at__isnull=True)

    if search := filters.get("search"):
        for word in words(str(search)):
            qs = qs.filter(search_text__contains=word)
    tags = filters.get("tags") or []
    if filters.get("tags_mode", "all") not in ("all", "any"):
        errors["tags_mode"] = _("Attendu : « all » (toutes les étiquettes) ou « any » (au moins une).")
    if tags:
        if not _texts(tags):
            errors["tags"] = _("Une liste d'étiquettes est attendue.")
        else:
            known = dict(Tag.objects.filter(name__in=tags).values_list("name", "pk"))
            for name in set(tags) - set(known):
                errors.setdefault("tags", _("Étiquette inconnue : « %(t)s ».") % {"t": name})
            if filters.get("tags_mode", "all") == "any":
                qs = qs.filter(Exists(Contact.tags.through.objects.filter(
                    contact_id=OuterRef("pk"), tag_id__in=known.values())))  # fmt: skip
            else:
                for tag_id in known.values():
                    qs = qs.filter(
                        Exists(Contact.tags.through.objects.filter(contact_id=OuterRef("pk"), tag_id=tag_id))
                    )
    if (exclude := filters.get("exclude_tags")) and not _texts(exclude):
        errors["exclude_tags"] = _("Une liste d'étiquettes est attendue.")
    elif exclude:
        qs = qs.exclude(Exists(Contact.tags.through.objects.filter(contact_id=OuterRef("pk"), tag__name__in=exclude)))
    if polygon := filters.get("polygon"):
        try:
            geometry = GEOSGeometry(json.dumps(polygon) if isinstance(polygon, dict) else str(polygon), srid=4326)
            if geometry.geom_type not in ("Polygon", "MultiPolygon"):
                raise GEOSException(geometry.geom_type)
        except (GEOSException, GDALException, ValueError, TypeError):
            errors["polygon"] = _("Un polygone GeoJSON (Polygon ou MultiPolygon, WGS 84) est attendu.")
        else:
            qs = _living_at(qs, Address.objects.filter(point__within=geometry))
    if zones := filters.get("zones"):
        from crm.field.models import Zone

        if not isinstance(zones, list) or not all(isinstance(z, int) for z in zones):
            errors["zones"] = _("Une liste d'identifiants de zones est attendue.")
        else:
            found = list(Zone.objects.filter(pk__in=zones).values_list("geometry", flat=True))
            if len(found) != len(set(zones)):
                errors["zones"] = _("Zone inconnue dans %(ids)s.") % {"ids": zones}
            else:
                inside = reduce(operator.or_, (Q(point__within=geometry) for geometry in found))
                qs = _living_at(qs, Address.objects.filter(inside))
    if (stations := filters.get("polling_stations")) and not _texts(stations):
        errors["polling_stations"] = _("Une liste de codes de bureaux de vote est attendue.")
    elif stations:
        qs = qs.filter(household__address__polling_station_code__in=stations)
    for key, lookup in (("support_min", "gte"), ("support_max", "lte")):
        if filters.get(key) is not None:
            value = filters[key]
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
                errors[key] = _("Un nombre de 1 à 5 est attendu.")
            else:
                qs = qs.filter(**{f"support_level__{lookup}": value})
    consent = filters.get("consent") or {}
    if not isinstance(consent, dict):
        consent = {"": None}  # reported below, as any other channel it does not know
    for channel, wanted in consent.items():
        if channel not in CHANNELS or not isinstance(wanted, bool):
            errors["consent"] = _('Attendu : {"sms": true, ...} avec les canaux email, sms, phone, door.')
            break
        qs = qs.filter(**{f"consent_{channel}": wanted})
    since = _date(filters["contacted_since"], "contacted_since", errors) if filters.get("contacted_since") else None
    if since:
        qs = qs.filter(last_contacted_at__date__gte=since)
    before = (
        _date(filters["not_contacted_since"], "not_contacted_since", errors)
        if filters.get("not_contacted_since")
        else None
    )
    if before:
        qs = qs.filter(Q(last_contacted_at__isnull=True) | Q(last_contacted_at__date__lt=before))
    if filters.get("never_contacted"):
        qs = qs.filter(last_contacted_at__isnull=True)
    if source := filters.get("source"):
        qs = qs.filter(source__icontains=source)
    if custom := filters.get("custom"):
        if not isinstance(custom, dict):
            errors["custom"] = _('Attendu : {"champ": "valeur"}.')
        else:
            qs = qs.filter(custom_fields__contains=custom)
    if filters.get("has_email") is not None:
        qs = qs.exclude(email="") if filters["has_email"] else qs.filter(email="")
    if filters.get("has_phone") is not None:
        qs = qs.exclude(phone="") if filters["has_phone"] else qs.filter(phone="")
    if (participation := filters.get("participation")) is not None:
        qs = _participation(qs, participation, errors)
    if errors:
        raise BadFilters(errors)
    return qs


# A polygon or zones holding up to this many addresses (a neighbourhood, a town) are
# looked up address first.
FEW_ADDRESSES = 20_000


class AnyOf(Lookup):
    """`column = ANY(%s)` with a list of ids as one array parameter."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]


def _living_at(qs, addresses):
    """The contacts of `qs` living at one of `addresses`. Few addresses: their ids are
    read first (through the spatial index), then their households and people through
    theirs. Joined in one query, PostgreSQL would read every household of the base to
    find the few inside (on the 1M-contact bench, Orléans: 20 ms instead of 90); with
    many addresses, that one pass is the faster way."""
    ids = list(addresses.values_list("pk", flat=True)[: FEW_ADDRESSES + 1])
    if len(ids) <= FEW_ADDRESSES:
        # One array parameter: IN with thousands of them takes longer to plan than to run.
        return qs.filter(AnyOf(F("household__address_id"), ids))
    return qs.filter(household__address__in=addresses)


def _participation(qs, wanted, errors):
    from .models import Interaction

    if not isinstance(wanted, dict) or set(wanted) - PARTICIPATION_KEYS:
        errors["participation"] = _("Attendu : {\"module\": …, \"action\": …, \"step\": …, \"project\": …, "
                                    "\"since\": AAAA-MM-JJ}.")  # fmt: skip
        return qs
    activity = Interaction.objects.filter(contact=OuterRef("pk"), kind=Interaction.Kind.CONTRIBUTION)
    data = {k: wanted[k] for k in ("module", "action", "step", "project") if k in wanted}
    if data:
        activity = activity.filter(data__contains=data)
    if "since" in wanted:
        since = _date(wanted["since"], "participation", errors)
        if since:
            activity = activity.filter(at__date__gte=since)
    return qs.filter(Exists(activity))
