"""Merge fields and Markdown.

A message is rendered once, with each merge field replaced by a substitution key
(`%%FIRSTNAME%%`); the provider puts each recipient's values in (SendGrid
personalizations' `substitutions`). So 1,000 recipients are one request, and an
unknown field is refused when the message is saved, not found blank in the mails.
"""

import html
import re

import markdown
from django.utils.translation import gettext as _

MERGE_FIELDS = {
    "first_name": lambda c: (c.first_names or "").split(" ")[0],
    "first_names": lambda c: c.first_names or "",
    "last_name": lambda c: c.last_name or "",
    "email": lambda c: c.email or "",
    "city": lambda c: c.household.address.city if c.household_id and c.household.address_id else "",
    "postal_code": lambda c: c.household.address.postal_code if c.household_id and c.household.address_id else "",
}
# Filled by the sender, not from the contact.
SYSTEM_FIELDS = {"unsubscribe_url"}
FIELD = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")
BROKEN = re.compile(r"\{\{(?![^{}]*\}\})|(?<!\{)\{(?!\{)[^{}]*\}\}")


class BadTemplate(ValueError):
    def __init__(self, problems):
        super().__init__("; ".join(problems))
        self.problems = problems


def check(text, *, where):
    """Raise BadTemplate naming every unknown or malformed merge field of `text`."""
    problems = []
    for match in FIELD.finditer(text or ""):
        name = match.group(1)
        if name not in MERGE_FIELDS and name not in SYSTEM_FIELDS:
            problems.append(
                _("%(where)s : champ de fusion inconnu « {{ %(name)s }} » (champs possibles : %(known)s).")
                % {"where": where, "name": name, "known": ", ".join(sorted(MERGE_FIELDS))}
            )
    if BROKEN.search(FIELD.sub("", text or "")):
        problems.append(_("%(where)s : accolades mal fermées, écrivez {{ first_name }}.") % {"where": where})
    return problems


def key(name, *, html_part=False):
    # No underscores or brackets: Markdown leaves "%%FIRSTNAME%%" alone.
    return f"%%{name.upper().replace('_', '')}{'.H' if html_part else ''}%%"


def with_keys(text, *, html_part=False):
    return FIELD.sub(lambda m: key(m.group(1), html_part=html_part), text or "")


def render_email(body):
    """(html, text) of a Markdown body, merge fields turned into substitution keys."""
    text = with_keys(body)
    # Markdown sees the keys as plain words; the HTML keys differ so that the HTML part
    # gets escaped values and the text part raw ones.
    html_body = markdown.markdown(with_keys(body, html_part=True), extensions=["extra", "sane_lists"])
    return html_body, text


def values_for(contact, extra=None):
    """{substitution key: value} for one recipient, for both parts."""
    values = {}
    for name, get in MERGE_FIELDS.items():
        value = get(contact)
        values[key(name)] = value
        values[key(name, html_part=True)] = html.escape(value)
    for name, value in (extra or {}).items():
        values[key(name)] = value
        values[key(name, html_part=True)] = html.escape(value)
    return values


def fill(text, values):
    """What the provider does with substitutions (previews, SMS, the console backend)."""
    for k, v in values.items():
        text = text.replace(k, v)
    return text
