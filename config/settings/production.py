from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DB_POOL_TIMEOUT, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random string of 50+ characters in production.")
if "ALLOWED_HOSTS" not in env.ENVIRON:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must be set in production (e.g. 'terrain.example.org,.terrain.example.org')."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
PLATFORM_SCHEME = "https"

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Only a plain-HTTP trial (compose.yaml on localhost) turns these off.
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preload only takes effect once the domain is submitted to browsers' list.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"  # noqa: F405
# A connection pool per process (see base.py); CONN_MAX_AGE only when DB_POOL_SIZE=0.
DB_POOL_SIZE = env.int("DB_POOL_SIZE", default=10)
if DB_POOL_SIZE:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {  # noqa: F405
        "min_size": 2, "max_size": DB_POOL_SIZE, "timeout": DB_POOL_TIMEOUT,
    }  # fmt: skip
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # noqa: F405
