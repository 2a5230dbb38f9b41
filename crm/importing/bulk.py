"""Loading many rows into a small table: drop its secondary indexes and foreign keys,
insert, then build them again, as pg_restore does. Building an index once over the
whole table is several times faster than updating it row by row, and a foreign key
is checked once with a join instead of one trigger per row.

Only used when the rows coming in outnumber the rows already there, which is the
case of a campaign's first big import; the table is locked until the import commits.
"""

import logging
import sys
import time
from array import array
from contextlib import contextmanager

log = logging.getLogger(__name__)


class Writes:
    """What deferred_indexes yields: statements run through execute() count the rows
    they wrote."""

    def __init__(self, cursor):
        self.cursor, self.rows = cursor, 0

    def execute(self, sql, params=None):
        timed_execute(self.cursor, sql, params)
        self.rows += max(self.cursor.rowcount, 0)


@contextmanager
def deferred_indexes(cursor, table, incoming_rows, *, threshold=20_000, analyze_after=10_000, keep_references=()):
    """Yields a Writes. The statements after an import plan their joins from the
    table's statistics: they are gathered again at the end when the indexes were
    rebuilt, or when the statements run through Writes.execute wrote `analyze_after`
    rows or more. Foreign keys to the tables in `keep_references` stay: dropping one
    locks the table it refers to as well (PostgreSQL drops the constraint's triggers
    there), for every reader, until the import commits."""
    cursor.execute("SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass", [table])
    existing = cursor.fetchone()[0]
    if incoming_rows < threshold or incoming_rows < existing:
        writes = Writes(cursor)
        yield writes
        if writes.rows >= analyze_after:
            timed_execute(cursor, f"ANALYZE {table}")
        return
    cursor.execute(
        """SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
             JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT x.indisunique
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)""",
        [table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = %s::regclass AND contype = 'f'
              AND confrelid <> ALL(%s::regclass[])""",
        [table, list(keep_references)],
    )
    foreign_keys = cursor.fetchall()
    for name, _definition in foreign_keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield Writes(cursor)
    started = time.perf_counter()
    if keep_references:
        # The kept keys are checked at commit (Django makes them deferred): now,
        # before an index is built (PostgreSQL refuses to with checks pending).
        timed_execute(cursor, "SET CONSTRAINTS ALL IMMEDIATE")
        timed_execute(cursor, "SET CONSTRAINTS ALL DEFERRED")
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for _name, definition in indexes:
        timed_execute(cursor, definition)
    for name, definition in foreign_keys:
        timed_execute(cursor, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    timed_execute(cursor, f"ANALYZE {table}")
    log.debug("%.2fs rebuilt %d indexes and %d foreign keys of %s", time.perf_counter() - started, len(indexes),
              len(foreign_keys), table)  # fmt: skip


def timed_execute(cursor, sql, params=None):
    """Execute, and log how long it took with the statement's start (debug level)."""
    started = time.perf_counter()
    cursor.execute(sql, params)
    log.debug("%.2fs %s", time.perf_counter() - started, " ".join(sql.split())[:90])


# COPY's binary format: signature, flags, header extension length; then per row the
# number of fields, each field's length and bytes (big-endian); then -1.
_BINARY_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_BINARY_COPY_TRAILER = b"\xff\xff"


def network_order(numbers):
    """An array('q') turned to or from PostgreSQL's byte order for bigints (int8send,
    binary COPY): big-endian. Swapped in place, returned."""
    if sys.byteorder == "little":
        numbers.byteswap()
    return numbers


def copy_bigints(cursor, table, column, values):
    """COPY a sequence of 64-bit integers into one bigint column, in COPY's binary
    format built with slice assignments (a million values: milliseconds, where
    formatting them as text and parsing it back takes most of a second)."""
    numbers = network_order(array("q", values))
    raw, count = numbers.tobytes(), len(numbers)
    rows = bytearray(14 * count)  # 2 bytes of field count, 4 of length, 8 of value
    rows[1::14] = b"\x01" * count
    rows[5::14] = b"\x08" * count
    for byte in range(8):
        rows[6 + byte :: 14] = raw[byte::8]
    started = time.perf_counter()
    with cursor.copy(f"COPY {table} ({column}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(_BINARY_COPY_HEADER + rows + _BINARY_COPY_TRAILER)
    log.debug("%.2fs copied %d integers into %s", time.perf_counter() - started, count, table)
