"""The set-based half of an import: from the staging table into the contact base.

Every statement works on the whole file at once; nothing loops over rows in Python.
Intermediate results go to new temporary tables (CREATE TABLE AS) rather than
UPDATEs of the staging table, which would rewrite every row. Runs inside the
import's transaction, so a failure anywhere leaves nothing behind.
"""

from dataclasses import dataclass, field
from functools import partial

from django.utils.translation import gettext_lazy as _

from crm.models import CONSENT_FIELDS, has_others_sql

from .bulk import copy_bigints, deferred_indexes, timed_execute
from .rows import COPY_COLUMNS, STAGING_COLUMNS

STAGING = "import_staging"
TEMP_TABLES = (STAGING, "import_dups", "import_match", "import_new", "import_rows", "import_homeless",
               "import_known", "import_extra", "import_wanting", "import_homes", "import_home_ids")  # fmt: skip
# Text fields an import may fill in when the contact has them blank.
FILLABLE = ("birth_name", "usage_name", "first_names", "sex", "opinion_notes")
# What the statements completing known people read of their first row in the file,
# e-mail and phone as lists, the shape of a contact's other rows gathered (the address
# columns, the widest, are not among them: the sort is half as wide).
KNOWN_COLUMNS = ("row_no", *FILLABLE, "birth_date",
                 "CASE WHEN email <> '' THEN ARRAY[email] ELSE '{}' END || other_emails AS emails",
                 "CASE WHEN phone <> '' THEN ARRAY[phone] ELSE '{}' END || other_phones AS phones", "custom",
                 "support_level", "name_key", "search_text", *CONSENT_FIELDS)  # fmt: skip


# The merge's steps in order: (key, share of its time, what people are told). The
# shares are seconds for a million new rows on a 2-core machine, where reading the
# file takes about 8 (pipeline.READING_WEIGHT): the progress bar moves with the time
# spent instead of waiting at 99 % while the rows are written.
STEPS = (
    ("matching", 3, _("personnes déjà connues et doublons du fichier")),
    ("addresses", 6, _("adresses")),
    ("households", 3, _("foyers")),
    ("contacts", 15, _("fiches des contacts et index de recherche")),
    ("rows", 2, _("lignes importées")),
    ("completing", 2, _("consentements, compléments et étiquettes")),
    ("located", 1, _("contacts localisés")),
)

# What on_step is given while another import of the campaign merges.
WAITING = "waiting"
# The campaign's merge lock: the import jobs' own locks are (the same, job id >= 1).
MERGE_LOCK = "hashtext(current_schema()), 0"


@dataclass
class MergeCounts:
    created: int = 0
    merged: int = 0
    suppressed_rows: list = field(default_factory=list)
    located: int = 0


def create_staging(cursor):
    columns = ", ".join(f"{name} {kind}" for name, kind in STAGING_COLUMNS)
    # ON COMMIT DROP cleans up; this covers an import nested in an outer transaction.
    for table in TEMP_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(f"CREATE TEMP TABLE {STAGING} ({columns}) ON COMMIT DROP")


def copy_statement():
    return f"COPY {STAGING} ({', '.join(COPY_COLUMNS)}) FROM STDIN"


def _consent_after(column, contact="c", row="s"):
    """A file can give a consent nobody recorded yet, and can withdraw one; it cannot
    overturn a refusal already recorded."""
    return (
        f"CASE WHEN {row}.{column} IS NULL THEN {contact}.{column} "
        f"WHEN {row}.{column} = false THEN false "
        f"WHEN {contact}.{column} IS NULL THEN true ELSE {contact}.{column} END"
    )


# gdpr.identity in SQL, for a staging row s.
SQL_IDENTITY = "s.name_key || '|' || to_char(s.birth_date, 'YYYY-MM-DD')"


def sql_value_hash(column):
    """rows.value_hash in SQL, the salt passed as %(salt)s: only rows checked against
    a suppression list need it, so the cleaning processes do not compute it."""
    return f"encode(sha256(convert_to(%(salt)s || ':' || {column}, 'UTF8')), 'hex')"


