"""The set-based half of an import: from the staging table into the contact base.

Every statement works on the whole file at once; nothing loops over rows in Python.
Runs inside the import's transaction, so a failure anywhere leaves nothing behind.
"""

from dataclasses import dataclass, field

from .rows import STAGING_COLUMNS

STAGING = "import_staging"
CONSENTS = ("consent_email", "consent_sms", "consent_phone", "consent_door")
# Text fields an import may fill in when the contact has them blank.
FILLABLE = ("birth_name", "usage_name", "first_names", "sex")


@dataclass
class MergeCounts:
    created: int = 0
    merged: int = 0
    suppressed_rows: list = field(default_factory=list)
    located: int = 0


def create_staging(cursor):
    columns = ", ".join(f"{name} {kind}" for name, kind in STAGING_COLUMNS)
    # ON COMMIT DROP cleans up; this covers an import nested in an outer transaction.
    cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
    cursor.execute(
        f"""CREATE TEMP TABLE {STAGING} ({columns},
                contact_id bigint, new_id bigint, canonical_row integer, needs_household boolean DEFAULT false
            ) ON COMMIT DROP"""
    )


def copy_statement():
    return f"COPY {STAGING} ({', '.join(name for name, _ in STAGING_COLUMNS)}) FROM STDIN"


def _consent_after(column, contact="c", row="s"):
    """A file can give a consent nobody recorded yet, and can withdraw one; it cannot
    overturn a refusal already recorded."""
    return (
        f"CASE WHEN {row}.{column} IS NULL THEN {contact}.{column} "
        f"WHEN {row}.{column} = false THEN false "
        f"WHEN {contact}.{column} IS NULL THEN true ELSE {contact}.{column} END"
    )


