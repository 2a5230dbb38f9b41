"""VERIFY tenant_isolation: nothing of one campaign is served on another's host.

Three campaigns (tests/verify/world.py) hold data of every kind, each marked with
its own marker. Every API operation of the OpenAPI schema and every other route is
requested on each campaign's host:

- as that campaign's admin, naming another campaign's objects (ids, slugs, signed
  links): refused with 403/404 (405 where the method does not exist), and the body
  holds nothing of the other campaign;
- with another campaign's session cookie, also with the `X-Forwarded-Host` header
  naming the other campaign: answered exactly as an anonymous visitor is;
- with another campaign's API token: 401;
- as its own admin, naming its own objects: no other campaign's marker in the body;
- WebSocket subscriptions with another campaign's cookie: refused (close code 4403).
"""

import itertools
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django_tenants.utils import tenant_context

from tests.verify.conftest import client_as
from tests.verify.endpoints import operations
from tests.verify.recorder import check

REFUSED = {403, 404, 405}
# A signed link of another campaign may also get the page that says the link is invalid.
REFUSED_LINK = REFUSED | {400}


@pytest.fixture(scope="module")
def ops(worlds):
    api, pages = operations()
    return api + pages


def foreign_values(op, owner, host):
    """Values naming `owner`'s objects that `host` does not hold; (values, why-not)."""
    values = {}
    for param, source in op.params.items():
        if source is None:
            return None, f"{op.name}: parameter {param} not described in ROUTE_PARAMS"
        kind, _, what = source.partition(":")
        if kind == "api":
            kind, what = "pk", source
        if kind == "pk":
            theirs = [pk for pk in owner.ids.get(what, []) if pk not in set(host.ids.get(what, []))]
            if not theirs:
                return None, f"{op.name}: the world holds no {what} of one campaign that the other lacks"
            values[param] = theirs[0]
        elif kind == "slug":
            theirs = [s for s in owner.slugs[what] if s not in set(host.slugs[what])]
            if what == "event" and op.params.get("token") == "secret:rsvp":
                theirs = host.slugs[what]  # the host's own event with the other's cancel link
            if not theirs:
                return None, f"{op.name}: the world holds no {what} slug of one campaign that the other lacks"
            values[param] = theirs[0]
        elif kind == "step":
            step_kind, part = what.split(":")
            if step_kind not in owner.steps:
                return None, f"{op.name}: the world holds no {step_kind} step"
            slug, position = owner.steps[step_kind]
            values[param] = slug if part == "slug" else position
        elif kind == "secret":
            values[param] = owner.secrets[what]
            if what == "rsvp":
                values[param] = owner.secrets[what][1]
        elif kind == "ct":
            with tenant_context(host.campaign or owner.campaign):
                values[param] = ContentType.objects.get_by_natural_key(*what.split(".")).pk
        elif source == "schema":
            values[param] = (owner if owner.ids else host).campaign.schema_name
        else:
            values[param] = source
    return values, None


def own_path(op, world):
    values, _ = foreign_values(op, world, _Empty())
    return None if values is None else op.path(values)


_FOREIGN = {"pk", "api", "slug", "step", "secret", "schema", "None"}


class _Empty:
    ids = {}
    steps = {}
    campaign = None
    slugs = {"news": [], "page": [], "event": [], "project": []}


def body_of(response):
    if response.streaming:
        raw = getattr(response, "content_bytes", None)
        raw = b"".join(response.streaming_content) if raw is None else raw
    else:
        raw = response.content
    return raw.decode("utf-8", errors="replace")


def leaked(response, others):
    body = body_of(response)
    return [w.marker for w in others if w.marker in body or w.marker.lower() in body]


def send(client, method, path, body=None, **extra):
    """One request, rolled back afterwards: each probe sees the world as built, whatever
    the probes before it deleted or changed. Pages get `body` as a form, the API as JSON."""
    if method in {"GET", "DELETE"}:
        data, kwargs = {}, {}
    elif path.startswith("/api/"):
        data, kwargs = json.dumps(body or {}), {"content_type": "application/json"}
    else:
        data, kwargs = body or {}, {}
    with transaction.atomic():
        response = getattr(client, method.lower())(path, data, **kwargs, **extra)
        if response.streaming:  # read it while the rows it streams from are there
            response.content_bytes = b"".join(response.streaming_content)
        transaction.set_rollback(True)
    return response