def merge(cursor, *, job_id, source, file_name, actor_id, salt, skipped=(), on_step=None):
    """Merge the staging table into the base. `skipped`: hashes of the rows of the file
    the base held already (rows.RowCleaner.known_rows), which are not in staging.
    `on_step(key)` is called as each of STEPS begins."""
    counts = MergeCounts()
    step = on_step or (lambda key: None)

    def x(sql, params=None):
        timed_execute(cursor, sql, params)

    def scalar(sql, params=None):
        x(sql, params)
        return cursor.fetchone()[0]

    # One import of a campaign merges at a time, until it commits: each then matches its
    # people against the base with the other's in it. (Two at once each created the
    # people their files shared.) Reading and cleaning the files still run side by side.
    if not scalar(f"SELECT pg_try_advisory_xact_lock({MERGE_LOCK})"):
        step(WAITING)
        x(f"SELECT pg_advisory_xact_lock({MERGE_LOCK})")
    step("matching")

    x(f"CREATE INDEX ON {STAGING} (row_no)")
    x(f"ANALYZE {STAGING}")

    # 1. People erased earlier stay erased: their rows are dropped and reported. Known
    #    by e-mail, phone, or name and birth date (most of a voter file has no more).
    if scalar("SELECT EXISTS (SELECT 1 FROM crm_suppressionentry)"):
        x(
            f"""DELETE FROM {STAGING} s
                 WHERE (s.email <> '' AND {sql_value_hash("s.email")} IN
                           (SELECT value_hash FROM crm_suppressionentry WHERE kind = 'email'))
                    OR (s.phone <> '' AND {sql_value_hash("s.phone")} IN
                           (SELECT value_hash FROM crm_suppressionentry WHERE kind = 'phone'))
                    OR (s.name_key <> '' AND s.birth_date IS NOT NULL AND {sql_value_hash(SQL_IDENTITY)} IN
                           (SELECT value_hash FROM crm_suppressionentry WHERE kind = 'identity'))
             RETURNING s.row_no""",
            {"salt": salt},
        )
        counts.suppressed_rows = sorted(r[0] for r in cursor.fetchall())

    # 2. The same person twice in one file (an e-mail or phone of one row is one of
    #    another's, first or other, or the same name and birth date): later rows merge
    #    into the first one. Other e-mails and phones are read only when some row has
    #    some: at a million rows, the two more passes over the file cost 0.6 s.
    some_others = f"SELECT 1 FROM {STAGING} WHERE other_emails <> '{{}}' OR other_phones <> '{{}}'"
    has_others = scalar(f"SELECT EXISTS ({some_others})")
    others = (
        f"""UNION ALL SELECT row_no, 'e', unnest(other_emails) FROM {STAGING} WHERE other_emails <> '{{}}'
            UNION ALL SELECT row_no, 'p', unnest(other_phones) FROM {STAGING} WHERE other_phones <> '{{}}'"""
        if has_others
        else ""
    )
    x(
        f"""CREATE TEMP TABLE import_dups ON COMMIT DROP AS
            WITH reach AS MATERIALIZED (
                SELECT row_no, 'e' AS kind, email AS value FROM {STAGING} WHERE email <> ''
                UNION ALL SELECT row_no, 'p', phone FROM {STAGING} WHERE phone <> '' {others})
            SELECT row_no, min(first_row) AS canonical FROM (
                SELECT r.row_no, g.first_row FROM reach r JOIN (
                    SELECT kind, value, min(row_no) AS first_row FROM reach
                     GROUP BY kind, value HAVING count(*) > 1) g USING (kind, value)
                 WHERE r.row_no > g.first_row
                UNION ALL
                SELECT s.row_no, g.first_row FROM {STAGING} s JOIN (
                    SELECT name_key, birth_date, min(row_no) AS first_row FROM {STAGING}
                     WHERE name_key <> '' AND birth_date IS NOT NULL
                     GROUP BY name_key, birth_date HAVING count(*) > 1) g USING (name_key, birth_date)
                 WHERE s.row_no > g.first_row
            ) d GROUP BY row_no"""
    )

    # A row can be the duplicate of a row that is itself one (rows 1 and 3 share a phone,
    # 3 and 5 an e-mail): point every duplicate at the first row of its chain.
    while True:
        x(
            """UPDATE import_dups d SET canonical = c.canonical FROM import_dups c
                WHERE c.row_no = d.canonical AND c.canonical < d.canonical"""
        )
        if not cursor.rowcount:
            break

    # 3. Already in the base? Same e-mail, else same phone (a contact's other ones
    #    count), else same name and birth date, else same name at the same address.
    base_is_empty = not scalar("SELECT EXISTS (SELECT 1 FROM crm_contact)")
    if base_is_empty:
        x("CREATE TEMP TABLE import_match (row_no integer, contact_id bigint) ON COMMIT DROP")
    else:
        x(f"CREATE TEMP TABLE import_match ON COMMIT DROP AS {_match_query(scalar)}")
        # A row's other e-mails, then phones, among a contact's own or other ones: for the
        # rows nothing matched by their first ones.
        if has_others:
            x(_match_others_query())
        # Same name at the same address: only for the rows nothing else matched (none,
        # when a file comes again), and not when both have a birth date and they differ
        # (a mother and her daughter of the same name, in one flat).
        x(
            f"""INSERT INTO import_match (row_no, contact_id)
                SELECT s.row_no, min(c.id) FROM (
                    SELECT row_no, addr_key, name_key, birth_date FROM {STAGING} s
                     WHERE s.addr_key <> '' AND s.name_key <> ''
                       AND NOT EXISTS (SELECT 1 FROM import_match m WHERE m.row_no = s.row_no)
                       AND NOT EXISTS (SELECT 1 FROM import_dups d WHERE d.row_no = s.row_no)
                     OFFSET 0) s
                  JOIN crm_address a ON a.key = s.addr_key
                  JOIN crm_household h ON h.address_id = a.id
                  JOIN crm_contact c ON c.household_id = h.id AND c.name_key = s.name_key
                 WHERE s.birth_date IS NULL OR c.birth_date IS NULL OR c.birth_date = s.birth_date
                 GROUP BY s.row_no"""
        )
    x("CREATE INDEX ON import_match (row_no)")

    # 4. New people get their ids now, so every later statement can refer to them.
    # The sequence is named once: pg_get_serial_sequence per row costs five times nextval.
    sequence = scalar("SELECT pg_get_serial_sequence('crm_contact', 'id')")
    x(
        f"""CREATE TEMP TABLE import_new ON COMMIT DROP AS
            SELECT s.row_no, nextval(%s::regclass) AS id, s.row_hash
              FROM {STAGING} s
             WHERE NOT EXISTS (SELECT 1 FROM import_dups d WHERE d.row_no = s.row_no)
               AND NOT EXISTS (SELECT 1 FROM import_match m WHERE m.row_no = s.row_no)""",
        [sequence],
    )
    x("CREATE INDEX ON import_new (row_no)")
    x("ANALYZE import_new")
    counts.created = scalar("SELECT count(*) FROM import_new")

    step("addresses")
    # 5. Buildings and households (one building, many households), for new people and
    #    for known people who had no address yet.
    x(
        """CREATE TEMP TABLE import_homeless ON COMMIT DROP AS
            SELECT m.row_no FROM import_match m JOIN crm_contact c ON c.id = m.contact_id
             WHERE c.household_id IS NULL"""
    )
    # Only the columns a home needs, read once for the three statements below.
    x(
        f"""CREATE TEMP TABLE import_wanting ON COMMIT DROP AS
            SELECT s.row_no, s.addr_key, s.line1, s.line2, s.postal_code, s.city, s.lon, s.lat, s.polling_station
              FROM {STAGING} s JOIN (SELECT row_no FROM import_new UNION ALL SELECT row_no FROM import_homeless) h
                   USING (row_no)
             WHERE s.addr_key <> ''"""
    )
    with deferred_indexes(cursor, "crm_address", counts.created) as addresses:
        addresses.execute(
            """INSERT INTO crm_address (line1, postal_code, city, key, point, geocoded_by, polling_station_code)
                SELECT DISTINCT ON (addr_key) line1, postal_code, city, addr_key,
                       CASE WHEN lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(lon, lat), 4326) END,
                       CASE WHEN lon IS NOT NULL THEN 'file' ELSE '' END,
                       polling_station
                  FROM import_wanting w
                 -- In the order of the key's unique index: stored in any other (by
                 -- place, say) a million rows take 60 % longer to index.
                 ORDER BY addr_key, lon IS NULL, row_no
                ON CONFLICT (key) DO UPDATE SET
                       point = COALESCE(crm_address.point, EXCLUDED.point),
                       geocoded_by = CASE WHEN crm_address.point IS NULL THEN EXCLUDED.geocoded_by
                                          ELSE crm_address.geocoded_by END,
                       polling_station_code = COALESCE(NULLIF(crm_address.polling_station_code, ''),
                                                       EXCLUDED.polling_station_code)
                 WHERE (crm_address.point IS NULL AND EXCLUDED.point IS NOT NULL)
                    OR (crm_address.polling_station_code = '' AND EXCLUDED.polling_station_code <> '')"""
        )
        # Addresses the file gave no position for: the national address reference, if loaded.
        if scalar("SELECT EXISTS (SELECT 1 FROM public.geocoding_addressreference)"):
            addresses.execute(
                f"""UPDATE crm_address a SET point = r.point, geocoded_by = 'ban'
                      FROM public.geocoding_addressreference r, (SELECT DISTINCT addr_key FROM {STAGING}) s
                     WHERE a.key = s.addr_key AND a.point IS NULL
                       AND r.match_key = split_part(a.key, '|', 1) || '|' || split_part(a.key, '|', 2)"""
            )
    step("households")
    # Each household of the file once (many rows share one), with its address.
    x(
        """CREATE TEMP TABLE import_homes ON COMMIT DROP AS
            SELECT w.addr_key, w.line2, a.id AS address_id
              FROM (SELECT DISTINCT addr_key, line2 FROM import_wanting) w JOIN crm_address a ON a.key = w.addr_key"""
    )
    with deferred_indexes(cursor, "crm_household", counts.created) as households:
        households.execute(
            """INSERT INTO crm_household (address_id, label) SELECT address_id, line2 FROM import_homes
                 ORDER BY address_id
                ON CONFLICT (address_id, label) DO NOTHING"""
        )
    x(
        """CREATE TEMP TABLE import_home_ids ON COMMIT DROP AS
            SELECT m.addr_key, m.line2, h.id AS household_id
              FROM import_homes m JOIN crm_household h ON h.address_id = m.address_id AND h.label = m.line2"""
    )
    x("ANALYZE import_home_ids")

    step("contacts")
    # 6. New contacts. Their import job's row is what the progress bar reads: its
    #    table stays readable.
    with deferred_indexes(cursor, "crm_contact", counts.created, keep_references=["crm_importjob"]):
        x(
            f"""INSERT INTO crm_contact (id, birth_name, usage_name, first_names, sex, birth_date, email, phone,
                       other_emails, other_phones, household_id, custom_fields, source, import_job_id,
                       consent_email, consent_sms, consent_phone, consent_door, support_level, opinion_notes,
                       name_key, search_text, created, updated)
                SELECT n.id, s.birth_name, s.usage_name, s.first_names, s.sex, s.birth_date, s.email, s.phone,
                       s.other_emails, s.other_phones, h.household_id, s.custom, %(source)s, %(job)s,
                       s.consent_email, s.consent_sms, s.consent_phone, s.consent_door, s.support_level,
                       s.opinion_notes, s.name_key, s.search_text, now(), now()
                  FROM {STAGING} s JOIN import_new n USING (row_no)
                  LEFT JOIN import_home_ids h ON s.addr_key <> '' AND h.addr_key = s.addr_key AND h.line2 = s.line2""",
            {"source": source, "job": job_id},
        )

    step("rows")
    # Every row of the file and the contact it ended up in.
    x(
        """CREATE TEMP TABLE import_rows ON COMMIT DROP AS
           SELECT row_no, id AS contact_id, true AS is_new FROM import_new
           UNION ALL SELECT row_no, contact_id, false FROM import_match
           UNION ALL SELECT d.row_no, COALESCE(n.id, m.contact_id), false
                       FROM import_dups d LEFT JOIN import_new n ON n.row_no = d.canonical
                       LEFT JOIN import_match m ON m.row_no = d.canonical"""
    )
    x("ANALYZE import_rows")
    # Every row that went into a contact: the same row in a later file is skipped.
    with deferred_indexes(cursor, "crm_importedrow", counts.created):
        x(
            f"""INSERT INTO crm_importedrow (contact_id, row_hash)
                SELECT id, row_hash FROM import_new
                UNION ALL
                SELECT r.contact_id, s.row_hash FROM import_rows r JOIN {STAGING} s USING (row_no)
                 WHERE NOT r.is_new AND r.contact_id IS NOT NULL"""
        )
    merged_rows = scalar("SELECT count(*) FROM import_rows WHERE NOT is_new AND contact_id IS NOT NULL")
    counts.merged = merged_rows + len(skipped)

    step("completing")
    # 7. People already known: record consent changes, then fill what was blank.
    for column in CONSENT_FIELDS:
        x(
            f"""INSERT INTO crm_consentevent (contact_id, channel, granted, at, source, actor_id)
                SELECT n.id, %(channel)s, s.{column}, now(), %(source)s, %(actor)s
                  FROM {STAGING} s JOIN import_new n USING (row_no) WHERE s.{column} IS NOT NULL""",
            {"channel": column.removeprefix("consent_"), "source": source, "actor": actor_id},
        )
    complete = partial(_complete_contacts, x, source=source, job_id=job_id, actor_id=actor_id, file_name=file_name)
    first_rows = 0
    if not base_is_empty:
        x(
            f"""CREATE TEMP TABLE import_known ON COMMIT DROP AS
                SELECT DISTINCT ON (m.contact_id) m.contact_id, {", ".join(KNOWN_COLUMNS)}
                  FROM import_match m JOIN {STAGING} s USING (row_no)
                 ORDER BY m.contact_id, m.row_no"""
        )
        first_rows = cursor.rowcount
        x("ANALYZE import_known")
        complete("import_known")
        x(
            """UPDATE crm_contact c SET household_id = h.household_id
                  FROM import_homeless hl JOIN import_match m USING (row_no) JOIN import_wanting w USING (row_no)
                       JOIN import_home_ids h ON h.addr_key = w.addr_key AND h.line2 = w.line2
                 WHERE c.id = m.contact_id AND c.household_id IS NULL"""
        )
    # A contact's other rows in the file (the same person twice, two rows matching one
    # contact), gathered per contact: another e-mail or phone, a blank they fill, a
    # consent they give or withdraw count too.
    if merged_rows > first_rows:
        x(f"CREATE TEMP TABLE import_extra ON COMMIT DROP AS {_extra_rows_query(not base_is_empty)}")
        complete("import_extra")

    # 8. Tags.
    if scalar(f"SELECT EXISTS (SELECT 1 FROM {STAGING} WHERE cardinality(tags) > 0)"):
        x(f"INSERT INTO crm_tag (name) SELECT DISTINCT unnest(tags) FROM {STAGING} ON CONFLICT (name) DO NOTHING")
        x(
            f"""INSERT INTO crm_contact_tags (contact_id, tag_id)
                SELECT DISTINCT r.contact_id, t.id FROM {STAGING} s JOIN import_rows r USING (row_no)
                       CROSS JOIN LATERAL unnest(s.tags) AS n(name) JOIN crm_tag t ON t.name = n.name
                 WHERE r.contact_id IS NOT NULL
                ON CONFLICT DO NOTHING"""
        )

    step("located")
    if skipped:
        with_rows = counts.created + merged_rows > 0
        counts.located = _located_with_skipped(cursor, scalar, job_id, skipped, with_rows=with_rows)
    elif base_is_empty:
        # Everyone of the file is new: found by their import, without the temporary
        # import_rows, the query runs in parallel (1M rows: 1 s instead of 3.5 s).
        counts.located = _located(scalar, "c.import_job_id = %s", [job_id])
    else:
        counts.located = _located(scalar, "c.id IN (SELECT contact_id FROM import_rows)")
    return counts


