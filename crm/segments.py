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
from django.db.models import Exists, F, Lookup, OuterRef, ProtectedError, Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from .models import Address, Contact, Tag
from .normalise import words

CHANNELS = ("email", "sms", "phone", "door")
KNOWN_KEYS = {
    "search", "zones", "tags", "tags_mode", "exclude_tags", "polygon", "polling_stations", "support_min", "support_max",
    "consent", "contacted_since", "not_contacted_since", "never_contacted", "source", "custom", "has_email",
    "has_phone", "participation",
}  # fmt: skip
PARTICIPATION_KEYS = {"module", "action", "step", "project", "since"}


class SegmentInUse(Exception):
    """A message still sends to this segment: it cannot go."""


def delete_segment(segment):
    """Delete a segment unless something still uses it (SegmentInUse names what)."""
    try:
        segment.delete()
    except ProtectedError as exc:
        names = ", ".join(f"« {obj} »" for obj in list(exc.protected_objects)[:5])
        raise SegmentInUse(
            _("Ce segment est encore utilisé (%(names)s) : il ne peut pas être supprimé.") % {"names": names}
        ) from None


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


_CHANNEL_NAMES = {"email": _lazy("e-mail"), "sms": _lazy("SMS"), "phone": _lazy("téléphone"),
                  "door": _lazy("porte-à-porte")}  # fmt: skip
# What the "participation" filter can ask for ({"module", "action"}), in words.
PARTICIPATION_NAMES = {
    ("ideas", "proposal"): _lazy("a proposé une idée"),
    ("ideas", "vote"): _lazy("a soutenu une idée"),
    ("qa", "question"): _lazy("a posé une question"),
    ("debate", None): _lazy("a participé à un débat"),
    ("surveys", "answer"): _lazy("a répondu à un questionnaire"),
    ("aid", None): _lazy("a publié dans l'entraide"),
}


def describe(filters):
    """A segment's filters in words, one phrase per criterion, for the team's pages."""
    from crm.field.models import Zone

    if not isinstance(filters, dict):
        return [str(filters)]
    f, phrases = filters, []

    def names(values):
        return ", ".join(f"« {v} »" for v in values) if _texts(values) else str(values)

    if f.get("search"):
        phrases.append(_("nom ou e-mail contient « %(s)s »") % {"s": f["search"]})
    if f.get("zones"):
        ids = [z for z in f["zones"] if isinstance(z, int)] if isinstance(f["zones"], list) else []
        zones = sorted(Zone.objects.filter(pk__in=ids).values_list("name", flat=True))
        phrases.append(ngettext("dans la zone %(z)s", "dans l'une des zones %(z)s", len(zones)) % {"z": names(zones)})
    if f.get("polygon"):
        phrases.append(_("dans un périmètre dessiné"))
    if f.get("polling_stations"):
        stations = f["polling_stations"]
        template = ngettext("bureau de vote %(b)s", "bureaux de vote %(b)s", len(stations) if _texts(stations) else 2)
        phrases.append(template % {"b": names(stations)})
    if f.get("tags"):
        tags, many = f["tags"], len(f["tags"]) if _texts(f["tags"]) else 2
        if f.get("tags_mode") == "any" and many > 1:
            template = _("au moins une étiquette parmi %(t)s")
        else:
            template = ngettext("étiquette %(t)s", "étiquettes %(t)s", many)
        phrases.append(template % {"t": names(tags)})
    if f.get("exclude_tags"):
        exclude, many = f["exclude_tags"], len(f["exclude_tags"]) if _texts(f["exclude_tags"]) else 2
        phrases.append(ngettext("sans l'étiquette %(t)s", "sans les étiquettes %(t)s", many) % {"t": names(exclude)})
    for channel, wanted in (f.get("consent") or {}).items() if isinstance(f.get("consent"), dict) else ():
        name = _CHANNEL_NAMES.get(channel, channel)
        phrases.append((_("accord %(c)s") if wanted else _("refus %(c)s")) % {"c": name})
    for key, yes, no in (("has_email", _("avec e-mail"), _("sans e-mail")),
                         ("has_phone", _("avec téléphone"), _("sans téléphone"))):  # fmt: skip
        if f.get(key) is not None:
            phrases.append(yes if f[key] else no)
    low, high = f.get("support_min"), f.get("support_max")
    if low is not None and high is not None:
        phrases.append(_("soutien de %(a)s à %(b)s") % {"a": low, "b": high})
    elif low is not None:
        phrases.append(_("soutien %(a)s ou plus") % {"a": low})
    elif high is not None:
        phrases.append(_("soutien %(b)s ou moins") % {"b": high})
    if f.get("never_contacted"):
        phrases.append(_("jamais contactés"))
    if f.get("not_contacted_since"):
        phrases.append(_("pas contactés depuis le %(d)s") % {"d": _short_date(f["not_contacted_since"])})
    if f.get("contacted_since"):
        phrases.append(_("contactés depuis le %(d)s") % {"d": _short_date(f["contacted_since"])})
    if f.get("source"):
        phrases.append(_("origine contient « %(s)s »") % {"s": f["source"]})
    if isinstance(f.get("custom"), dict):
        for key, value in f["custom"].items():
            phrases.append(_("« %(k)s » vaut « %(v)s »") % {"k": key, "v": value})
    if isinstance(f.get("participation"), dict):
        p = f["participation"]
        known = PARTICIPATION_NAMES.get((p.get("module"), p.get("action")))
        phrases.append(str(known) if known and set(p) <= {"module", "action"} else _("a participé sur le site"))
    return phrases or [_("tous les contacts")]


def _short_date(value):
    try:
        return date_format(dt.date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
    except ValueError:
        return str(value)
