"""Checking a pooled PostgreSQL connection before a request uses it, without a round trip.

psycopg_pool's own check sends an empty query on every checkout: one more round trip
per request, which under load waits for PostgreSQL's turn on the CPU like any query
(about a tenth of a report sync's time, bench/bench_report_ingest.py). A connection
the server ended (restart, pg_terminate_backend, idle timeout) has its socket readable
while it idles in the pool: PostgreSQL sends the reason, then closes. Polling the
socket without waiting tells that apart from a healthy idle connection, which has
nothing to say. A connection that spoke while idle (a notice) is also dropped; the
pool replaces it, which costs a reconnection and nothing else.
"""

import select

import psycopg


def check_pooled_connection(conn):
    """psycopg_pool `check`: raise, closing the connection, if it is not usable."""
    if conn.closed:
        raise psycopg.OperationalError("the pooled connection is closed")
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    if poller.poll(0):
        conn.close()  # so that the pool discards it and opens another
        raise psycopg.OperationalError("the server ended this pooled connection")