def _located(scalar, which, params=None):
    """How many contacts `which` (a condition on c, crm_contact) selects have a point."""
    return scalar(
        f"""SELECT count(*) FROM crm_contact c JOIN crm_household h ON h.id = c.household_id
                   JOIN crm_address a ON a.id = h.address_id
             WHERE a.point IS NOT NULL AND {which}""",
        params,
    )


def _located_with_skipped(cursor, scalar, job_id, skipped, *, with_rows):
    """Contacts located among those of the file, skipped rows included: these name
    their contacts by hash (crm_importedrow). A million of them make a pass over the
    base that PostgreSQL splits between its parallel workers, which cannot read a
    temporary table: the hashes go to an unlogged table of the campaign, created and
    dropped inside the import's transaction (no other session ever sees it)."""
    table, read = f"import_skipped_{int(job_id)}", f"import_read_{int(job_id)}"
    timed_execute(cursor, f"CREATE UNLOGGED TABLE {table} (row_hash bigint)")
    copy_bigints(cursor, table, "row_hash", skipped)
    timed_execute(cursor, f"ANALYZE {table}")
    of_skipped = f"SELECT i.contact_id FROM crm_importedrow i JOIN {table} k USING (row_hash)"
    if with_rows:
        # The contacts of the rows read too (an updated file's changed rows), gathered
        # first in one table: as a UNION inside the query below, each parallel worker
        # hashed the whole union on its own (7 s at a million rows instead of 1.5).
        timed_execute(cursor, f"CREATE UNLOGGED TABLE {read} AS {of_skipped}")
        timed_execute(cursor, f"INSERT INTO {read} SELECT contact_id FROM import_rows WHERE contact_id IS NOT NULL")
        timed_execute(cursor, f"ANALYZE {read}")
        located = _located(scalar, f"c.id IN (SELECT contact_id FROM {read})")
        timed_execute(cursor, f"DROP TABLE {read}")
    else:
        located = _located(scalar, f"c.id IN ({of_skipped})")
    timed_execute(cursor, f"DROP TABLE {table}")
    return located


