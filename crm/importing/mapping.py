"""Which column holds what: guessed from French and English headers, editable."""

from django.utils.translation import gettext_lazy as _

from crm.normalise import words

IGNORE = ""
CUSTOM_PREFIX = "custom:"

# field: (label, header spellings). Spellings are compared folded (no accents,
# case or punctuation), so "Prénoms", "PRENOMS" and "prenoms" are one.
FIELDS = {
    "birth_name": (
        _("Nom de naissance"),
        ["nom de naissance", "nom", "nom naissance", "last name", "lastname", "surname", "family name", "name"],
    ),
    "usage_name": (
        _("Nom d'usage"),
        ["nom d usage", "nom usage", "nom marital", "nom d epouse", "usage name", "married name"],
    ),
    "first_names": (
        _("Prénoms"),
        ["prenoms", "prenom", "first name", "firstname", "first names", "given name", "given names", "forename"],
    ),
    "sex": (_("Sexe"), ["sexe", "civilite", "genre", "sex", "gender", "title"]),
    "birth_date": (
        _("Date de naissance"),
        [
            "date de naissance",
            "date naissance",
            "ne e le",
            "ne le",
            "birth date",
            "birthdate",
            "date of birth",
            "dob",
            "birthday",
        ],
    ),
    "email": (_("E-mail"), ["email", "e mail", "courriel", "adresse e mail", "adresse email", "mail", "email address"]),
    "phone": (
        _("Téléphone"),
        [
            "telephone",
            "tel",
            "mobile",
            "portable",
            "tel portable",
            "telephone portable",
            "numero de telephone",
            "phone",
            "phone number",
            "mobile phone",
            "cell",
            "cellphone",
        ],
    ),
    # A second column of e-mails or phones (the landline beside the mobile); a cell may
    # hold several, separated by , ; / or |. They become the contact's other ones.
    "other_emails": (
        _("Autres e-mails"),
        [
            "autres e mails",
            "autre e mail",
            "autres emails",
            "autre email",
            "email 2",
            "e mail 2",
            "courriel 2",
            "autre courriel",
            "email secondaire",
            "other emails",
            "other email",
            "secondary email",
        ],
    ),
    "other_phones": (
        _("Autres téléphones"),
        [
            "autres telephones",
            "autre telephone",
            "telephone 2",
            "tel 2",
            "telephone fixe",
            "tel fixe",
            "fixe",
            "telephone domicile",
            "tel domicile",
            "mobile 2",
            "portable 2",
            "other phones",
            "other phone",
            "phone 2",
            "home phone",
            "landline",
        ],
    ),
    "line1": (
        _("Adresse"),
        [
            "adresse",
            "adresse 1",
            "adresse1",
            "adresse postale",
            "voie",
            "rue",
            "address",
            "address 1",
            "address1",
            "address line 1",
            "street",
            "street address",
        ],
    ),
    "line2": (
        _("Complément d'adresse"),
        [
            "adresse 2",
            "adresse2",
            "complement",
            "complement d adresse",
            "address 2",
            "address2",
            "address line 2",
            "apartment",
            "logement",
        ],
    ),
    "postal_code": (_("Code postal"), ["code postal", "cp", "zip", "zip code", "zipcode", "postcode", "postal code"]),
    "city": (_("Ville"), ["ville", "commune", "localite", "city", "town", "libelle commune"]),
    "polling_station": (
        _("Bureau de vote"),
        [
            "code du b vote",
            "code bureau de vote",
            "bureau de vote",
            "bureau",
            "bv",
            "code bv",
            "polling station",
            "polling station code",
        ],
    ),
    "longitude": (_("Longitude"), ["longitude", "lon", "lng", "long", "x"]),
    "latitude": (_("Latitude"), ["latitude", "lat", "y"]),
    "tags": (_("Étiquettes"), ["tags", "tag", "etiquettes", "etiquette", "labels"]),
    "consent_email": (
        _("Accord e-mail"),
        [
            "accord email",
            "accord e mail",
            "optin email",
            "opt in email",
            "consent email",
            "consentement email",
            "newsletter",
        ],
    ),
    "consent_sms": (_("Accord SMS"), ["accord sms", "optin sms", "opt in sms", "consent sms", "consentement sms"]),
    "consent_phone": (
        _("Accord téléphone"),
        ["accord telephone", "consent phone", "optin telephone", "consentement telephone"],
    ),
    "consent_door": (_("Accord porte-à-porte"), ["accord porte a porte", "consent door", "consent canvassing"]),
    "support_level": (_("Niveau de soutien"), ["niveau de soutien", "soutien", "support level", "support"]),
    # An opinion, like the support level: only people allowed to see opinions do (a
    # custom field is shown to everyone who reads the contact).
    "opinion_notes": (_("Notes d'opinion"), ["notes d opinion", "opinion notes", "opinion"]),
}

_LOOKUP = {" ".join(words(spelling)): field for field, (_label, spellings) in FIELDS.items() for spelling in spellings}


def field_choices():
    return [(field, label) for field, (label, _s) in FIELDS.items()]


def guess_mapping(headers):
    """{header: field} with each field used once; other columns become custom fields.
    A file's only phone column is its phone, even when named "Téléphone fixe" (and so
    for e-mails)."""
    mapping, used = {}, set()
    for header in headers:
        field = _LOOKUP.get(" ".join(words(header)))
        if field and field not in used:
            mapping[header] = field
            used.add(field)
        elif header.strip():
            mapping[header] = CUSTOM_PREFIX + header.strip()
        else:
            mapping[header] = IGNORE
    for main, others in (("email", "other_emails"), ("phone", "other_phones")):
        if others in used and main not in used:
            mapping[next(h for h, field in mapping.items() if field == others)] = main
    return mapping


def validate_mapping(mapping, headers):
    """Return a list of problems with a mapping given by a person (empty when fine)."""
    problems = []
    for header, target in mapping.items():
        if header not in headers:
            problems.append(_("La colonne « %(h)s » n'existe pas dans le fichier.") % {"h": header})
        elif target and not target.startswith(CUSTOM_PREFIX) and target not in FIELDS:
            problems.append(_("« %(t)s » (colonne « %(h)s ») n'est pas un champ connu.") % {"t": target, "h": header})
    targets = [t for t in mapping.values() if t and not t.startswith(CUSTOM_PREFIX)]
    for field in {t for t in targets if targets.count(t) > 1}:
        problems.append(_("Le champ « %(f)s » est choisi pour plusieurs colonnes.") % {"f": FIELDS[field][0]})
    # Every row must name its person (rows.RowCleaner: "nom manquant"): without a name
    # column, every row of the file would be rejected.
    if not {"birth_name", "usage_name", "first_names"} & set(targets):
        problems.append(_("Aucune colonne de nom (nom de naissance, nom d'usage ou prénoms) : chaque ligne doit "
                          "nommer une personne."))  # fmt: skip
    return problems
