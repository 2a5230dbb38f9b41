"""Django's PostGIS backend, its connection pool checking connections without a round
trip and reconnecting quickly after a database blip (campaigns/db_pool.py).
django-tenants builds on it (ORIGINAL_BACKEND)."""

from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper

from campaigns.db_pool import check_pooled_connection, retry_connections_quickly

retry_connections_quickly()


class DatabaseWrapper(PostGISDatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        # Django hands psycopg_pool either its round-trip check or none; psycopg_pool
        # keeps the check it was given here, and calls it at every checkout.
        if pool is not None and pool._check is not check_pooled_connection:
            pool._check = check_pooled_connection
        return pool