def _match_query(scalar):
    """Rows of the file matching a contact by e-mail (its own, else one of its others),
    else phone (the same way), else name and birth date: (row_no, lowest matching
    contact id). A file small next to the base looks its people up in the base's
    indexes; a big one reads the base once, grouped by key (a million index lookups
    take four times as long)."""
    rows, base = (
        scalar("SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass", [table])
        for table in (f"pg_temp.{STAGING}", "crm_contact")
    )
    not_dup = "NOT EXISTS (SELECT 1 FROM import_dups d WHERE d.row_no = {}.row_no)"
    if rows * 4 <= base:
        return f"""SELECT DISTINCT ON (row_no) row_no, contact_id FROM (
                    SELECT s.row_no, c.id AS contact_id, 1 AS kind FROM {STAGING} s
                      JOIN crm_contact c ON c.email = s.email WHERE s.email <> '' AND c.email <> ''
                    UNION ALL
                    SELECT s.row_no, c.id, 2 FROM {STAGING} s
                      JOIN crm_contact c ON {_among_others("email", "s.email")} WHERE s.email <> ''
                    UNION ALL
                    SELECT s.row_no, c.id, 3 FROM {STAGING} s
                      JOIN crm_contact c ON c.phone = s.phone WHERE s.phone <> '' AND c.phone <> ''
                    UNION ALL
                    SELECT s.row_no, c.id, 4 FROM {STAGING} s
                      JOIN crm_contact c ON {_among_others("phone", "s.phone")} WHERE s.phone <> ''
                    UNION ALL
                    SELECT s.row_no, c.id, 5 FROM {STAGING} s
                      JOIN crm_contact c ON c.name_key = s.name_key AND c.birth_date = s.birth_date
                     WHERE s.name_key <> '' AND s.birth_date IS NOT NULL
                ) m
                 WHERE {not_dup.format("m")}
                 ORDER BY row_no, kind, contact_id"""
    found = "COALESCE(e.id, oe.id, p.id, op.id, n.id)"
    return f"""SELECT s.row_no, {found} AS contact_id
                  FROM {STAGING} s
                  LEFT JOIN (SELECT email, min(id) AS id FROM crm_contact WHERE email <> ''
                              GROUP BY email) e ON s.email <> '' AND e.email = s.email
                  LEFT JOIN ({_others_grouped("email")}) oe ON s.email <> '' AND oe.value = s.email
                  LEFT JOIN (SELECT phone, min(id) AS id FROM crm_contact WHERE phone <> ''
                              GROUP BY phone) p ON s.phone <> '' AND p.phone = s.phone
                  LEFT JOIN ({_others_grouped("phone")}) op ON s.phone <> '' AND op.value = s.phone
                  LEFT JOIN (SELECT name_key, birth_date, min(id) AS id FROM crm_contact
                              WHERE name_key <> '' AND birth_date IS NOT NULL
                              GROUP BY name_key, birth_date) n
                         ON s.name_key <> '' AND n.name_key = s.name_key AND n.birth_date = s.birth_date
                 WHERE {found} IS NOT NULL AND {not_dup.format("s")}"""


