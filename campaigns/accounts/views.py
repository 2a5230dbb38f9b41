from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _


class EmailAuthenticationForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Adresse e-mail")
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "inputmode": "email"})


class ThrottledLoginView(auth_views.LoginView):
    """Sign-in. django-axes (AxesStandaloneBackend + AxesMiddleware) counts failures
    per e-mail and IP and locks out after AXES_FAILURE_LIMIT."""

    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view, but a link that is not valid here (expired, used, or mailed by
    another campaign) answers 400 with the page that says so, not 200."""

    def render_to_response(self, context, **kwargs):
        if not context.get("validlink"):
            kwargs["status"] = 400
        return super().render_to_response(context, **kwargs)


def healthz(request):
    """Liveness for load balancers: the database and Redis answer."""
    status = {"database": "ok", "cache": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # report, do not crash: this page exists to say what is down
        status["database"] = f"error: {exc.__class__.__name__}"
    try:
        cache.set("healthz", "1", 5)
    except Exception as exc:
        status["cache"] = f"error: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in status.values())
    if not healthy:
        down = [name for name, state in status.items() if state != "ok"]
        status["detail"] = f"Service momentanément indisponible ({', '.join(down)}) / briefly unavailable"
    return JsonResponse(status, status=200 if healthy else 503)