def merge(cursor, *, job_id, source, file_name, actor_id):
    counts = MergeCounts()
    x = cursor.execute
    x(f"CREATE INDEX ON {STAGING} (row_no)")
    x(f"ANALYZE {STAGING}")

    # 1. People erased earlier stay erased: their rows are dropped and reported.
    x(
        f"""DELETE FROM {STAGING} s
             WHERE (s.email_hash <> '' AND s.email_hash IN
                       (SELECT value_hash FROM crm_suppressionentry WHERE kind = 'email'))
                OR (s.phone_hash <> '' AND s.phone_hash IN
                       (SELECT value_hash FROM crm_suppressionentry WHERE kind = 'phone'))
         RETURNING s.row_no"""
    )
    counts.suppressed_rows = sorted(r[0] for r in cursor.fetchall())

    # 2. The same person twice in one file: later rows merge into the first one.
    x(
        f"""WITH keyed AS (
              SELECT row_no,
                     CASE WHEN email <> '' THEN min(row_no) OVER (PARTITION BY email) END AS by_email,
                     CASE WHEN phone <> '' THEN min(row_no) OVER (PARTITION BY phone) END AS by_phone,
                     CASE WHEN name_key <> '' AND birth_date IS NOT NULL
                          THEN min(row_no) OVER (PARTITION BY name_key, birth_date) END AS by_name
                FROM {STAGING})
            UPDATE {STAGING} s SET canonical_row = LEAST(k.row_no, k.by_email, k.by_phone, k.by_name)
              FROM keyed k WHERE k.row_no = s.row_no"""
    )

    # 3. Already in the base? Same e-mail, else same phone, else same name and birth
    #    date, else same name at the same address.
    x(
        f"""UPDATE {STAGING} s SET contact_id = c.id FROM crm_contact c
             WHERE s.canonical_row = s.row_no AND s.email <> '' AND c.email = s.email"""
    )
    x(
        f"""UPDATE {STAGING} s SET contact_id = c.id FROM crm_contact c
             WHERE s.canonical_row = s.row_no AND s.contact_id IS NULL AND s.phone <> '' AND c.phone = s.phone"""
    )
    x(
        f"""UPDATE {STAGING} s SET contact_id = c.id FROM crm_contact c
             WHERE s.canonical_row = s.row_no AND s.contact_id IS NULL AND s.name_key <> ''
               AND s.birth_date IS NOT NULL AND c.name_key = s.name_key AND c.birth_date = s.birth_date"""
    )
    x(
        f"""UPDATE {STAGING} s SET contact_id = c.id
              FROM crm_contact c JOIN crm_household h ON h.id = c.household_id
                   JOIN crm_address a ON a.id = h.address_id
             WHERE s.canonical_row = s.row_no AND s.contact_id IS NULL AND s.name_key <> ''
               AND s.addr_key <> '' AND c.name_key = s.name_key AND a.key = s.addr_key"""
    )

    # 4. New people get their ids now, so every later statement can refer to them.
    x(
        f"""UPDATE {STAGING} SET new_id = nextval(pg_get_serial_sequence('crm_contact', 'id')),
                                needs_household = addr_key <> ''
             WHERE canonical_row = row_no AND contact_id IS NULL"""
    )
    x(
        f"""UPDATE {STAGING} s SET needs_household = true FROM crm_contact c
             WHERE s.new_id IS NULL AND s.contact_id = c.id AND c.household_id IS NULL AND s.addr_key <> ''"""
    )

    # 5. Buildings and households (one building, many households).
    x(
        f"""INSERT INTO crm_address (line1, postal_code, city, key, point, geocoded_by, polling_station_code)
            SELECT DISTINCT ON (addr_key) line1, postal_code, city, addr_key,
                   CASE WHEN lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(lon, lat), 4326) END,
                   CASE WHEN lon IS NOT NULL THEN 'file' ELSE '' END,
                   polling_station
              FROM {STAGING} WHERE needs_household
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
    x(
        f"""INSERT INTO crm_household (address_id, label)
            SELECT DISTINCT a.id, s.line2 FROM {STAGING} s JOIN crm_address a ON a.key = s.addr_key
             WHERE s.needs_household
            ON CONFLICT (address_id, label) DO NOTHING"""
    )

    # 6. New contacts.
    x(
        f"""INSERT INTO crm_contact (id, birth_name, usage_name, first_names, sex, birth_date, email, phone,
                   other_emails, other_phones, household_id, custom_fields, source, import_job_id,
                   consent_email, consent_sms, consent_phone, consent_door, support_level, opinion_notes,
                   name_key, search_text, created, updated)
            SELECT s.new_id, s.birth_name, s.usage_name, s.first_names, s.sex, s.birth_date, s.email, s.phone,
                   '{{}}', '{{}}', h.id, s.custom, %(source)s, %(job)s,
                   s.consent_email, s.consent_sms, s.consent_phone, s.consent_door, s.support_level, '',
                   s.name_key, s.search_text, now(), now()
              FROM {STAGING} s
              LEFT JOIN crm_address a ON s.addr_key <> '' AND a.key = s.addr_key
              LEFT JOIN crm_household h ON h.address_id = a.id AND h.label = s.line2
             WHERE s.new_id IS NOT NULL""",
        {"source": source, "job": job_id},
    )
    counts.created = cursor.rowcount
    x(f"UPDATE {STAGING} SET contact_id = new_id WHERE new_id IS NOT NULL")
    x(
        f"""UPDATE {STAGING} s SET contact_id = c.contact_id FROM {STAGING} c
             WHERE s.canonical_row <> s.row_no AND s.contact_id IS NULL AND c.row_no = s.canonical_row"""
    )
    x(f"SELECT count(*) FROM {STAGING} WHERE new_id IS NULL AND contact_id IS NOT NULL")
    counts.merged = cursor.fetchone()[0]

    # 7. People already known: record consent changes, then fill what was blank.
    known = f"""(SELECT DISTINCT ON (contact_id) * FROM {STAGING}
                  WHERE contact_id IS NOT NULL AND new_id IS NULL ORDER BY contact_id, row_no)"""
    for column in CONSENTS:
        channel = column.removeprefix("consent_")
        x(
            f"""INSERT INTO crm_consentevent (contact_id, channel, granted, at, source, actor_id)
                SELECT c.id, %(channel)s, {_consent_after(column)}, now(), %(source)s, %(actor)s
                  FROM crm_contact c JOIN {known} s ON s.contact_id = c.id
                 WHERE {_consent_after(column)} IS DISTINCT FROM c.{column}""",
            {"channel": channel, "source": source, "actor": actor_id},
        )
        x(
            f"""INSERT INTO crm_consentevent (contact_id, channel, granted, at, source, actor_id)
                SELECT new_id, %(channel)s, {column}, now(), %(source)s, %(actor)s
                  FROM {STAGING} WHERE new_id IS NOT NULL AND {column} IS NOT NULL""",
            {"channel": channel, "source": source, "actor": actor_id},
        )
    fills = [f"{f} = CASE WHEN c.{f} = '' THEN s.{f} ELSE c.{f} END" for f in FILLABLE]
    changed = [f"(c.{f} = '' AND s.{f} <> '')" for f in FILLABLE]
    fills += [
        "birth_date = COALESCE(c.birth_date, s.birth_date)",
        "email = CASE WHEN c.email = '' THEN s.email ELSE c.email END",
        "phone = CASE WHEN c.phone = '' THEN s.phone ELSE c.phone END",
        """other_emails = CASE WHEN s.email <> '' AND c.email <> '' AND s.email <> c.email
                                AND NOT s.email = ANY(c.other_emails)
                           THEN array_append(c.other_emails, s.email::varchar) ELSE c.other_emails END""",
        """other_phones = CASE WHEN s.phone <> '' AND c.phone <> '' AND s.phone <> c.phone
                                AND NOT s.phone = ANY(c.other_phones)
                           THEN array_append(c.other_phones, s.phone::varchar) ELSE c.other_phones END""",
        "custom_fields = s.custom || c.custom_fields",
        "support_level = COALESCE(c.support_level, s.support_level)",
        "name_key = CASE WHEN c.birth_name = '' AND s.birth_name <> '' THEN s.name_key ELSE c.name_key END",
        "search_text = CASE WHEN c.search_text = '' THEN s.search_text ELSE c.search_text END",
        "updated = now()",
    ] + [f"{col} = {_consent_after(col)}" for col in CONSENTS]
    changed += [
        "(c.birth_date IS NULL AND s.birth_date IS NOT NULL)",
        "(s.email <> '' AND s.email <> c.email AND NOT s.email = ANY(c.other_emails))",
        "(s.phone <> '' AND s.phone <> c.phone AND NOT s.phone = ANY(c.other_phones))",
        "NOT (c.custom_fields @> s.custom)",
        "(c.support_level IS NULL AND s.support_level IS NOT NULL)",
    ] + [f"{_consent_after(col)} IS DISTINCT FROM c.{col}" for col in CONSENTS]
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
    x(
        f"""UPDATE crm_contact c SET household_id = h.id
              FROM {STAGING} s JOIN crm_address a ON a.key = s.addr_key
                   JOIN crm_household h ON h.address_id = a.id AND h.label = s.line2
             WHERE s.needs_household AND s.new_id IS NULL AND c.id = s.contact_id AND c.household_id IS NULL"""
    )

    # 8. Tags, timeline.
    x(
        f"""INSERT INTO crm_tag (name) SELECT DISTINCT unnest(tags) FROM {STAGING}
             WHERE contact_id IS NOT NULL ON CONFLICT (name) DO NOTHING"""
    )
    x(
        f"""INSERT INTO crm_contact_tags (contact_id, tag_id)
            SELECT DISTINCT s.contact_id, t.id FROM {STAGING} s
                   CROSS JOIN LATERAL unnest(s.tags) AS n(name) JOIN crm_tag t ON t.name = n.name
             WHERE s.contact_id IS NOT NULL
            ON CONFLICT DO NOTHING"""
    )
    x(
        f"""INSERT INTO crm_interaction (contact_id, kind, at, actor_id, summary, data, is_contact)
            SELECT new_id, 'imported', now(), %(actor)s, %(summary)s,
                   jsonb_build_object('import', %(job)s::bigint, 'row', row_no), false
              FROM {STAGING} WHERE new_id IS NOT NULL""",
        {"actor": actor_id, "summary": f"Importé depuis « {file_name} »", "job": job_id},
    )

    x(
        f"""SELECT count(DISTINCT s.contact_id) FROM {STAGING} s
              JOIN crm_contact c ON c.id = s.contact_id JOIN crm_household h ON h.id = c.household_id
              JOIN crm_address a ON a.id = h.address_id WHERE a.point IS NOT NULL"""
    )
    counts.located = cursor.fetchone()[0]
    return counts
