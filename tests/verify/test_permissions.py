"""VERIFY permissions: who may use what, checked against the table in permissions.md.

For each role (anonymous, citizen, volunteer, team leader, organizer, admin) every API
operation of the schema and every page is requested on the role's own campaign with
that campaign's own objects, and the answer is classed:

- `Y`: let through (2xx, 3xx other than to the sign-in page, or 400: the request
  reached the view and was refused only for what it carried);
- `N`: refused (401, 403, 404, or a redirect to the sign-in page);
- `-`: the method does not exist there (405).

The expected class per role is the table in tests/verify/permissions.md (one row per
method and route). A route missing from the table, or a table row for a route that
no longer exists, fails the check too. Also checked: volunteers outside their turf or
after their assignment ends are refused, and sensitive fields (support level) never
appear in answers to roles without the right to see them.

`python -m tests.verify.test_permissions > tests/verify/permissions.md` is NOT how the
table is meant to change: edit the row, and say why in the commit.
"""

import copy
import json
import re
import uuid
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from tests.verify.conftest import client_as
from tests.verify.endpoints import operations
from tests.verify.recorder import check
from tests.verify.test_tenant_isolation import body_of, own_path, send

TABLE = Path(__file__).with_name("permissions.md")
ROLES = ["anonymous", "citizen", "volunteer", "team_leader", "organizer", "admin"]
SENSITIVE = re.compile(r'"support_level"\s*:\s*\d')


def read_table():
    rows = {}
    for line in TABLE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 + len(ROLES) or cells[0] in {"method", ""} or set(cells[0]) <= {"-", ":"}:
            continue
        method, route, *expected = cells
        rows[(method, route.strip("`"))] = dict(zip(ROLES, expected, strict=True))
    return rows


def outcome(response):
    code = response.status_code
    if code == 405:
        return "-"
    if code in {401, 403, 404}:
        return "N"
    if code in {301, 302, 303} and "/accounts/login/" in response.get("Location", ""):
        return "N"
    if code >= 500:
        return "500"
    return "Y"


def probes(ops, world):
    """(method, route, path) in an order where writes come after reads and deletions last."""
    reads, writes, deletes = [], [], []
    for op in ops:
        path = own_path(op, world)
        if path is None:
            continue
        for method in op.methods:
            row = (method, op.template, path)
            (reads if method == "GET" else deletes if method == "DELETE" else writes).append(row)
    return reads + writes + deletes


@pytest.fixture(scope="module")
def world(worlds):
    return worlds[0]


def observed_matrix(world):
    api, pages = operations()
    # One sign-in per role, its session cookie given to a fresh client per request (a
    # sign-in per request made this test twice as long). A probe that ended the session
    # would make the role's later probes anonymous, and the table check fail.
    signed_in = {role: client_as(world, None if role == "anonymous" else role).cookies for role in ROLES}
    seen = {}
    for method, route, path in probes(api + pages, world):
        if route in _NOT_PROBED:
            continue
        row = {}
        body = BODIES[(method, route)](world) if (method, route) in BODIES else None
        for role in ROLES:
            client = client_as(world)
            client.cookies = copy.deepcopy(signed_in[role])
            row[role] = outcome(send(client, method, path, body))
        seen[(method, route)] = row
    return seen


# Requests that need a body to get past "not found" to the permission check.
BODIES = {
    ("POST", "/api/contacts/{id}/merge/"): lambda w: {"other": w.ids["crm.contact"][1]},
    ("POST", "/equipe/doublons/fusionner/"): lambda w: {"keep": w.ids["crm.contact"][0],
                                                        "other": w.ids["crm.contact"][1]},
    ("POST", "/api/contacts/{id}/distinct/"): lambda w: {"other": w.ids["crm.contact"][1]},
    ("POST", "/equipe/doublons/distincts/"): lambda w: {"keep": w.ids["crm.contact"][0],
                                                        "other": w.ids["crm.contact"][1]},
    ("POST", "/equipe/contacts/{pk}/effacer/"): lambda w: {"reason": "demande écrite"},
    ("POST", "/equipe/contacts/{pk}/opposition/"): lambda w: {"reason": "demande au téléphone"},
}  # fmt: skip

