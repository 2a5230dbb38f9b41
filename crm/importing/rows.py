"""Cleaning one row: from the file's strings to typed, normalised values, or the
list of what is wrong with it (column, value, reason)."""

import datetime as dt
import hashlib
import json
import operator
import re
from array import array
from functools import partial

from django.utils.translation import gettext as _

from crm.normalise import address_key, name_key, search_text
from crm.phones import InvalidPhone, PhoneNormaliser

from .mapping import CUSTOM_PREFIX, FIELDS
from .sniff import block_text, plain, plain_lines, split_line, text_rows

STAGING_COLUMNS = [
    ("row_no", "integer"),
    ("birth_name", "text"),
    ("usage_name", "text"),
    ("first_names", "text"),
    ("sex", "text"),
    ("birth_date", "date"),
    ("email", "text"),
    ("phone", "text"),
    ("name_key", "text"),
    ("search_text", "text"),
    ("line1", "text"),
    ("line2", "text"),
    ("postal_code", "text"),
    ("city", "text"),
    ("addr_key", "text"),
    ("polling_station", "text"),
    ("opinion_notes", "text"),
    ("lon", "double precision"),
    ("lat", "double precision"),
    ("tags", "text[]"),
    # Without the row's e-mail (phone), without repeats; when the row gave no e-mail
    # (phone) but others, the first of them is its e-mail (phone).
    ("other_emails", "text[]"),
    ("other_phones", "text[]"),
    ("custom", "jsonb"),
    ("consent_email", "boolean"),
    ("consent_sms", "boolean"),
    ("consent_phone", "boolean"),
    ("consent_door", "boolean"),
    ("support_level", "smallint"),
    ("row_hash", "bigint"),
]

_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]{2,}$")
_DATE = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})$")
_TRUE = {"oui", "o", "yes", "y", "1", "true", "vrai", "x", "ok"}
_FALSE = {"non", "n", "no", "0", "false", "faux"}
_FEMALE = {"f", "femme", "mme", "madame", "mlle", "mademoiselle", "female", "w", "woman", "ms", "mrs"}
_MALE = {"m", "h", "homme", "m.", "mr", "monsieur", "male", "man", "masculin"}
# Tags are separated by commas, or by "|" in a cell that holds one: Terrain's exports
# write "a | b", a tag may hold a comma (a questionnaire's answer: "Oui, tout à fait").
_TAG_SPLIT = re.compile(r"\s*,\s*")
_TAG_SPLIT_PIPES = re.compile(r"\s*\|\s*")
_LIST_SPLIT = re.compile(r"\s*[,;|/]\s*")


# COPY lists the text columns first: a row's texts are joined in one call and only
# escaped, one by one, when one of them holds a backslash, tab or line break.
_TEXT_POSITIONS = [i for i, (_name, kind) in enumerate(STAGING_COLUMNS) if kind == "text"]
_OTHER_POSITIONS = [i for i, (_name, kind) in enumerate(STAGING_COLUMNS) if kind != "text"]
COPY_COLUMNS = [STAGING_COLUMNS[i][0] for i in _TEXT_POSITIONS + _OTHER_POSITIONS]
_texts_of = operator.itemgetter(*_TEXT_POSITIONS)
_others_of = operator.itemgetter(*_OTHER_POSITIONS)
_TEXT_TABS = len(_TEXT_POSITIONS) - 1


def _copy_escape(text):
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _array_literal(items):
    return "{" + ",".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items) + "}"


_NULL = "\\N"
_BOOLEAN = {None: _NULL, True: "t", False: "f"}
# The other columns, in order; copy_text formats each by its known type.
assert [STAGING_COLUMNS[i][1] for i in _OTHER_POSITIONS] == [
    "integer", "date", "double precision", "double precision", "text[]", "text[]", "text[]", "jsonb",
    "boolean", "boolean", "boolean", "boolean", "smallint", "bigint",
]  # fmt: skip


def copy_text(row):
    """One staging row as a line of PostgreSQL's COPY text format, columns in
    COPY_COLUMNS order."""
    texts = "\t".join(_texts_of(row))
    if texts.count("\t") != _TEXT_TABS or "\\" in texts or "\n" in texts or "\r" in texts:
        texts = "\t".join(map(_copy_escape, _texts_of(row)))
    (number, birth_date, lon, lat, tags, other_emails, other_phones, custom, email, sms, phone, door, support,
     row_hash) = _others_of(row)  # fmt: skip
    return (
        f"{texts}\t{number}\t{_NULL if birth_date is None else birth_date}"
        f"\t{_NULL if lon is None else lon}\t{_NULL if lat is None else lat}"
        f"\t{_copy_escape(_array_literal(tags)) if tags else '{}'}"
        f"\t{_copy_escape(_array_literal(other_emails)) if other_emails else '{}'}"
        f"\t{_copy_escape(_array_literal(other_phones)) if other_phones else '{}'}"
        f"\t{_copy_escape(json.dumps(custom, ensure_ascii=False)) if custom else '{}'}"
        f"\t{_BOOLEAN[email]}\t{_BOOLEAN[sms]}\t{_BOOLEAN[phone]}\t{_BOOLEAN[door]}"
        f"\t{_NULL if support is None else support}\t{row_hash}\n"
    )