def test_no_campaign_sees_another_campaigns_objects(worlds, ops, unblocked):
    with check("tenant_isolation") as c:
        for host, owner in itertools.permutations(worlds, 2):
            others = [w for w in worlds if w is not host]
            admin = client_as(host, "admin")
            for op in ops:
                if not any(str(s).partition(":")[0] in _FOREIGN for s in op.params.values()):
                    continue
                values, missing = foreign_values(op, owner, host)
                if not c.probe(values is not None, missing):
                    continue
                refused = REFUSED_LINK if any(str(s).startswith("secret") for s in op.params.values()) else REFUSED
                path = op.path(values)
                for method in op.methods:
                    r = send(admin, method, path)
                    c.probe(
                        r.status_code in refused and not leaked(r, others),
                        f"{method} {path} on {host.marker}'s host as its admin with {owner.marker}'s objects: "
                        f"{r.status_code} {leaked(r, others)}",
                    )


def test_another_campaigns_session_is_anonymous_here(worlds, ops, unblocked):
    with check("tenant_isolation") as c:
        for host, owner in itertools.permutations(worlds, 2):
            intruder = client_as(owner, "admin")
            cookie = intruder.cookies["sessionid"].value
            for op in ops:
                path = own_path(op, host)
                if path is None:
                    continue
                # A fresh client each time: some links sign the visitor in (account confirmation).
                expected = client_as(host).get(path).status_code
                for extra in ({}, {"HTTP_X_FORWARDED_HOST": owner.host}):
                    foreign = client_as(host, **extra)
                    foreign.cookies["sessionid"] = cookie
                    r = foreign.get(path)
                    body = body_of(r)
                    c.probe(
                        r.status_code == expected and owner.marker not in body
                        and owner.users["admin"].email not in body,
                        f"GET {path} on {host.marker}'s host with {owner.marker}'s admin cookie {extra}: "
                        f"{r.status_code}, anonymous gets {expected}",
                    )  # fmt: skip


def test_another_campaigns_api_token_is_refused(worlds, ops, unblocked):
    with check("tenant_isolation") as c:
        for host, owner in itertools.permutations(worlds, 2):
            client = client_as(host, HTTP_AUTHORIZATION=f"Token {owner.tokens['admin']}")
            for op in ops:
                path = own_path(op, host)
                if path is None or not path.startswith("/api/"):
                    continue
                for method in op.methods:
                    r = send(client, method, path)
                    anonymous = send(client_as(host), method, path).status_code
                    # DRF refuses an unknown token with 401; plain views ignore the header and
                    # answer as they answer anyone.
                    ok = r.status_code in {401, anonymous}
                    c.probe(
                        ok and not leaked(r, [owner]),
                        f"{method} {path} on {host.marker}'s host with {owner.marker}'s admin token: "
                        f"{r.status_code}, anonymous gets {anonymous}",
                    )


def test_own_pages_hold_nothing_of_other_campaigns(worlds, ops, unblocked):
    with check("tenant_isolation") as c:
        for host in worlds:
            others = [w for w in worlds if w is not host]
            for role in ("admin", "citizen", None):
                client = client_as(host, role)
                for op in ops:
                    if "GET" not in op.methods:
                        continue
                    path = own_path(op, host)
                    if path is None:
                        continue
                    r = client.get(path)
                    c.probe(
                        r.status_code < 500 and not leaked(r, others),
                        f"GET {path} on {host.marker}'s host as {role}: {r.status_code} {leaked(r, others)}",
                    )


def test_admin_site_serves_no_other_campaigns_object(worlds, unblocked):
    from config.admin_sites import campaign_admin

    with check("tenant_isolation") as c:
        for host, owner in itertools.permutations(worlds, 2):
            admin = client_as(host, "admin")
            intruder = client_as(host)
            intruder.cookies["sessionid"] = client_as(owner, "admin").cookies["sessionid"].value
            for model in campaign_admin._registry:
                label = model._meta.label_lower
                base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
                r = intruder.get(base)
                c.probe(
                    r.status_code == 302 and "/admin/login/" in r["Location"],
                    f"GET {base} on {host.marker}'s host with {owner.marker}'s cookie: {r.status_code}",
                )
                theirs = [pk for pk in owner.ids.get(label, []) if pk not in set(host.ids.get(label, []))]
                if theirs:
                    path = f"{base}{theirs[0]}/change/"
                    r = admin.get(path)
                    # 302: Django's admin sends a missing object back to the index; 403: the
                    # campaign admin has no admin page for that model at all.
                    c.probe(
                        r.status_code in {302, 403, 404} and not leaked(r, [owner]),
                        f"GET {path} on {host.marker}'s host as its admin: {r.status_code}",
                    )


def test_websockets_refuse_another_campaigns_session(worlds, asgi_server, unblocked):
    from tests.campaigns.test_realtime import refused_with

    with check("tenant_isolation") as c:
        for host, owner in itertools.permutations(worlds, 2):
            cookie = f"sessionid={client_as(owner, 'admin').cookies['sessionid'].value}"
            code = refused_with(asgi_server, host.host, cookie)
            c.probe(code == 4403, f"socket on {host.marker}'s host with {owner.marker}'s cookie: close {code}")
