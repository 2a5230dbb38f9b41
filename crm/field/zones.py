"""Importing zones from GeoJSON: real administrative files as they are (several parts,
holes, shared borders), broken polygons repaired or refused with the feature's index
and the reason, and nothing created when the file itself is wrong."""

import json
from dataclasses import dataclass, field

from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.gdal.error import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon
from django.db import connection, transaction
from django.utils.translation import gettext as _

from campaigns.accounts.models import AuditEntry

from .models import Zone

WGS84_NAMES = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "EPSG:4326", "epsg:4326"}


class BadZoneFile(ValueError):
    """The file cannot be imported at all; nothing was created."""


@dataclass
class ZoneImport:
    created: int = 0
    updated: int = 0
    warnings: list = field(default_factory=list)  # "feature 12 (Orléans): ..."
    refused: list = field(default_factory=list)


def as_multipolygon(geom):
    """(MultiPolygon in WGS 84, repaired?) for a polygonal geometry, repairing a broken
    one with make_valid; (None, True) when nothing polygonal survives the repair."""
    repaired = not geom.valid
    if repaired:
        fixed = geom.make_valid()
        parts = [g for g in (fixed if fixed.geom_type == "GeometryCollection" else [fixed])
                 if g.geom_type in ("Polygon", "MultiPolygon") and not g.empty]  # fmt: skip
        if not parts:
            return None, True
        geom = parts[0]
        for extra in parts[1:]:
            geom = geom.union(extra)
    if geom.geom_type == "Polygon":
        geom = MultiPolygon(geom, srid=4326)
    geom.srid = 4326
    return geom, repaired


def _source_srid(data):
    crs = data.get("crs")
    if not crs:
        return 4326, False
    name = (crs.get("properties") or {}).get("name", "")
    if name in WGS84_NAMES:
        return 4326, True
    try:
        return SpatialReference(name).srid or int(name.rsplit(":", 1)[-1]), True
    except (GDALException, ValueError):
        raise BadZoneFile(_("Système de coordonnées « %(crs)s » inconnu.") % {"crs": name}) from None


def _label(index, props, name_field):
    name = props.get(name_field) if isinstance(props, dict) else None
    return _("objet %(i)d (%(name)s)") % {"i": index, "name": name} if name else _("objet %(i)d") % {"i": index}


# A department's communes at full IGN precision stay well under this.
MAX_ZONE_FILE_BYTES = 100 * 1024 * 1024
MAX_POINTS_PER_ZONE = 1_000_000


def off_the_globe(geom):
    """True when a WGS 84 geometry has a longitude outside ±180 or a latitude outside ±90."""
    x0, y0, x1, y1 = geom.extent
    return not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90)


def read_zone_file(upload):
    """The uploaded file's bytes, or BadZoneFile when it is too big to be a zone file."""
    if upload.size > MAX_ZONE_FILE_BYTES:
        raise BadZoneFile(
            _("Fichier trop gros (%(size)d Mo) : %(max)d Mo au plus pour des zones. Simplifiez les contours.")
            % {"size": upload.size // 2**20, "max": MAX_ZONE_FILE_BYTES // 2**20}
        )
    return upload.read()


def import_zones(raw, *, name_field="nom", code_field="code", kind=Zone.Kind.ZONE, actor=None):
    """Create or update (by code) one zone per GeoJSON feature. Raises BadZoneFile."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadZoneFile(_("Ce fichier n'est pas du GeoJSON (JSON illisible : %(e)s).") % {"e": exc}) from None
    if not isinstance(data, dict) or data.get("type") not in ("FeatureCollection", "Feature"):
        raise BadZoneFile(_("Ce fichier n'est pas du GeoJSON : « FeatureCollection » attendu."))
    features = data["features"] if data["type"] == "FeatureCollection" else [data]
    if not isinstance(features, list) or not features:
        raise BadZoneFile(_("Le fichier ne contient aucun objet (features vide)."))
    srid, declared = _source_srid(data)
    transform = CoordTransform(SpatialReference(srid), SpatialReference(4326)) if srid != 4326 else None
    result = ZoneImport()
    zones = []
    for index, feature in enumerate(features):
        props = feature.get("properties") or {} if isinstance(feature, dict) else {}
        label = _label(index, props, name_field)
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not geometry:
            result.refused.append(label + " : " + _("pas de géométrie"))
            continue
        try:
            geom = GEOSGeometry(json.dumps(geometry))
            geom.srid = srid  # GeoJSON input always claims WGS 84; the file's crs says otherwise
        except (GEOSException, GDALException, ValueError, TypeError) as exc:
            result.refused.append(label + " : " + _("géométrie illisible (%(e)s)") % {"e": exc})
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            result.refused.append(label + " : " + _("un polygone est attendu, pas %(t)s") % {"t": geom.geom_type})
            continue
        if geom.num_coords > MAX_POINTS_PER_ZONE:
            result.refused.append(label + " : " + _("contour trop détaillé (%(n)d points, %(max)d au plus) : "
                                                    "simplifiez-le") % {"n": geom.num_coords,
                                                                        "max": MAX_POINTS_PER_ZONE})  # fmt: skip
            continue
        if not declared and off_the_globe(geom):
            x0, y0, _x1, _y1 = geom.extent
            raise BadZoneFile(
                _(
                    "%(label)s : coordonnées hors des longitudes/latitudes (ex. %(x).0f, %(y).0f). Le fichier "
                    "est dans une autre projection (Lambert 93 ?) sans la déclarer : exportez-le en WGS 84 "
                    "(EPSG:4326) ou ajoutez son « crs »."
                )
                % {"label": label, "x": x0, "y": y0}
            )
        if transform:
            geom.transform(transform)
        if off_the_globe(geom):
            x0, y0, x1, y1 = geom.extent
            result.refused.append(label + " : " + _("coordonnées hors du globe (longitude %(x).1f, latitude "
                                                    "%(y).1f)") % {"x": x0 if abs(x0) > 180 else x1,
                                                                    "y": y0 if abs(y0) > 90 else y1})  # fmt: skip
            continue
        reason = "" if geom.valid else geom.valid_reason
        geom, repaired = as_multipolygon(geom)
        if geom is None:
            result.refused.append(label + " : " + _("polygone invalide, irréparable (%(r)s)") % {"r": reason})
            continue
        if repaired:
            result.warnings.append(label + " : " + _("polygone invalide réparé (%(r)s)") % {"r": reason})
        name = str(props.get(name_field) or props.get("name") or props.get(code_field) or f"Zone {index + 1}")
        code = str(props.get(code_field) or "")
        if len(code) > Zone._meta.get_field("code").max_length:
            result.refused.append(label + " : " + _("code de plus de %(n)d caractères")
                                  % {"n": Zone._meta.get_field("code").max_length})  # fmt: skip
            continue
        zones.append((code, name[:200], geom))
    if not zones:
        raise BadZoneFile(_("Aucune zone importable : ") + " ; ".join(result.refused[:5]))
    with transaction.atomic():
        for code, name, geom in zones:
            if code:
                _zone, created = Zone.objects.update_or_create(
                    kind=kind, code=code, defaults={"name": name, "geometry": geom}
                )
            else:
                Zone.objects.create(kind=kind, name=name, geometry=geom)
                created = True
            if created:
                result.created += 1
            else:
                result.updated += 1
        AuditEntry.objects.create(
            actor=actor, action="zones.imported", target_type="zone",
            data={"created": result.created, "updated": result.updated, "refused": len(result.refused),
                  "schema": connection.schema_name},
        )  # fmt: skip
    return result