def _main_and_others(main, others):
    """(the row's e-mail or phone, its others without it nor repeats)."""
    main = main or others[0]
    return main, [value for value in dict.fromkeys(others) if value != main]


def clean_chunk(cleaner, rows):
    """Clean (row number, values) pairs, a list or a stream: (rows read, COPY text,
    [(row number, errors)], array of the hashes of rows skipped as already imported)."""
    row_hash = cleaner.row_hash
    return _clean_unknown(cleaner, ((number, row_hash(values), values) for number, values in rows), None)


def clean_block(cleaner, offset, number, block, *, shape):
    """Clean a block of a CSV file (see sniff.iter_blocks), as clean_chunk. A block
    without quotes is hashed line by line before anything else: the rows known already
    are never cut into values."""
    text = block_text(block, shape, offset)
    if not plain(text):
        return clean_chunk(cleaner, text_rows(text, shape, number))
    lines = plain_lines(text)
    if number == 1:
        lines, number = lines[1:], 2  # the header row
    delimiter, text_hash = shape.delimiter, cleaner.text_hash
    # A line with its delimiters made \x1f is the text "\x1f".join(values) would give:
    # the hash does not depend on which reader cut the row.
    hashed = ((n, text_hash(line.replace(delimiter, "\x1f")), line) for n, line in enumerate(lines, number))
    return _clean_unknown(cleaner, hashed, partial(split_line, delimiter=delimiter))


def _clean_unknown(cleaner, hashed, values_of):
    """Clean the rows of (row number, hash, values or what values_of turns into them)
    whose hash the base does not hold already."""
    known = cleaner.known_rows
    # An array of hashes goes back from a cleaning process as one block of bytes.
    lines, rejects, skipped, read = [], [], array("q"), 0
    for number, digest, raw in hashed:
        read += 1
        if digest in known:
            skipped.append(digest)
            continue
        row, errors = cleaner.clean(number, raw if values_of is None else values_of(raw))
        if row is not None:
            lines.append(copy_text((*row, digest)))
        elif errors:
            rejects.append((number, errors))
    return read, "".join(lines), rejects, skipped


def value_hash(salt, value):
    """What the suppression list keeps of an e-mail or phone. The import computes the
    same in SQL (merge.sql_value_hash)."""
    return hashlib.sha256(f"{salt}:{value}".encode()).hexdigest()


# Part of every row hash: bump it when a change to the cleaning makes an earlier import
# of a row worth doing again.
ROW_HASH_VERSION = 1


