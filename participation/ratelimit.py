"""Rate limits for what citizens post (sign-ups, comments, votes, reports, RSVPs), per
account and per IP address, counted in Redis (the cache) with fixed windows."""

import functools

from django.conf import settings
from django.core.cache import cache
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

# action: (per account, per IP, window in seconds). Settings may override
# (RATE_LIMITS = {"comment": (10, 30, 600)}), e.g. for load tests.
DEFAULTS = {
    "signup": (None, 5, 3600),
    "comment": (10, 30, 600),
    "vote": (60, 200, 600),
    "flag": (20, 40, 3600),
    "rsvp": (10, 30, 3600),
    "resend": (3, 10, 3600),
}


def client_ip(request):
    # Behind our proxy (nginx in compose.yaml, $proxy_add_x_forwarded_for) the LAST
    # X-Forwarded-For entry is the address nginx saw; earlier ones are whatever the
    # client sent, so they are never used. Trusted only when the deployment says so.
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _hit(key, window):
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return 1


def over_limit(request, action):
    """Count this request; True when the account or the IP went over the limit."""
    per_user, per_ip, window = {**DEFAULTS, **getattr(settings, "RATE_LIMITS", {})}[action]
    over = False
    user = getattr(request, "user", None)
    if per_user and user is not None and user.is_authenticated:
        over |= _hit(f"rl:{action}:u:{user.pk}", window) > per_user
    if per_ip:
        over |= _hit(f"rl:{action}:ip:{client_ip(request)}", window) > per_ip
    return over


def too_many_response(request):
    return TemplateResponse(
        request,
        "participation/too_many.html",
        {"message": _("Trop de tentatives en peu de temps. Merci de patienter quelques minutes avant de réessayer.")},
        status=429,
    )


def limited(action, *, methods=("POST",)):
    """Decorator: answer 429 with a clear message when over the limit."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and over_limit(request, action):
                return too_many_response(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
