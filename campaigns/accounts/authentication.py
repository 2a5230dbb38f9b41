"""API token authentication: DRF's TokenAuthentication with its lookup in one SQL
statement. Every request of the volunteers' app carries a token, and building the
ORM query (the token joined to its user) cost more than running it
(bench/bench_report_ingest.py)."""

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from .models import User

_TOKEN = Token._meta.concrete_fields
_USER = User._meta.concrete_fields
_SQL = (
    "SELECT "  # noqa: S608 - names from the models
    + ", ".join([f't."{f.column}"' for f in _TOKEN] + [f'u."{f.column}"' for f in _USER])
    + f' FROM "{Token._meta.db_table}" t JOIN "{User._meta.db_table}" u ON u.id = t.user_id WHERE t.key = %s'
)


class SqlTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        with connection.cursor() as cur:
            cur.execute(_SQL, [key])
            row = cur.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = Token.from_db(connection.alias, [f.attname for f in _TOKEN], row[: len(_TOKEN)])
        token.user = User.from_db(connection.alias, [f.attname for f in _USER], row[len(_TOKEN) :])
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
