"""Figures for the team's dashboard. Each chart is a list of rows (label, values...),
the same rows drawn by Chart.js and downloadable as CSV."""

import re

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.tenancy import campaign_zone

from .layers import RESULT_LABEL_SQL, parse_filters, result_label


def zone_literal():
    """The campaign's time zone as an SQL literal, for the days of its charts ("a day"
    is the campaign's, from its midnight). A zone name is letters, digits, _ + - and /
    (zoneinfo checked it when the campaign was created); anything else is not put in SQL."""
    key = campaign_zone().key
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", key):
        raise ValueError(f"unexpected time zone name {key!r}")
    return f"'{key}'"


def _rows(sql, args):
    with connection.cursor() as cur:
        cur.execute(sql, args)
        return [list(r) for r in cur.fetchall()]


def _results(base, args):
    """[label, reports] by result, in the actions' words ("Absent", not "not_home"); the
    same words across kinds of action count together."""
    counts = {}
    for kind, code, label, n in _rows(
        f"SELECT a.kind, r.result, {RESULT_LABEL_SQL}, count(*) {base} GROUP BY 1, 2, 3",
        args,  # noqa: S608
    ):
        label = str(result_label(kind, code, label))
        counts[label] = counts.get(label, 0) + n
    return sorted(([label, n] for label, n in counts.items()), key=lambda row: (-row[1], row[0]))


def charts(params, *, with_support):
    """{name: {"title", "columns", "rows"}} for the filters in `params`."""
    where, args = parse_filters(params)
    cond = " AND ".join(["true", *where])
    base = f"FROM field_fieldreport r JOIN field_action a ON a.id = r.action_id WHERE {cond}"  # noqa: S608
    result = {
        "per_day": {
            "title": _("Portes frappées et personnes rencontrées par jour"),
            "columns": [_("Jour"), _("Portes"), _("Personnes rencontrées")],
            "rows": [
                [day.isoformat(), doors, reached]
                for day, doors, reached in _rows(
                    f"SELECT (r.done_at AT TIME ZONE {zone_literal()})::date, "
                    "count(*) FILTER (WHERE r.address_id IS NOT NULL), count(*) FILTER (WHERE r.reached) "
                    f"{base} GROUP BY 1 ORDER BY 1",
                    args,
                )
            ],
        },
        "results": {
            "title": _("Résultats"),
            "columns": [_("Résultat"), _("Comptes rendus")],
            "rows": _results(base, args),
        },
        "actions": {
            "title": _("Avancement des actions"),
            "columns": [_("Action"), _("Réalisé"), _("Objectif")],
            "rows": _rows(
                "SELECT a.name, CASE WHEN a.kind IN ('letterbox', 'leafleting') THEN coalesce(sum(r.leaflets), 0) "
                "ELSE count(r.id) END, a.objective FROM field_action a LEFT JOIN field_fieldreport r "
                f"ON r.action_id = a.id AND {cond} GROUP BY a.id ORDER BY a.starts_on DESC, a.name",
                args,
            ),
        },
        "volunteers": {
            "title": _("Bénévoles les plus actifs"),
            "columns": [_("Bénévole"), _("Comptes rendus"), _("Personnes rencontrées")],
            "rows": _rows(
                "SELECT coalesce(nullif(u.display_name, ''), nullif(u.full_name, ''), split_part(u.email, '@', 1)), "
                "count(*), count(*) FILTER (WHERE r.reached) FROM field_fieldreport r "
                "JOIN field_action a ON a.id = r.action_id JOIN accounts_user u ON u.id = r.volunteer_id "
                f"WHERE {cond} GROUP BY u.id ORDER BY 2 DESC, 1 LIMIT 10",
                args,
            ),
        },
        "teams": {
            "title": _("Équipes"),
            "columns": [_("Équipe"), _("Comptes rendus"), _("Personnes rencontrées")],
            "rows": _rows(
                "SELECT t.name, count(r.id), count(r.id) FILTER (WHERE r.reached) FROM accounts_team t "
                "JOIN accounts_team_members m ON m.team_id = t.id "
                "JOIN field_fieldreport r ON r.volunteer_id = m.user_id "
                f"JOIN field_action a ON a.id = r.action_id WHERE {cond} GROUP BY t.id ORDER BY 2 DESC, 1",
                args,
            ),
        },
        "messages": {
            "title": _("Messages"),
            "columns": [_("Message"), _("Envoyés"), _("Remis"), _("Ouverts"), _("Rejetés"), _("Désabonnés")],
            "rows": _rows(
                "SELECT m.name, count(s.id) FILTER (WHERE s.status NOT IN ('pending', 'claimed', 'failed')), "
                "count(s.id) FILTER (WHERE s.status IN ('delivered', 'opened', 'clicked')), "
                "count(s.id) FILTER (WHERE s.status IN ('opened', 'clicked')), "
                "count(s.id) FILTER (WHERE s.status IN ('bounced', 'dropped')), "
                "count(s.id) FILTER (WHERE s.status IN ('unsubscribed', 'spam')) "
                "FROM messaging_message m LEFT JOIN messaging_send s ON s.message_id = m.id "
                "GROUP BY m.id ORDER BY m.created DESC LIMIT 20",
                [],
            ),
        },
    }
    result["participation"] = participation_per_day(params)
    result["review"] = review_flags()
    if with_support:
        result["support"] = {
            "title": _("Soutien par zone (personnes rencontrées au soutien connu)"),
            "columns": [_("Zone"), _("Favorables (4–5)"), _("Soutien connu")],
            "rows": _rows(
                "SELECT z.name, count(*) FILTER (WHERE c.support_level >= 4), count(c.support_level) "
                "FROM field_zone z JOIN field_turf t ON t.zone_id = z.id "
                "JOIN field_turf_addresses ta ON ta.turf_id = t.id "
                "JOIN crm_household h ON h.address_id = ta.address_id JOIN crm_contact c ON c.household_id = h.id "
                "WHERE c.erased_at IS NULL AND c.support_level IS NOT NULL "
                "GROUP BY z.id ORDER BY z.name",
                [],
            ),
        }
    return result


