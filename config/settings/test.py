from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("SECRET_KEY", default="test-only-not-a-secret")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests use a Redis database of their own so they never touch a running dev instance.
REDIS_URL = env("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")
CACHES["default"]["LOCATION"] = REDIS_URL  # noqa: F405
CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [REDIS_URL]  # noqa: F405
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
# The test ASGI server serves static files straight from the apps and node_modules.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
MAP_TILE_URL = ""  # blank map background: tests request nothing from other hosts
CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] = ["'self'", "data:"]  # noqa: F405
# Providers are fakes on 127.0.0.1 started by the tests; by default nothing leaves the machine.
SENDGRID_API_URL = env("SENDGRID_API_URL", default="http://127.0.0.1:9")
TWILIO_API_URL = env("TWILIO_API_URL", default="http://127.0.0.1:9")
MESSAGING_RETRY_SECONDS = env.float("MESSAGING_RETRY_SECONDS", default=0.05)
# Many tests post from 127.0.0.1 into the same campaign: limits high enough not to
# trip them; tests/participation/test_rate_limits.py sets low ones.
RATE_LIMITS = dict.fromkeys(("signup", "comment", "vote", "flag", "rsvp", "resend"), (1000, 1000, 3600))
# Uploads of tests go under .make/, not into the developer's media/.
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / ".make" / "test-media"))  # noqa: F405
