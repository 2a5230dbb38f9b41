"""Targeting: numbers attached to zones, and a priority score from the team's weights.

Score of a zone = Σ weight(i) × scaled(i), for every indicator i with a weight, where
scaled(i) = (value − min) / (max − min) over all zones that have indicator i (0 when
every zone has the same value, and for a zone without it). A negative weight favours
low values (e.g. past turnout when the team wants to mobilise abstainers). Zones are
ranked by score, highest first. Scores are recomputed whenever indicators or weights
change.
"""

import csv
import io

from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.accounts.models import AuditEntry

from .models import TargetingWeights, Zone


class BadIndicators(ValueError):
    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(problems))


def _number(text):
    return float(text.strip().replace("\u202f", "").replace(" ", "").replace("%", "").replace(",", "."))


MAX_INDICATOR_FILE_BYTES = 20 * 1024 * 1024


def read_indicator_file(upload):
    """The uploaded file's bytes, or BadIndicators when it is too big for a table of zones."""
    if upload.size > MAX_INDICATOR_FILE_BYTES:
        raise BadIndicators([_("Fichier trop gros (%(size)d Mo) : %(max)d Mo au plus pour des indicateurs.")
                             % {"size": upload.size // 2**20, "max": MAX_INDICATOR_FILE_BYTES // 2**20}])  # fmt: skip
    return upload.read()


def import_indicators(raw, *, key_field="code", actor=None):
    """CSV (`;` or `,`, UTF-8 or Windows-1252) keyed by zone code: every other column is
    an indicator. Everything is checked first; one bad value and nothing changes."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise BadIndicators([_("Fichier illisible : ni UTF-8 ni Windows-1252 (octet %(pos)d).")
                                 % {"pos": exc.start}]) from None  # fmt: skip
    delimiter = ";" if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",") else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise BadIndicators([_("Ce fichier n'est pas un tableau CSV lisible : %(e)s") % {"e": exc}]) from None
    if not rows or key_field not in rows[0]:
        raise BadIndicators([_("Colonne « %(k)s » absente de la première ligne.") % {"k": key_field}])
    header = rows[0]
    key = header.index(key_field)
    zones = {z.code: z for z in Zone.objects.exclude(code="")}
    problems, updates = [], {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(_("ligne %(n)d : %(c)d colonnes au lieu de %(h)d") % {"n": number, "c": len(row),
                                                                                 "h": len(header)})  # fmt: skip
            continue
        code = row[key].strip()
        if code not in zones:
            problems.append(_("ligne %(n)d : aucune zone de code « %(code)s »") % {"n": number, "code": code})
            continue
        values = {}
        for column, cell in zip(header, row, strict=True):
            if column == key_field or not cell.strip():
                continue
            try:
                values[column] = _number(cell)
            except ValueError:
                problems.append(_("ligne %(n)d, colonne « %(c)s » : « %(v)s » n'est pas un nombre")
                                % {"n": number, "c": column, "v": cell})  # fmt: skip
        updates[code] = values
    if problems:
        raise BadIndicators(problems)
    with transaction.atomic():
        for code, values in updates.items():
            zone = zones[code]
            zone.indicators = {**zone.indicators, **values}
            zone.save(update_fields=["indicators", "updated"])
        recompute_scores()
        AuditEntry.objects.create(actor=actor, action="zones.indicators_imported", target_type="zone",
                                  data={"zones": len(updates), "columns": header})  # fmt: skip
    return len(updates)


def set_weights(weights, *, actor=None):
    if not isinstance(weights, dict) or not all(isinstance(v, int | float) for v in weights.values()):
        raise BadIndicators([_('Attendu : {"indicateur": poids, ...} avec des poids numériques.')])
    with transaction.atomic():
        row = TargetingWeights.current()
        row.weights = weights
        row.save()
        recompute_scores()
        AuditEntry.objects.create(actor=actor, action="zones.weights_set", target_type="zone", data=weights)


def recompute_scores():
    weights = TargetingWeights.current().weights
    zones = list(Zone.objects.all())
    ranges = {}
    for name in weights:
        values = [z.indicators[name] for z in zones if isinstance(z.indicators.get(name), int | float)]
        if values:
            ranges[name] = (min(values), max(values))
    for zone in zones:
        score = 0.0
        for name, weight in weights.items():
            value = zone.indicators.get(name)
            if name in ranges and isinstance(value, int | float):
                low, high = ranges[name]
                score += weight * ((value - low) / (high - low) if high > low else 0.0)
        zone.score = round(score, 6) if weights else None
    Zone.objects.bulk_update(zones, ["score"], batch_size=1000)