PARTICIPATION = [  # (column, SQL giving one row per item with its day as "d")
    (gettext_lazy("Propositions"), "SELECT (created AT TIME ZONE {zone})::date AS d FROM ideas_proposal "
                        "WHERE visibility = 'visible'"),
    (gettext_lazy("Soutiens"), "SELECT (created AT TIME ZONE {zone})::date FROM ideas_vote"),
    (gettext_lazy("Questions"), "SELECT (created AT TIME ZONE {zone})::date FROM ideas_question "
                     "WHERE visibility = 'visible'"),
    (gettext_lazy("Réponses aux questionnaires"),
     "SELECT submitted_on FROM surveys_response WHERE submitted_on IS NOT NULL "
     "AND NOT (user_id IS NOT NULL AND submitted_at IS NULL)"),
    (gettext_lazy("Contributions"), "SELECT (created AT TIME ZONE {zone})::date FROM debate_contribution "
                         "WHERE visibility = 'visible'"),
    (gettext_lazy("Votes (consultation)"), "SELECT (at AT TIME ZONE {zone})::date FROM debate_vote"),
    (gettext_lazy("Annonces d'entraide"), "SELECT (created AT TIME ZONE {zone})::date FROM aid_helppost "
                               "WHERE visibility = 'visible'"),
]  # fmt: skip


def participation_per_day(params):
    """Contributions, votes and answers per day on the public site (the date filters apply)."""
    zone = zone_literal()
    union = " UNION ALL ".join(
        f"SELECT {n} AS k, d FROM ({sql.format(zone=zone)}) AS s{n}(d)" for n, (_l, sql) in enumerate(PARTICIPATION)
    )
    counts = ", ".join(f"count(*) FILTER (WHERE k = {n})" for n in range(len(PARTICIPATION)))
    where, args = ["d IS NOT NULL"], []
    for key, op in (("since", ">="), ("until", "<=")):
        if params.get(key):
            where.append(f"d {op} %s")
            args.append(params[key])
    return {
        "title": _("Participation sur le site par jour"),
        "columns": [_("Jour")] + [str(label) for label, _sql in PARTICIPATION],
        "rows": [
            [day.isoformat(), *values]
            for day, *values in _rows(
                f"SELECT d, {counts} FROM ({union}) AS all_items WHERE {' AND '.join(where)} GROUP BY d ORDER BY d",  # noqa: S608
                args,
            )
        ],
    }


def review_flags():
    """Field-report batches waiting for review, with their anomaly flags (the queue's own
    figures, crm/field/review.py)."""
    from crm.field.models import ReviewBatch, ReviewSettings
    from crm.field.review import FLAG_LABELS, figures

    settings = ReviewSettings.current()
    rows = []
    for batch in ReviewBatch.objects.filter(status=ReviewBatch.Status.PENDING).select_related("volunteer")[:50]:
        f = figures(batch, settings)
        rows.append([
            batch.volunteer.public_name if batch.volunteer else "—", batch.day.isoformat(), f["doors"],
            ", ".join(str(FLAG_LABELS.get(flag, flag)) for flag in f["batch_flags"]) or "—",
        ])  # fmt: skip
    return {
        "title": _("Lots à revoir et leurs alertes"),
        "columns": [_("Militant"), _("Jour"), _("Portes"), _("Alertes")],
        "rows": rows,
    }
