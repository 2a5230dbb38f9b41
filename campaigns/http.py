"""Small HTTP helpers every app uses."""

from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_back(request, default):
    """Redirect to the form's `next` when it is a page of this site, else to `default`.
    `next` comes from the browser: followed blindly it would send people to any site
    (an open redirect, handy for phishing with our host name in the link)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = default
    return redirect(target)


def parse_id(value):
    """An object id sent by a client (form field, query string, JSON), as an int; None
    when it is not one. `Model.objects.filter(pk="abc")` raises ValueError (a 500) and a
    number past 2**63 overflows the database's bigint: neither can name a row."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def posted_text(request, name):
    """A free-text field of a form handled without a Django form (a reason, a note),
    stripped, without NUL characters: nobody types them, and PostgreSQL refuses them in
    text (the request would end in a 500 instead of the page)."""
    return request.POST.get(name, "").replace("\x00", "").strip()
