"""Settings shared by every environment. Everything that differs comes from the environment."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")

# Campaigns live at <slug>.<PLATFORM_DOMAIN>; the platform's own site at PLATFORM_DOMAIN.
PLATFORM_DOMAIN = env("PLATFORM_DOMAIN", default="localhost")
PLATFORM_SCHEME = env("PLATFORM_SCHEME", default="http")
PLATFORM_PORT = env.int("PLATFORM_PORT", default=8000)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[PLATFORM_DOMAIN, f".{PLATFORM_DOMAIN}"])

SHARED_APPS = [
    "django_tenants",
    "campaigns",
    "campaigns.accounts",
    "crm.geocoding",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "channels",
    "axes",
    "rules.apps.AutodiscoverRulesConfig",
]

# Each campaign is its own data controller: its people, accounts, sessions and
# login-throttling records live in its own schema.
TENANT_APPS = [
    "campaigns.accounts",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.admin",
    "axes",
    "rest_framework.authtoken",
    "crm",
    "crm.field",
    "crm.messaging",
    "livemap",
    "participation",
    "participation.ideas",
    "participation.surveys",
    "participation.aid",
    "participation.debate",
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS] + ["demo"]

TENANT_MODEL = "campaigns.Campaign"
TENANT_DOMAIN_MODEL = "campaigns.Domain"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
DEFAULT_NOT_FOUND_TENANT_VIEW = "campaigns.views.UnknownHostView"

# New campaigns are cloned from a pre-migrated template schema rather than
# migrated from scratch (see campaigns/provisioning.py).
TENANT_BASE_SCHEMA = "campaign_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# Set the schema search path once per request (or task), not before every query;
# django-tenants resets it on set_tenant() and when a connection closes.
TENANT_LIMIT_SET_CALLS = True
# Entering a campaign's schema also sets the clock to its time zone.
EXTRA_SET_TENANT_METHOD_PATH = "campaigns.tenancy.use_campaign_clock"

MIDDLEWARE = [
    "campaigns.middleware.CampaignMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "livemap.middleware.TileOriginMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "campaigns.middleware.CampaignLanguageMiddleware",
    # Must stay last: it records failed logins after authentication ran.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "campaigns.context_processors.campaign",
                "livemap.context_processors.map_tiles",
            ],
            # "1er décembre", not "1 décembre" (campaigns/templatetags/french_dates.py).
            "builtins": ["campaigns.templatetags.french_dates"],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://terrain:terrain@localhost:5432/terrain")}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# A persistent connection the server dropped is noticed before a request uses it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL's default random_page_cost (4) prices a page read by an index as a seek of
# a spinning disk; on SSDs, or with the base in memory, it makes the planner read every
# household of the base to find the few inside a zone (crm/segments.py). 1.1 is the
# usual value for SSD; DB_RANDOM_PAGE_COST sets another for each connection, or, empty,
# leaves the server's (a pooler such as PgBouncer refuses startup options by default).
if DB_RANDOM_PAGE_COST := env("DB_RANDOM_PAGE_COST", default="1.1"):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c random_page_cost={float(DB_RANDOM_PAGE_COST)}"
# A pool per process (psycopg_pool, through Django's "pool" option) reuses a few
# connections for all of its threads (HTTP_THREADS, Celery's, Channels'), instead of
# one persistent connection (CONN_MAX_AGE) per thread that ever ran a query.
# DB_POOL_SIZE=0 turns it off; size it so that processes x size < max_connections.
DB_POOL_SIZE = env.int("DB_POOL_SIZE", default=0)
# How long a request waits for a pooled connection before answering 503 (campaigns.views.server_error).
DB_POOL_TIMEOUT = env.float("DB_POOL_TIMEOUT", default=5.0)
if DB_POOL_SIZE:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Each connection is checked at checkout, without a round trip (our PostGIS backend,
    # campaigns/db_pool.py): one the server closed (restart, pg_terminate_backend) is
    # replaced instead of failing the request that draws it.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2, "max_size": DB_POOL_SIZE, "timeout": DB_POOL_TIMEOUT,
    }  # fmt: skip
# Threads of one server process answering HTTP requests at once (config/asgi.py). A
# few cover the time requests wait on PostgreSQL; more only queue on Python's GIL
# (bench/bench_report_ingest.py, 2 cores: p99 500 ms with 8 where 4 gave 90-250 ms). Scale
# with processes, not threads.
HTTP_THREADS = env.int("HTTP_THREADS", default=4)
ORIGINAL_BACKEND = "campaigns.postgis_backend"
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Keys are prefixed with the schema so two campaigns never share an entry.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {"pool_class": "campaigns.redis_pool.SharedConnectionPool"},
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [env("CHANNELS_REDIS_URL", default=REDIS_URL)]},
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2id for new and changed passwords; PBKDF2 still verifies older hashes (and
# upgrades them at the next login).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Login throttling: lock an (e-mail, IP) pair after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_VERBOSE = False

SILENCED_SYSTEM_CHECKS = [
    # Debian 12 ships GDAL 3.6; we never open spatial references from URLs.
    "gis.W001",
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Front-end libraries come from npm (package.json + lock, installed by the Makefile)
# and are served from our own static files under /static/vendor/.
NODE_MODULES = BASE_DIR / "node_modules"
VENDOR_STATIC = {
    "htmx": NODE_MODULES / "htmx.org" / "dist",
    "leaflet": NODE_MODULES / "leaflet" / "dist",
    "leaflet-geoman": NODE_MODULES / "@geoman-io" / "leaflet-geoman-free" / "dist",
    "leaflet-markercluster": NODE_MODULES / "leaflet.markercluster" / "dist",
    "leaflet-heat": NODE_MODULES / "leaflet.heat" / "dist",
    "chartjs": NODE_MODULES / "chart.js" / "dist",
}
STATICFILES_DIRS = [BASE_DIR / "static"] + [
    (f"vendor/{name}", path) for name, path in VENDOR_STATIC.items() if path.is_dir()
]
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Each campaign's uploads in MEDIA_ROOT/<schema>/, served at /media/<schema>/... by the
# campaign's own host only (participation.views.media).
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# EMAIL_URL (e.g. smtp+tls://user:password@smtp.example.org:587) configures SMTP;
# without it, mails are printed on the console.
# Optional online geocoder (the French address API, e.g. https://api-adresse.data.gouv.fr)
# for addresses the offline BAN reference misses. Off by default: it sends addresses out.
GEOCODER_ONLINE_URL = env("GEOCODER_ONLINE_URL", default="")

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if "EMAIL_URL" in env.ENVIRON:
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Terrain <noreply@localhost>")

# Campaign mailings go through SendGrid's v3 Mail Send API (crm/messaging/email.py).
# SENDGRID_API_URL points elsewhere only for tests and benchmarks (a fake on 127.0.0.1).
# Behind one reverse proxy that appends the client's address to X-Forwarded-For (nginx
# in compose.yaml): rate limits use that address instead of the proxy's.
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=False)

SENDGRID_API_KEY = env("SENDGRID_API_KEY", default="")
SENDGRID_API_URL = env("SENDGRID_API_URL", default="https://api.sendgrid.com")
SENDGRID_REQUESTS_PER_SECOND = env.float("SENDGRID_REQUESTS_PER_SECOND", default=10.0)
SENDGRID_TIMEOUT_SECONDS = env.float("SENDGRID_TIMEOUT_SECONDS", default=30.0)
# SMS: "console" (kept in the database, shown to the team) or "twilio".
SMS_BACKEND = env("SMS_BACKEND", default="console")
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_API_URL = env("TWILIO_API_URL", default="https://api.twilio.com")
# Retries of a provider's 429 / 5xx: first wait, doubled each time, at most this many tries.
MESSAGING_RETRY_SECONDS = env.float("MESSAGING_RETRY_SECONDS", default=2.0)
MESSAGING_MAX_TRIES = env.int("MESSAGING_MAX_TRIES", default=6)
# A batch handed to the provider by a worker that then died is confirmed by the
# provider's events (SendGrid "processed"); one still unconfirmed after this long was
# never accepted and goes back to the queue.
MESSAGING_CLAIM_TIMEOUT = env.int("MESSAGING_CLAIM_TIMEOUT", default=15 * 60)
# Delivery tasks queued per message: workers share its recipients (SKIP LOCKED claims).
MESSAGING_PARALLEL_TASKS = env.int("MESSAGING_PARALLEL_TASKS", default=2)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an API call without credentials gets 401 + WWW-Authenticate.
        "campaigns.accounts.authentication.SqlTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "campaigns.http.NulRefusingJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Terrain API",
    "DESCRIPTION": "Campaign mobilization CRM and participatory site. "
    "Each campaign's API is served on the campaign's own host.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Map background tiles a new campaign starts with; each campaign then sets its own
# ("Réglages de la carte"), used by every map it shows. Empty: a blank background,
# nothing requested from elsewhere (tests, privacy-minded campaigns, offline use).
MAP_TILE_URL = env("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION", default="© OpenStreetMap contributors")

# Content Security Policy: citizen pages load nothing from third-party hosts. A page
# that draws a map adds its campaign's tile server (livemap.middleware).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
