"""Signed tokens bound to the campaign that issued them.

A link mailed by campaign A (confirm an account, cancel a registration) must do
nothing on campaign B's host, even where B holds a row with the same id: ids are per
schema, so a bare signed id would name B's row. The salt carries the schema name, so
a token only verifies under the schema it was made in.
"""

from django.core import signing
from django.db import connection

BadSignature = signing.BadSignature
SignatureExpired = signing.SignatureExpired


def _salt(salt):
    return f"{salt}@{connection.schema_name}"


def dumps(value, *, salt, compress=False):
    return signing.dumps(value, salt=_salt(salt), compress=compress)


def loads(token, *, salt, max_age=None):
    """The value, or raise BadSignature (also for another campaign's token) / SignatureExpired."""
    return signing.loads(token, salt=_salt(salt), max_age=max_age)
