"""VERIFY deploy_check: production settings as deployed, asked from outside.

- `manage.py check --deploy` with production settings reports nothing;
- the production-style server (uvicorn, production settings, behind a TLS proxy as
  `X-Forwarded-Proto: https` says) sends the security headers on every page and API
  answer, signed out and signed in: a CSP whose scripts come from our host only (no
  'unsafe-inline', no 'unsafe-eval') and which forbids framing, HSTS for a year,
  X-Content-Type-Options, Referrer-Policy; plain HTTP is redirected to HTTPS;
- the session cookie is Secure, HttpOnly and SameSite; the CSRF cookie is Secure (our
  scripts read it, so it cannot be HttpOnly);
- sign-in through the real form: an old PBKDF2 hash is upgraded to Argon2 on success;
  repeated wrong passwords lock the account for that address, even with the right
  password afterwards.
"""

import re
import subprocess
import sys

import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django_tenants.utils import tenant_context

from tests.conftest import ROOT
from tests.verify.conftest import production_env
from tests.verify.endpoints import operations
from tests.verify.recorder import check
from tests.verify.test_tenant_isolation import own_path
from tests.verify.world import PASSWORD


def over_https(session, base, host, method, path, **kwargs):
    """A request as the TLS proxy forwards it. The cookies are Secure, so `requests`
    would not send them over this plain-HTTP hop: they are sent by hand."""
    headers = {"Host": host, "X-Forwarded-Proto": "https", "Origin": f"https://{host}",
               "Referer": f"https://{host}{path}", **kwargs.pop("headers", {})}  # fmt: skip
    if session.cookies:
        headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    return session.request(method, base + path, headers=headers, allow_redirects=False, timeout=30, **kwargs)


def header_problems(response):
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    scripts = directives.get("script-src", directives.get("default-src", ""))
    if not scripts or "'unsafe-inline'" in scripts or "'unsafe-eval'" in scripts or "*" in scripts.split():
        problems.append(f"script-src {scripts!r}")
    if "'none'" not in directives.get("frame-ancestors", ""):
        problems.append(f"frame-ancestors {directives.get('frame-ancestors')!r}")
    hsts = response.headers.get("Strict-Transport-Security", "")
    if not re.search(r"max-age=(\d{8,}|3[1-9]\d{6})", hsts):
        problems.append(f"HSTS {hsts!r}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("X-Content-Type-Options")
    if not response.headers.get("Referrer-Policy"):
        problems.append("Referrer-Policy")
    return problems


def sign_in(base, host, email, password):
    session = requests.Session()
    form = over_https(session, base, host, "GET", "/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = over_https(session, base, host, "POST", "/accounts/login/",
                        data={"csrfmiddlewaretoken": token, "username": email, "password": password})  # fmt: skip
    return session, form, answer


def test_check_deploy_reports_nothing(django_db_setup):
    with check("deploy_check") as c:
        result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                                cwd=ROOT, env=production_env(), capture_output=True, text=True)  # fmt: skip
        warnings = re.findall(r"^\?: \(([^)]+)\)|^[\w.]+: \(([^)]+)\)", result.stdout + result.stderr, re.M)
        c.probe(result.returncode == 0, f"check --deploy: {result.stdout}{result.stderr}")
        for found in warnings:
            c.probe(False, f"check --deploy reports {found}")


def test_every_answer_carries_the_security_headers(worlds, production_server, unblocked):
    world = worlds[0]
    api, pages = operations()
    admin = world.users["admin"]
    with tenant_context(world.campaign):
        # As a password set before Argon2 was the default would be stored.
        admin.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
        admin.save(update_fields=["password"])
    with check("deploy_check") as c:
        signed_in, form, answer = sign_in(production_server, world.host, admin.email, PASSWORD)
        c.probe(answer.status_code == 302, f"sign-in through the form: {answer.status_code}")
        cookies = {cookie.name: cookie for cookie in signed_in.cookies}
        session = cookies.get("sessionid")
        c.probe(
            session is not None and session.secure and session.has_nonstandard_attr("HttpOnly")
            and session.get_nonstandard_attr("SameSite") in {"Lax", "Strict"},
            f"session cookie flags: {answer.headers.get('Set-Cookie')}",
        )  # fmt: skip
        csrf = cookies.get("csrftoken")
        c.probe(csrf is not None and csrf.secure, f"CSRF cookie flags: {form.headers.get('Set-Cookie')}")
        with tenant_context(world.campaign):
            admin.refresh_from_db()
            c.probe(admin.password.startswith("argon2$"), f"hash after sign-in: {admin.password[:12]}...")
        plain = requests.get(production_server + "/", headers={"Host": world.host}, allow_redirects=False, timeout=30)
        c.probe(
            plain.status_code == 301 and plain.headers["Location"].startswith("https://"),
            f"plain HTTP: {plain.status_code} {plain.headers.get('Location')}",
        )
        anonymous = requests.Session()
        for op in api + pages:
            path = own_path(op, world)
            if path is None or "GET" not in op.methods or op.template == "/accounts/logout/":
                continue
            for who, client in (("anonymous", anonymous), ("admin", signed_in)):
                r = over_https(client, production_server, world.host, "GET", path)
                problems = header_problems(r)
                if r.status_code >= 500:
                    problems.append(f"status {r.status_code}")
                c.probe(not problems, f"GET {path} as {who} ({r.status_code}): {', '.join(problems)}")


def test_repeated_wrong_passwords_lock_the_account(worlds, production_server, unblocked):
    world = worlds[0]
    organizer = world.users["organizer"]
    with tenant_context(world.campaign):
        organizer.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
        organizer.save(update_fields=["password"])
    with check("deploy_check") as c:
        codes = [sign_in(production_server, world.host, organizer.email, f"wrong-{n}")[2].status_code
                 for n in range(6)]  # fmt: skip
        c.probe(codes[0] == 200, f"first wrong password shows the form again: {codes[0]}")
        c.probe(codes[-1] in {403, 429}, f"sixth wrong password: {codes[-1]} (expected a lockout)")
        _session, _form, right = sign_in(production_server, world.host, organizer.email, PASSWORD)
        c.probe(right.status_code in {403, 429}, f"right password while locked: {right.status_code}")
        c.probe("Trop de tentatives" in right.text, "the lockout page says why")
