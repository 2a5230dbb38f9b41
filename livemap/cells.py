"""Report counts per grid cell and zoom level, kept current as reports arrive, so a
zoomed-out view reads a few hundred rows instead of counting every report under it.

Level z uses the same cell size as the live aggregation at zoom z (layers.cell_size);
a cell is identified by its integer column and row: floor(lon / size), floor(lat / size).
Views with filters (an action, a result, dates) still aggregate on the fly: they are
narrower, and the cells hold totals only.
"""

from django.db import connection

from .layers import cell_size

LEVELS = range(5, 15)
SIZE_SQL = "(360.0 / (2 ^ l) / 8)"
# Counts per (level, column, row) of the reports matching {where}, in a fixed order so
# that concurrent upserts take the cells' row locks in the same order (no deadlock).
COUNT_SQL = f"""
    SELECT l, floor(ST_X(r.location) / {SIZE_SQL})::int, floor(ST_Y(r.location) / {SIZE_SQL})::int,
           count(*), count(*) FILTER (WHERE r.reached)
    FROM field_fieldreport r CROSS JOIN generate_series(%s, %s) AS l
    WHERE r.location IS NOT NULL {{where}}
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
"""


def add_reports(report_ids):
    """Count these (just stored) reports into the cells of every level.

    Run after the reports' own (durable) commit, the upsert does not wait for its WAL
    flush (synchronous_commit off for this statement only): concurrent syncs of one
    area update the same few cells, and each would otherwise hold their row locks
    for a disk flush, one after the other. A crash in the following fraction of a
    second can lose these increments, never a report; rebuild() recounts."""
    if not report_ids:
        return
    relaxed = "" if connection.in_atomic_block else "SET LOCAL synchronous_commit TO off; "
    with connection.cursor() as cur:
        cur.execute(
            # One simple-protocol query: both statements share its implicit transaction.
            relaxed
            + "INSERT INTO livemap_reportcell (level, x, y, count, reached)"
            + COUNT_SQL.format(where="AND r.id = ANY(%s)")
            + """
            ON CONFLICT (level, x, y) DO UPDATE
            SET count = livemap_reportcell.count + excluded.count,
                reached = livemap_reportcell.reached + excluded.reached
            """,  # noqa: S608 - fixed fragments only
            [LEVELS.start, LEVELS.stop - 1, list(report_ids)],
        )


def rebuild():
    """Recount every cell from the reports (after bulk loads or deletions)."""
    with connection.cursor() as cur:
        cur.execute("DELETE FROM livemap_reportcell")
        cur.execute(
            "INSERT INTO livemap_reportcell (level, x, y, count, reached)" + COUNT_SQL.format(where=""),
            [LEVELS.start, LEVELS.stop - 1],
        )


def cells_in(box, zoom):
    """[(lon, lat, count, reached)] of the cells of this zoom's level in the box."""
    level = min(max(zoom, LEVELS.start), LEVELS.stop - 1)
    size = cell_size(level)
    minx, miny, maxx, maxy = (int(v // size) for v in box)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT x, y, count, reached FROM livemap_reportcell "
            "WHERE level = %s AND x BETWEEN %s AND %s AND y BETWEEN %s AND %s",
            [level, minx, maxx, miny, maxy],
        )
        return size, [((x + 0.5) * size, (y + 0.5) * size, n, reached) for x, y, n, reached in cur.fetchall()]