def _match_others_query():
    """Insert into import_match the rows not matched yet whose other e-mails or phones a
    contact holds, as its own or among its others (each looked up in an index)."""
    branches = []
    for rank, kind in enumerate(("email", "phone")):
        values = f"""SELECT s.row_no, v.value FROM {STAGING} s CROSS JOIN LATERAL unnest(s.other_{kind}s) v(value)
                      WHERE s.other_{kind}s <> '{{}}'
                        AND NOT EXISTS (SELECT 1 FROM import_match m WHERE m.row_no = s.row_no)
                        AND NOT EXISTS (SELECT 1 FROM import_dups d WHERE d.row_no = s.row_no)"""
        branches += [
            f"""SELECT o.row_no, c.id AS contact_id, {2 * rank} AS kind FROM ({values}) o
                  JOIN crm_contact c ON c.{kind} = o.value AND c.{kind} <> ''""",
            f"""SELECT o.row_no, c.id, {2 * rank + 1} FROM ({values}) o
                  JOIN crm_contact c ON {_among_others(kind, "o.value")}""",
        ]
    return f"""INSERT INTO import_match (row_no, contact_id)
               SELECT DISTINCT ON (row_no) row_no, contact_id FROM ({" UNION ALL ".join(branches)}) m
                ORDER BY row_no, kind, contact_id"""


