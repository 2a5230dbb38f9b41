"""Team tracking: what each volunteer and team did for an action, against its objective."""

from django.db.models import Count, Q, Sum

from campaigns.accounts.models import Team, User

from .models import Action, FieldReport


def _measure(kind, row):
    """The figure an action's objective counts: doors, calls, leaflets or attendees."""
    if kind in (Action.Kind.LETTERBOX, Action.Kind.LEAFLETING):
        return row["leaflets"] or 0
    if kind == Action.Kind.EVENT:
        return row["reached"]
    return row["reports"]


def progress_of(action, *, viewer):
    """Per volunteer (leaderboard order), per team and in total. A team leader who
    does not plan the campaign sees only the teams they lead."""
    reports = FieldReport.objects.filter(action=action)
    teams = Team.objects.all()
    if not viewer.has_perm("field.plan"):
        teams = teams.filter(leaders=viewer)
        reports = reports.filter(volunteer__teams__in=teams).distinct()
    rows = (
        reports.values("volunteer")
        .annotate(
            reports=Count("id"), reached=Count("id", filter=Q(reached=True)),
            doors=Count("id", filter=Q(address__isnull=False)), leaflets=Sum("leaflets"),
        )
        .order_by()
    )  # fmt: skip
    results = {}
    for r in reports.values("volunteer", "result").annotate(n=Count("id")).order_by():
        results.setdefault(r["volunteer"], {})[r["result"]] = r["n"]
    names = {u.pk: u.public_name for u in User.objects.filter(pk__in=[r["volunteer"] for r in rows])}
    volunteers = sorted(
        (
            {
                "volunteer": r["volunteer"], "name": names.get(r["volunteer"], "?"), "reports": r["reports"],
                "doors": r["doors"], "reached": r["reached"], "leaflets": r["leaflets"] or 0,
                "results": results.get(r["volunteer"], {}), "measure": _measure(action.kind, r),
            }
            for r in rows
        ),
        key=lambda v: (-v["measure"], v["name"]),
    )  # fmt: skip
    for rank, v in enumerate(volunteers, start=1):
        v["rank"] = rank
    by_id = {v["volunteer"]: v for v in volunteers}
    team_rows = []
    for team in teams.prefetch_related("members"):
        members = [by_id[m.pk] for m in team.members.all() if m.pk in by_id]
        team_rows.append(
            {
                "team": team.pk, "name": team.name,
                **{k: sum(m[k] for m in members) for k in ("reports", "doors", "reached", "leaflets", "measure")},
            }
        )  # fmt: skip
    done = sum(v["measure"] for v in volunteers)
    return {
        "action": action.pk,
        "kind": action.kind,
        "objective": action.objective,
        "done": done,
        "percent": round(100 * done / action.objective, 1) if action.objective else None,
        "reached": sum(v["reached"] for v in volunteers),
        "volunteers": volunteers,
        "teams": team_rows,
    }