# Routes whose effect would spoil the probes after them (signing out ends the session
# the next probes use); they are covered by tests/campaigns/test_accounts.py.
_NOT_PROBED = {"/accounts/logout/"}


def test_every_role_gets_what_the_table_says(world, unblocked):
    expected = read_table()
    with check("permissions") as c:
        seen = observed_matrix(world)
        for key, row in sorted(seen.items()):
            want = expected.get(key)
            if not c.probe(want is not None, f"{key[0]} {key[1]}: not in permissions.md"):
                continue
            for role in ROLES:
                c.probe(
                    row[role] == want[role],
                    f"{key[0]} {key[1]} as {role}: got {row[role]}, permissions.md says {want[role]}",
                )
        for key in expected.keys() - seen.keys():
            c.probe(False, f"{key[0]} {key[1]}: in permissions.md but no longer served")


def test_sensitive_fields_reach_only_roles_allowed_to_see_them(world, unblocked):
    api, pages = operations()
    with check("permissions") as c:
        for role in ROLES[:-1]:
            user = world.users.get(role)
            with tenant_context(world.campaign):
                allowed = user is not None and user.has_perm("crm.see_sensitive")
            if allowed:
                continue
            client = client_as(world, None if role == "anonymous" else role)
            for op in api + pages:
                path = own_path(op, world)
                if path is None or "GET" not in op.methods:
                    continue
                body = body_of(client.get(path))
                c.probe(not SENSITIVE.search(body), f"GET {path} as {role} shows a support level")


def test_volunteers_are_refused_outside_their_turf_and_assignment(world, unblocked):
    from crm.field.models import Assignment, Turf

    with tenant_context(world.campaign):
        current = Assignment.objects.get(volunteer=world.users["volunteer"])
        ended = Assignment.objects.get(volunteer=world.users["volunteer_ended"])
        other_turf = Turf.objects.exclude(pk=current.turf_id).first()
        address = current.turf.addresses.first()
    volunteer = client_as(world, "volunteer")
    late = client_as(world, "volunteer_ended")

    def report(**over):
        item = {"uuid": str(uuid.uuid4()), "action": current.action_id, "turf": current.turf_id,
                "address": address.pk, "result": "not_home", "done_at": timezone.now().isoformat()}  # fmt: skip
        item.update(over)
        return item

    def post(client, item):
        r = client.post("/api/reports/", json.dumps(item), content_type="application/json")
        return r.status_code

    with check("permissions") as c:
        c.probe(volunteer.get(f"/api/assignments/{current.pk}/walk-list/").status_code == 200, "own walk list")
        for path in (f"/api/assignments/{ended.pk}/walk-list/", f"/api/assignments/{current.pk}/walk-list/"):
            code = late.get(path).status_code
            c.probe(code in {403, 404}, f"GET {path} by a volunteer whose assignment ended: {code}")
        code = post(late, report(uuid=str(uuid.uuid4())))
        c.probe(code == 403, f"report by a volunteer whose assignment ended: {code}")
        if other_turf is not None:
            code = post(volunteer, report(turf=other_turf.pk))
            c.probe(code == 403, f"report for a turf not assigned to the volunteer: {code}")
        code = post(volunteer, report())
        c.probe(code == 201, f"report inside the volunteer's own turf and window: {code}")
        for path in ("/api/contacts/", "/equipe/contacts/", "/api/segments/", "/equipe/imports/", "/messages/"):
            code = volunteer.get(path).status_code
            c.probe(code in {403, 404}, f"GET {path} by a volunteer: {code}")


if __name__ == "__main__":  # pragma: no cover - see the module docstring
    raise SystemExit("Edit tests/verify/permissions.md by hand.")