def _among_others(kind, value, contact="c"):
    """`value` (an SQL expression: an e-mail, or phone) is one of `contact`'s other ones."""
    return f"{has_others_sql(kind, contact)} AND {contact}.other_{kind}s @> ARRAY[{value}]::varchar[]"


def _others_grouped(kind):
    """(value, lowest id of a contact holding it among its other e-mails or phones)."""
    return f"""SELECT v.value, min(c.id) AS id FROM crm_contact c CROSS JOIN LATERAL unnest(c.other_{kind}s) v(value)
                WHERE {has_others_sql(kind, "c")} GROUP BY v.value"""


BLANK = "''"


def _extra_rows_query(with_known):
    """Per contact, its rows of the file whose values nothing read yet, in the shape of
    KNOWN_COLUMNS: the first non-blank value of each field in file order, every e-mail
    and phone, custom fields merged (the first row's value of a key wins), a consent
    refused by one row refused."""

    def first(column, present):
        return f"(array_agg(s.{column} ORDER BY s.row_no) FILTER (WHERE {present}))[1]"

    def first_text(column, of=None):  # of the rows where `of` (`column`) is not blank
        return f"COALESCE({first(column, f's.{of or column} <> {BLANK}')}, '') AS {column}"

    columns = [
        "min(s.row_no) AS row_no",
        *(first_text(f) for f in FILLABLE),
        f"{first('birth_date', 's.birth_date IS NOT NULL')} AS birth_date",
        f"{first('support_level', 's.support_level IS NOT NULL')} AS support_level",
        first_text("name_key", of="birth_name"),
        first_text("search_text"),
        *(f"CASE WHEN bool_or(NOT s.{c}) THEN false WHEN bool_or(s.{c}) THEN true END AS {c}" for c in CONSENT_FIELDS),
    ]
    unread = "AND NOT EXISTS (SELECT 1 FROM import_known k WHERE k.row_no = r.row_no)" if with_known else ""
    return f"""
        WITH extra AS (SELECT r.row_no, r.contact_id FROM import_rows r
                        WHERE NOT r.is_new AND r.contact_id IS NOT NULL {unread}),
             custom AS (SELECT e.contact_id, jsonb_object_agg(j.key, j.value ORDER BY s.row_no DESC) AS custom
                          FROM extra e JOIN {STAGING} s USING (row_no) CROSS JOIN LATERAL jsonb_each(s.custom) j
                         GROUP BY e.contact_id),
             reached AS (SELECT e.contact_id,
                                COALESCE(array_agg(DISTINCT v.value) FILTER (WHERE v.kind = 'e'), '{{}}') AS emails,
                                COALESCE(array_agg(DISTINCT v.value) FILTER (WHERE v.kind = 'p'), '{{}}') AS phones
                           FROM extra e JOIN {STAGING} s USING (row_no) CROSS JOIN LATERAL (
                                SELECT 'e', unnest(ARRAY[s.email] || s.other_emails)
                                UNION ALL SELECT 'p', unnest(ARRAY[s.phone] || s.other_phones)) v(kind, value)
                          WHERE v.value <> ''
                          GROUP BY e.contact_id)
        SELECT g.*, COALESCE(r.emails, '{{}}') AS emails, COALESCE(r.phones, '{{}}') AS phones,
               COALESCE(cu.custom, '{{}}') AS custom FROM (
            SELECT e.contact_id, {", ".join(columns)} FROM extra e JOIN {STAGING} s USING (row_no)
             GROUP BY e.contact_id) g
          LEFT JOIN reached r USING (contact_id)
          LEFT JOIN custom cu USING (contact_id)"""


