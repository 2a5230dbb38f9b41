"""Pooled database connections: one the server ended is replaced before a request uses it."""

import copy

import psycopg
import pytest
from django.db import connection, connections

from campaigns.db_pool import check_pooled_connection
from tests.conftest import wait_for


def _backend_gone(pid):
    with connection.cursor() as cursor:
        # Inside the test's transaction, activity statistics are a snapshot taken once.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] == 0


def _terminate(pid):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone()[0]
    wait_for(lambda: _backend_gone(pid), timeout=10, what=f"backend {pid} to exit")


@pytest.mark.django_db
def test_the_check_passes_a_live_connection_and_closes_one_the_server_ended():
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as conn:
        check_pooled_connection(conn)  # healthy and idle: nothing to say
        assert conn.execute("SELECT 1").fetchone() == (1,)
        check_pooled_connection(conn)
        _terminate(conn.info.backend_pid)
        with pytest.raises(psycopg.OperationalError):
            check_pooled_connection(conn)
        assert conn.closed


@pytest.mark.django_db
def test_the_pool_replaces_a_connection_the_server_ended_without_failing_the_next_user():
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["CONN_MAX_AGE"] = 0
    settings_dict["OPTIONS"] = {**settings_dict.get("OPTIONS", {}),
                                "pool": {"min_size": 1, "max_size": 1, "timeout": 5}}  # fmt: skip
    pooled = type(connections["default"])(settings_dict, alias="pool-check-test")
    try:
        assert pooled.pool._check is check_pooled_connection
        with pooled.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            first = cursor.fetchone()[0]
        pooled.close()  # back to the pool, idle
        _terminate(first)
        # The only connection of the pool is dead: the next user still gets a working one.
        with pooled.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            second = cursor.fetchone()[0]
        assert second != first
        pooled.close()
    finally:
        pooled.close_pool()
