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


# psycopg_pool retries a failed connection attempt after 1 s, then 2, 4, 8... and the
# pool does not grow meanwhile. A database blip (a restart, connections killed) makes a
# few attempts fail; once the database is back, requests then wait for the next
# attempt, up to the pool's timeout (DB_POOL_TIMEOUT, 5 s) and a 503. Starting at
# 0.1 s and growing by half each time, the pool is whole again within a fraction of a
# second of the database (measured here, connections killed every 0.5 s for 5 s:
# longest checkout after the kills 1.0 s before, 0.11 s after), and a long outage still
# spaces its attempts out (after 20 attempts, minutes apart).
RECONNECT_FIRST_DELAY = 0.1
RECONNECT_BACKOFF = 1.5


def retry_connections_quickly():
    """Set psycopg_pool's reconnection back-off (class attributes of its attempt object
    in psycopg_pool 3.3, pinned in requirements/base.txt); left as it is if a release
    moves them."""
    try:
        from psycopg_pool.base import AttemptWithBackoff
    except ImportError:
        return
    if hasattr(AttemptWithBackoff, "INITIAL_DELAY") and hasattr(AttemptWithBackoff, "DELAY_BACKOFF"):
        AttemptWithBackoff.INITIAL_DELAY = RECONNECT_FIRST_DELAY
        AttemptWithBackoff.DELAY_BACKOFF = RECONNECT_BACKOFF
