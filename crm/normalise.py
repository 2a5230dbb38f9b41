"""Normalisation shared by the ORM, the importer's Python side and its SQL side.

Keys must come out identical whichever path computed them, so they are only ever
computed here (the importer passes them to SQL ready-made).
"""

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
# Street-type abbreviations as they appear in voter files and the BAN.
_STREET_WORDS = {
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "bvd": "boulevard",
    "ch": "chemin",
    "che": "chemin",
    "imp": "impasse",
    "pl": "place",
    "r": "rue",
    "rte": "route",
    "all": "allee",
    "sq": "square",
    "fg": "faubourg",
    "st": "saint",
    "ste": "sainte",
}


def fold(text):
    """Lowercase ASCII with accents and ligatures removed: 'Œuvre Élodie' -> 'oeuvre elodie'."""
    if not text:
        return ""
    if text.isascii():
        return _SPACES.sub(" ", text.lower()).strip()
    return _fold_accented(text)


# Names, streets and towns repeat a lot in a voter file: remember the folded forms.
@lru_cache(maxsize=1 << 17)
def _fold_accented(text):
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE").replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    return _SPACES.sub(" ", "".join(c for c in decomposed if not unicodedata.combining(c)).lower()).strip()


@lru_cache(maxsize=1 << 17)
def _words(text):
    return tuple(_NOT_WORD.sub(" ", fold(text)).split())


def words(text):
    return list(_words(text)) if text else []


def name_key(birth_name, first_names):
    """Birth name and first first-name, folded: 'LE GUÉRÉ', 'Anne-Sophie Marie' -> 'le guere|anne sophie'."""
    first = (first_names or "").strip().split(" ")[0] if first_names else ""
    last = " ".join(words(birth_name))
    if not last and not first:
        return ""
    return f"{last}|{' '.join(words(first))}"


def search_text(first_names, birth_name, usage_name, email):
    """The folded words a name search looks in. Names repeat and go through the
    cache; an e-mail is one person's, so it is folded without filling the cache."""
    parts = [" ".join(_words(p)) for p in (first_names, birth_name, usage_name) if p]
    if email:
        parts.append(" ".join(_NOT_WORD.sub(" ", fold(email)).split()))
    return " ".join(parts)


def street_key(line):
    """'12 bis, Av. du Général de Gaulle' -> ('12', 'bis', 'avenue du general de gaulle')."""
    tokens = words(line)
    number, rep = "", ""
    if tokens and tokens[0].isdigit():
        number = tokens.pop(0)
        if tokens and tokens[0] in ("bis", "ter", "quater", "a", "b", "c", "d"):
            rep = tokens.pop(0)
    tokens = [_STREET_WORDS.get(t, t) for t in tokens]
    return number, rep, " ".join(tokens)


# Everyone in a building shares its address: an import computes each key once.
@lru_cache(maxsize=1 << 17)
def address_key(line1, postal_code, city):
    number, rep, street = street_key(line1)
    return "|".join(
        [" ".join(p for p in (number, rep, street) if p), (postal_code or "").strip(), " ".join(words(city))]
    )