def _complete_contacts(x, known, *, source, job_id, actor_id, file_name):
    """Record the consents `known` (contact_id, KNOWN_COLUMNS) changes, then fill what
    its contacts had blank."""
    for column in CONSENT_FIELDS:
        x(
            f"""INSERT INTO crm_consentevent (contact_id, channel, granted, at, source, actor_id)
                SELECT c.id, %(channel)s, {_consent_after(column)}, now(), %(source)s, %(actor)s
                  FROM crm_contact c JOIN {known} s ON s.contact_id = c.id
                 WHERE s.{column} IS NOT NULL AND {_consent_after(column)} IS DISTINCT FROM c.{column}""",
            {"channel": column.removeprefix("consent_"), "source": source, "actor": actor_id},
        )
    _fill_known_contacts(x, known, job_id=job_id, actor_id=actor_id, file_name=file_name)


def _fill_known_contacts(x, known, *, job_id, actor_id, file_name):
    fills = [f"{f} = CASE WHEN c.{f} = '' THEN s.{f} ELSE c.{f} END" for f in FILLABLE]
    changed = [f"(c.{f} = '' AND s.{f} <> '')" for f in FILLABLE]
    fills += [
        "birth_date = COALESCE(c.birth_date, s.birth_date)",
        "custom_fields = s.custom || c.custom_fields",
        "support_level = COALESCE(c.support_level, s.support_level)",
        "name_key = CASE WHEN c.birth_name = '' AND s.birth_name <> '' THEN s.name_key ELSE c.name_key END",
        "search_text = CASE WHEN c.search_text = '' THEN s.search_text ELSE c.search_text END",
        "updated = now()",
    ] + [f"{col} = {_consent_after(col)}" for col in CONSENT_FIELDS]
    for kind in ("email", "phone"):
        # The first of the row's values becomes the contact's if it had none; the
        # others it does not hold yet are added to its other ones.
        fills += [
            f"{kind} = CASE WHEN c.{kind} = '' THEN COALESCE(s.{kind}s[1], '') ELSE c.{kind} END",
            f"""other_{kind}s = c.other_{kind}s || ARRAY(
                    SELECT v::varchar FROM unnest(s.{kind}s) v
                     WHERE v <> COALESCE(NULLIF(c.{kind}, ''), s.{kind}s[1]) AND v <> ALL(c.other_{kind}s))""",
        ]
        changed.append(f"EXISTS (SELECT 1 FROM unnest(s.{kind}s) v WHERE v <> c.{kind} AND v <> ALL(c.other_{kind}s))")
    changed += [
        "(c.birth_date IS NULL AND s.birth_date IS NOT NULL)",
        "NOT (c.custom_fields @> s.custom)",
        "(c.support_level IS NULL AND s.support_level IS NOT NULL)",
    ] + [f"{_consent_after(col)} IS DISTINCT FROM c.{col}" for col in CONSENT_FIELDS]
    x(
        f"""WITH updated AS (
              UPDATE crm_contact c SET {", ".join(fills)}
                FROM {known} s
               WHERE c.id = s.contact_id AND ({" OR ".join(changed)})
           RETURNING c.id, s.row_no)
            INSERT INTO crm_interaction (contact_id, kind, at, actor_id, summary, data, is_contact)
            SELECT id, 'import_update', now(), %(actor)s, %(summary)s,
                   jsonb_build_object('import', %(job)s::bigint, 'row', row_no), false
              FROM updated""",
        {"actor": actor_id, "summary": f"Complété par l'import « {file_name} »", "job": job_id},
    )