class RowCleaner:
    def __init__(self, headers, mapping, *, region="FR", today=None, workbook=False, known_rows=()):
        self.headers = headers
        # Hashes of rows the base holds already (crm.models.ImportedRow): a row seen
        # again, under the same columns and mapping, has nothing new to give. They come
        # as an array('q'), which reaches a cleaning process as one block of bytes.
        self.known_rows = frozenset(known_rows)
        shape = json.dumps([ROW_HASH_VERSION, headers, mapping, region, workbook]).encode()
        self._salt = hashlib.blake2b(shape, digest_size=16).digest()
        self.width = len(headers)
        self.workbook = workbook
        self.phones = PhoneNormaliser(region)
        self.today = today or dt.date.today()
        self.index = {}
        self.custom = []
        for i, header in enumerate(headers):
            target = mapping.get(header, "")
            if target.startswith(CUSTOM_PREFIX):
                self.custom.append((i, target[len(CUSTOM_PREFIX) :]))
            elif target:
                self.index[target] = i
        self.header_of = {field: headers[i] for field, i in self.index.items()}
        # Position of each field in a row of stripped values with "" appended at the
        # end, where absent fields point: one list index per field, no branching.
        self.pos = {field: self.index.get(field, self.width) for field in FIELDS}

    def row_hash(self, values):
        """A signed 64-bit hash of a row's values under this file's columns and mapping."""
        return self.text_hash("\x1f".join(values))

    def text_hash(self, text):
        digest = hashlib.blake2b(text.encode(), digest_size=8, salt=self._salt).digest()
        return int.from_bytes(digest, "big", signed=True)

    def clean(self, number, values):
        """(staging row, None) for a good row, (None, [(column, value, reason)]) for a bad
        one, (None, None) for a blank row."""
        if len(values) != self.width:
            if not any(v.strip() for v in values):
                return None, None
            if self.workbook:
                # A workbook's row is as wide as its filled cells: a short one ends in
                # blank cells, a long one has cells in columns nobody named (left out,
                # as a CSV file's columns with a blank header are).
                values = (values + [""] * (self.width - len(values)))[: self.width]
            elif len(values) < self.width:
                return None, [
                    (
                        "",
                        "",
                        _("ligne tronquée : %(n)d colonnes au lieu de %(m)d") % {"n": len(values), "m": self.width},
                    )
                ]
            else:
                return None, [
                    (
                        "",
                        "",
                        _(
                            "%(n)d colonnes au lieu de %(m)d (séparateur dans une valeur non "
                            "protégée par des guillemets ?)"
                        )
                        % {"n": len(values), "m": self.width},
                    )
                ]
        v = list(map(str.strip, values))
        if not any(v):
            return None, None
        v.append("")
        pos = self.pos

        def get(field):
            return v[pos[field]]

        errors = []

        birth_name, usage_name, first_names = get("birth_name"), get("usage_name"), get("first_names")
        if not (birth_name or usage_name or first_names):
            errors.append((self.header_of.get("birth_name", ""), "", _("nom manquant")))

        birth_date = None
        raw_date = get("birth_date")
        if raw_date:
            birth_date = self._date(raw_date)
            if birth_date is None:
                errors.append((self.header_of["birth_date"], raw_date, _("date impossible")))

        email = get("email").lower()
        if email and not _EMAIL.match(email):
            errors.append((self.header_of["email"], email, _("n'est pas une adresse e-mail")))

        phone = ""
        raw_phone = get("phone")
        if raw_phone:
            try:
                phone = self.phones.normalise(raw_phone)
            except InvalidPhone:
                errors.append((self.header_of["phone"], raw_phone, _("n'est pas un numéro de téléphone")))

        other_emails, other_phones = [], []
        raw_emails, raw_phones = get("other_emails"), get("other_phones")
        for value in _LIST_SPLIT.split(raw_emails.lower()) if raw_emails else ():
            if value and not _EMAIL.match(value):
                errors.append((self.header_of["other_emails"], value, _("n'est pas une adresse e-mail")))
            elif value:
                other_emails.append(value)
        for value in _LIST_SPLIT.split(raw_phones) if raw_phones else ():
            if value:
                try:
                    other_phones.append(self.phones.normalise(value))
                except InvalidPhone:
                    errors.append((self.header_of["other_phones"], value, _("n'est pas un numéro de téléphone")))

        lon = lat = None
        raw_lon, raw_lat = get("longitude"), get("latitude")
        if raw_lon or raw_lat:
            try:
                lon, lat = float(raw_lon.replace(",", ".")), float(raw_lat.replace(",", "."))
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise ValueError
            except ValueError:
                column = self.header_of.get("longitude") or self.header_of.get("latitude")
                errors.append((column, f"{raw_lon} {raw_lat}", _("coordonnées impossibles")))

        consents = []
        for field in ("consent_email", "consent_sms", "consent_phone", "consent_door"):
            raw = get(field).lower()
            if not raw:
                consents.append(None)
            elif raw in _TRUE:
                consents.append(True)
            elif raw in _FALSE:
                consents.append(False)
            else:
                consents.append(None)
                errors.append((self.header_of[field], raw, _("attendu : oui ou non")))

        support = None
        raw_support = get("support_level")
        if raw_support:
            if raw_support.isdecimal() and 1 <= int(raw_support) <= 5:
                support = int(raw_support)
            else:
                errors.append((self.header_of["support_level"], raw_support, _("attendu : un nombre de 1 à 5")))

        if errors:
            return None, errors

        sex = get("sex").lower().rstrip(".")
        sex = "F" if sex in _FEMALE else "M" if sex in _MALE else ""
        line1, postal_code, city = get("line1"), get("postal_code"), get("city")
        if postal_code.isdigit() and len(postal_code) == 4:
            postal_code = "0" + postal_code  # spreadsheets drop the leading zero of 01000-09999
        raw_tags = get("tags")
        if raw_tags:
            tags = [t for t in (_TAG_SPLIT_PIPES if "|" in raw_tags else _TAG_SPLIT).split(raw_tags) if t]
        else:
            tags = []
        custom = {name: v[i] for i, name in self.custom if v[i]}
        if other_emails:
            email, other_emails = _main_and_others(email, other_emails)
        if other_phones:
            phone, other_phones = _main_and_others(phone, other_phones)
        return (
            number,
            birth_name,
            usage_name,
            first_names,
            sex,
            birth_date,
            email,
            phone,
            name_key(birth_name, first_names),
            search_text(first_names, birth_name, usage_name, email),
            line1,
            get("line2"),
            postal_code,
            city,
            address_key(line1, postal_code, city) if line1 else "",
            get("polling_station"),
            get("opinion_notes"),
            lon,
            lat,
            tags,
            other_emails,
            other_phones,
            custom,
            *consents,
            support,
        ), None

    def _date(self, raw):
        match = _DATE.match(raw)
        if not match:
            try:
                return self._plausible(dt.date.fromisoformat(raw[:10]))
            except ValueError:
                return None
        a, b, c = match.groups()
        if len(a) == 4:  # 1980-01-31
            year, month, day = int(a), int(b), int(c)
        else:  # French order: 31/01/1980
            day, month, year = int(a), int(b), int(c)
            if len(c) == 2:
                year += 2000 if year <= self.today.year % 100 else 1900
        try:
            return self._plausible(dt.date(year, month, day))
        except ValueError:
            return None

    def _plausible(self, date):
        if date > self.today or date.year < self.today.year - 120:
            return None
        return date
