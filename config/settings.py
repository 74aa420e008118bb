"""Settings for Artisanat 2030, read from the environment (see README.md, "Settings")."""

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from artisanat.env import (
    env_bool,
    env_choice,
    env_database,
    env_decimal,
    env_int,
    env_list,
    env_networks,
    env_redis_url,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

_DEV_SECRET = "dev-only-insecure-secret-key-do-not-use-in-production-0123456789"
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off.")
    SECRET_KEY = _DEV_SECRET

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if not DEBUG else ["*"])

INSTALLED_APPS = [
    "artisanat.admin_site.PortalAdminConfig",  # django.contrib.admin, for ministry staff only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",  # /sitemap.xml of the public pages (opendata/sitemaps.py)
    "rest_framework",
    "knox",  # API tokens: stored as a digest, expiring (REST_KNOX below)
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "artisanat",
    "strategy",
    "contracts",
    "portal",
    "opendata",
    "corsheaders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # CORS on the public API only (/api/public/, settings below): before anything that answers.
    "corsheaders.middleware.CorsMiddleware",
    # Public answers (opendata/middleware.py): no cookie, Vary only on Origin / Accept-Encoding.
    "opendata.middleware.PublicAnswerMiddleware",
    # A database that does not answer → 503 (page or JSON), not 500 (artisanat/availability.py).
    # Anonymous GET / HEAD read the replica when there is one (artisanat/db_router.py);
    # outside the 503 answer below, so that a replica that stopped is read again on the primary.
    "artisanat.db_router.ReadReplicaMiddleware",
    "artisanat.availability.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything reads a body: 413 beyond ARTISANAT_REQUEST_MAX_BYTES (artisanat/request_limits.py).
    "artisanat.request_limits.RequestSizeLimitMiddleware",
    # Signed-in pages, exports and API answers: Cache-Control: private, no-store (artisanat/cache_control.py).
    "artisanat.cache_control.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "artisanat.accounts.middleware.SessionLifetimeMiddleware",
    "artisanat.accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a lock-out flagged during authenticate() into the lock-out answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "artisanat.context_processors.membership",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL (readers never block the writer), BEGIN IMMEDIATE (a transaction takes the
    # write lock when it starts, so it never fails half-way on an upgrade to writing)
    # and a busy timeout: concurrent writers wait their turn instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": env_int("ARTISANAT_SQLITE_BUSY_TIMEOUT", 20, minimum=1),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# Whole figures (the home and API dashboards) are cached per data version, which every
# write bumps in its own transaction (artisanat/data_version.py): invalidation is exact
# whatever the backend. Without REDIS_URL each worker keeps its own copies in memory; old
# versions are never read again and make room for new ones (DJANGO_CACHE_MAX_ENTRIES,
# 1/3 culled when full). With REDIS_URL the "default" cache is Redis, shared by every
# worker and every server, and holds the sessions' copies too (SESSION_ENGINE below);
# a Redis that does not answer is an empty cache there, never a 5xx (artisanat/cache.py).
# The API throttles' counts (artisanat/api/throttling.py) must be the same for every
# worker and every server: the "throttle" cache is Redis when REDIS_URL is set, else a
# table of the database (artisanat_cache, created after every migrate). Its culling
# (ARTISANAT_THROTTLE_CACHE_MAX_ENTRIES, expired entries first) bounds the table.
REDIS_URL = env_redis_url("REDIS_URL")
# A Redis that does not answer costs at most this many seconds per command (a stopped
# one: nothing, the connection is refused). Connections a restart broke are replaced by
# the pool before use.
REDIS_TIMEOUT = env_int("ARTISANAT_REDIS_TIMEOUT", 2, minimum=1)
_REDIS_OPTIONS = {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT}
CACHES = {
    "default": (
        {
            "BACKEND": "artisanat.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "artisanat-cache",
            "TIMEOUT": 24 * 3600,
            "OPTIONS": _REDIS_OPTIONS,
        }
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "TIMEOUT": 24 * 3600,
            "OPTIONS": {"MAX_ENTRIES": env_int("DJANGO_CACHE_MAX_ENTRIES", 100, minimum=10)},
        }
    ),
    "throttle": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "artisanat",
            "OPTIONS": _REDIS_OPTIONS,
        }
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "artisanat_cache",
            "OPTIONS": {"MAX_ENTRIES": env_int("ARTISANAT_THROTTLE_CACHE_MAX_ENTRIES", 20000, minimum=100)},
        }
    ),
}
# Sessions: in the database, and with REDIS_URL read through the shared cache first
# (cached_db: a Redis restart loses no session, the database has them all). Never
# through a per-worker memory cache: a session signed out in one worker would stay
# signed in in the others' copies.
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = "default"

# A PostgreSQL streaming replica (DATABASE_REPLICA_URL, optional): anonymous GET / HEAD
# requests read from it, everything signed in, every write and every request of a client
# that wrote in the last ARTISANAT_READ_PRIMARY_AFTER_WRITE seconds read the primary;
# a replica that does not answer sends the reads back to the primary
# (artisanat/db_router.py). Without it, the "replica" alias is the primary itself (a
# name the router never picks) so that the tests can mirror it.
READ_REPLICA = bool(env_str("DATABASE_REPLICA_URL", ""))
if READ_REPLICA:
    # Tests run against the primary's test database (Django's "Testing primary/replica configurations").
    DATABASES["replica"] = {**env_database("DATABASE_REPLICA_URL", ""), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["artisanat.db_router.ReplicaRouter"]
READ_PRIMARY_AFTER_WRITE = env_int("ARTISANAT_READ_PRIMARY_AFTER_WRITE", 30, minimum=1)
READ_REPLICA_RETRY_SECONDS = env_int("ARTISANAT_READ_REPLICA_RETRY", 5, minimum=1)

# A stopped or unreachable database must not hang a worker: connections give up after
# DJANGO_DB_CONNECT_TIMEOUT seconds and (PostgreSQL) a statement is cancelled after
# DJANGO_DB_STATEMENT_TIMEOUT seconds, both answered 503 (artisanat/availability.py).
# Persistent connections (DJANGO_DB_CONN_MAX_AGE) are checked before each request's
# first query, so workers reconnect by themselves once the database is back.
DB_CONNECT_TIMEOUT = env_int("DJANGO_DB_CONNECT_TIMEOUT", 5, minimum=1)
DB_STATEMENT_TIMEOUT = env_int("DJANGO_DB_STATEMENT_TIMEOUT", 30, minimum=0)
for _alias in ("default", "replica") if READ_REPLICA else ("default",):
    DATABASES[_alias]["CONN_MAX_AGE"] = env_int("DJANGO_DB_CONN_MAX_AGE", 0, minimum=0)
    DATABASES[_alias]["CONN_HEALTH_CHECKS"] = True
    if DATABASES[_alias]["ENGINE"].endswith("postgresql"):
        _pg_options = DATABASES[_alias].setdefault("OPTIONS", {})
        _pg_options["connect_timeout"] = DB_CONNECT_TIMEOUT
        if DB_STATEMENT_TIMEOUT:
            _pg_options["options"] = (
                _pg_options.get("options", "") + f" -c statement_timeout={DB_STATEMENT_TIMEOUT * 1000}"
            ).strip()
if not READ_REPLICA:
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Authentication hardening (README.md, "Sign-in security"). The lock-out backend comes
# first: it refuses a locked-out (username, address) pair before the password is checked.
AUTHENTICATION_BACKENDS = [
    "artisanat.accounts.backends.LockoutBackend",
    # Django's password backend; its get_user reads the membership in the same query.
    "artisanat.accounts.backends.MembershipBackend",
]
AXES_FAILURE_LIMIT = env_int("ARTISANAT_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ARTISANAT_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # one account from one address
AXES_RESET_ON_SUCCESS = True
# The client's address, read the same way by the lock-out, the API throttles and the
# security log (artisanat/security_log.py): X-Forwarded-For is believed only from the
# reverse proxies listed in ARTISANAT_TRUSTED_PROXIES (addresses or networks; none by
# default), the right-most address that is not one of them being the client's.
TRUSTED_PROXIES = env_networks("ARTISANAT_TRUSTED_PROXIES")
AXES_CLIENT_IP_CALLABLE = "artisanat.security_log.client_address"
AXES_LOCKOUT_CALLABLE = "artisanat.accounts.backends.lockout_response"
AXES_VERBOSE = False  # the security log (artisanat.security) records lock-outs
# Idle timeout and absolute lifetime of a signed-in session (SessionLifetimeMiddleware).
SESSION_IDLE_TIMEOUT = env_int("DJANGO_SESSION_IDLE_TIMEOUT", 30 * 60, minimum=60)
# Two-factor authentication (django-otp, TOTP and recovery codes).
OTP_TOTP_ISSUER = "Artisanat 2030"
OTP_RECOVERY_CODES = 10

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("ar", _("العربية")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Africa/Casablanca"
USE_I18N = True
USE_TZ = True

# History is read, never rewritten: no "revert" in the admin (the history pages are read
# only, see artisanat/admin.py) and the history tables refuse UPDATE and DELETE
# (artisanat/history_guard.py).
SIMPLE_HISTORY_REVERT_DISABLED = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Nothing is stored or served here any more: uploads go to PRIVATE_MEDIA_ROOT (below). The
# migrations strategy 0006 and contracts 0002 move the files an older version kept here.
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))


# REST API (docs/api.md). Rates look like "2000/hour" (second, minute, hour or day).
def _rate(name, default):
    value = env_str(name, default)
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(
            f"{name} must look like 100/minute (per second, minute, hour or day); got {value!r}."
        )
    return value


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "artisanat.api.authentication.TokenAuthentication",  # reads the membership with the token
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["artisanat.api.permissions.HasRole"],
    "DEFAULT_FILTER_BACKENDS": ["artisanat.api.filters.StrictFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser with every unreadable body a 400 in the API's shape (artisanat/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["artisanat.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "artisanat.api.pagination.PageNumberPagination",
    "PAGE_SIZE": env_int("ARTISANAT_API_PAGE_SIZE", 50, minimum=1),
    "EXCEPTION_HANDLER": "artisanat.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "artisanat.api.schema.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's throttles counting in the shared "throttle" cache, per client address.
        "artisanat.api.throttling.AnonRateThrottle",
        "artisanat.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": _rate("ARTISANAT_API_THROTTLE_ANON", "60/minute"),
        "user": _rate("ARTISANAT_API_THROTTLE_USER", "3000/hour"),
        "auth": _rate("ARTISANAT_API_THROTTLE_AUTH", "10/minute"),
        "bulk": _rate("ARTISANAT_API_THROTTLE_BULK", "120/hour"),
        # The public open-data API (/api/public/v1/, opendata/api/), per client address.
        "public": _rate("ARTISANAT_API_THROTTLE_PUBLIC", "600/minute"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
    "DATE_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# API tokens (django-rest-knox): hashed, valid this many days, then asked for again.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env_int("ARTISANAT_API_TOKEN_TTL_DAYS", 90, minimum=1)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
API_MAX_PAGE_SIZE = env_int("ARTISANAT_API_MAX_PAGE_SIZE", 200, minimum=1)
API_BULK_MAX_ROWS = env_int("ARTISANAT_API_BULK_MAX_ROWS", 1000, minimum=1)
API_BULK_MAX_BYTES = env_int("ARTISANAT_API_BULK_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
# Any request body (API, pages, admin): 413 beyond, before it is read
# (artisanat/request_limits.py). The bulk file limit above must fit inside it.
REQUEST_MAX_BYTES = env_int("ARTISANAT_REQUEST_MAX_BYTES", 10 * 1024 * 1024, minimum=64 * 1024)
if API_BULK_MAX_BYTES > REQUEST_MAX_BYTES:
    raise ImproperlyConfigured(
        f"ARTISANAT_API_BULK_MAX_BYTES ({API_BULK_MAX_BYTES}) must not exceed ARTISANAT_REQUEST_MAX_BYTES "
        f"({REQUEST_MAX_BYTES}): a bulk file that large would be refused before it is read."
    )
# What a bulk file may unpack to (strategy/api/bulk_xlsx.py), checked before a spreadsheet
# library reads it: a 5 MB XLSX can hold gigabytes of XML. Columns bound CSV files too.
API_BULK_MAX_COLUMNS = env_int("ARTISANAT_API_BULK_MAX_COLUMNS", 100, minimum=20)
API_BULK_XLSX_MAX_UNPACKED_BYTES = env_int(
    "ARTISANAT_API_BULK_XLSX_MAX_UNPACKED_BYTES", 20 * 1024 * 1024, minimum=1024 * 1024
)
API_BULK_XLSX_MAX_SHARED_STRINGS_BYTES = env_int(
    "ARTISANAT_API_BULK_XLSX_MAX_SHARED_STRINGS_BYTES", 5 * 1024 * 1024, minimum=64 * 1024
)
if API_BULK_XLSX_MAX_SHARED_STRINGS_BYTES > API_BULK_XLSX_MAX_UNPACKED_BYTES:
    raise ImproperlyConfigured(
        "ARTISANAT_API_BULK_XLSX_MAX_SHARED_STRINGS_BYTES must not exceed ARTISANAT_API_BULK_XLSX_MAX_UNPACKED_BYTES."
    )
# Django refuses a form or JSON body it must hold in memory beyond this size (DRF reads
# JSON bodies through request.body): at least the bulk limit, so that a JSON bulk may be
# as large as a file; beyond it, 413 in the API's shape (artisanat/api/exceptions.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = max(API_BULK_MAX_BYTES, 5 * 1024 * 1024 // 2)
API_IDEMPOTENCY_TTL_HOURS = env_int("ARTISANAT_API_IDEMPOTENCY_TTL_HOURS", 24, minimum=1)

# The OpenAPI schema's server (its "servers" entry): "/" is the host that serves it;
# set the public address (https://portail.example/) when the schema is read elsewhere.
API_SERVER_URL = env_str("ARTISANAT_API_SERVER_URL", "/")
# The schema's contact: the portal team, through the API's documentation page. An
# OpenAPI contact URL must be absolute (generators refuse "/api/docs/"): it is given only
# when the server's address is, or ARTISANAT_API_DOCS_URL names it.
API_DOCS_URL = env_str(
    "ARTISANAT_API_DOCS_URL",
    API_SERVER_URL.rstrip("/") + "/api/docs/" if API_SERVER_URL.startswith(("https://", "http://")) else "",
)
SPECTACULAR_SETTINGS = {
    "TITLE": "Artisanat 2030 — API",
    "DESCRIPTION": (
        "FR : API du portail de suivi de la stratégie de l'artisanat 2021–2030 (guide : docs/api.md). "
        'Les nombres décimaux sont des chaînes ("1234.50"). '
        "/ EN: API of the crafts strategy 2021–2030 tracking portal (guide: docs/api.md). "
        'Decimal numbers are strings ("1234.50").'
    ),
    # docs/api-changelog.md says what changed from one version to the next.
    "VERSION": "1.1.0",
    # Where the API is served; the paths start with /api/. A relative "/" is the server
    # that served the schema; ARTISANAT_API_SERVER_URL names it for a schema read elsewhere.
    # (without its trailing slash: the paths start with one)
    "SERVERS": [{"url": API_SERVER_URL.rstrip("/") or "/"}],
    "CONTACT": {
        "name": "Équipe du portail Artisanat 2030 (documentation : /api/docs/) / Artisanat 2030 portal team",
        **({"url": API_DOCS_URL} if API_DOCS_URL else {}),
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "artisanat.api.schema.postprocess_schema",
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    # No badge fetched from validator.swagger.io: nothing is loaded from another origin.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "MeasurementStatusEnum": "strategy.choices.MeasurementStatus",
        "ActionStatusEnum": "strategy.choices.ActionStatus",
        "TrajectoryStatusEnum": "strategy.choices.TrajectoryStatus",
        "ContractStatusEnum": "contracts.choices.ContractStatus",
        "MilestoneStatusEnum": "contracts.choices.MilestoneStatus",
        "ContractKindEnum": "contracts.choices.ContractKind",
        "PartyRoleEnum": "contracts.choices.PartyRole",
        "OrganisationKindEnum": "artisanat.choices.OrganisationKind",
        "RoleEnum": "artisanat.choices.Role",
        "SexEnum": "strategy.choices.Sex",
        "ActorTypeEnum": "strategy.choices.ActorType",
    },
}

# Uploaded documents: a measurement's evidence, a contract's signed copy
# (artisanat/documents.py, README.md "Documents"). Stored under random names in a folder
# that no URL serves; read only through the download views, which apply the row's
# visible_to(user); answered as attachments, by the application or by the proxy.
PRIVATE_MEDIA_ROOT = Path(env_str("ARTISANAT_PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private"))).resolve()
# A document travels inside a request: it must leave room in it for the form around it.
DOCUMENT_MAX_BYTES = env_int("ARTISANAT_DOCUMENT_MAX_BYTES", 8 * 1024 * 1024, minimum=1024)
if DOCUMENT_MAX_BYTES >= REQUEST_MAX_BYTES:
    raise ImproperlyConfigured(
        f"ARTISANAT_DOCUMENT_MAX_BYTES ({DOCUMENT_MAX_BYTES}) must be below ARTISANAT_REQUEST_MAX_BYTES "
        f"({REQUEST_MAX_BYTES}): the upload and its form travel in one request."
    )
# Behind nginx: the URL prefix of an `internal` location aliased to PRIVATE_MEDIA_ROOT
# (e.g. /protected/); the application then answers with X-Accel-Redirect, nginx sends
# the file. Behind Apache (mod_xsendfile) or lighttpd: X-Sendfile with the file's path.
DOCUMENT_X_ACCEL_REDIRECT = env_str("ARTISANAT_DOCUMENT_X_ACCEL_REDIRECT", "")
DOCUMENT_X_SENDFILE = env_bool("ARTISANAT_DOCUMENT_X_SENDFILE", False)
if DOCUMENT_X_ACCEL_REDIRECT and not re.fullmatch(r"/(?:[A-Za-z0-9._~-]+/)+", DOCUMENT_X_ACCEL_REDIRECT):
    raise ImproperlyConfigured(
        "ARTISANAT_DOCUMENT_X_ACCEL_REDIRECT must be a URL path that starts and ends with / (e.g. /protected/); "
        f"got {DOCUMENT_X_ACCEL_REDIRECT!r}."
    )
if DOCUMENT_X_ACCEL_REDIRECT and DOCUMENT_X_SENDFILE:
    raise ImproperlyConfigured("Set ARTISANAT_DOCUMENT_X_ACCEL_REDIRECT or ARTISANAT_DOCUMENT_X_SENDFILE, not both.")
for _served_name, _served in [
    ("DJANGO_MEDIA_ROOT", MEDIA_ROOT),
    ("DJANGO_STATIC_ROOT", STATIC_ROOT),
    *(("STATICFILES_DIRS", _dir) for _dir in STATICFILES_DIRS),
]:
    if PRIVATE_MEDIA_ROOT.is_relative_to(Path(_served).resolve()):
        raise ImproperlyConfigured(
            f"ARTISANAT_PRIVATE_MEDIA_ROOT ({PRIVATE_MEDIA_ROOT}) must not be inside {_served_name} ({_served}): "
            "a folder that is or may be served."
        )

# Status bands for trajectory status: (achieved - baseline) / (expected - baseline).
STATUS_ON_TRACK_MIN = env_decimal("ARTISANAT_STATUS_ON_TRACK", "0.95")
STATUS_AT_RISK_MIN = env_decimal("ARTISANAT_STATUS_AT_RISK", "0.75")
if not (Decimal(0) < STATUS_AT_RISK_MIN <= STATUS_ON_TRACK_MIN):
    raise ImproperlyConfigured("ARTISANAT_STATUS_AT_RISK must be > 0 and <= ARTISANAT_STATUS_ON_TRACK.")

# The entry form asks to confirm a value more than this many times the previous period's
# of the same series, or less than its share (strategy.forms.MeasurementForm).
ENTRY_JUMP_RATIO = env_decimal("ARTISANAT_ENTRY_JUMP_RATIO", "3")
if ENTRY_JUMP_RATIO <= 1:
    raise ImproperlyConfigured("ARTISANAT_ENTRY_JUMP_RATIO must be greater than 1 (for example 3).")

# Email (Django's email framework): SMTP from the environment. With DJANGO_DEBUG and no
# EMAIL_HOST, emails are printed on the console (make run shows the reminders there).
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG and not EMAIL_HOST
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Artisanat 2030 <ne-pas-repondre@localhost>")

# Reminders and escalation (portal/reminders.py, docs/reminders.md): N days before a
# report's due date to its organisation's reporters, on the due date, then K days after
# it to the organisation's focal points and the ministry's. A reminder whose day was
# missed (the scheduled command did not run) still goes out up to CATCH_UP days late.
REMINDER_DAYS_BEFORE = env_int("ARTISANAT_REMINDER_DAYS_BEFORE", 14, minimum=0)
ESCALATION_DAYS_AFTER = env_int("ARTISANAT_ESCALATION_DAYS_AFTER", 15, minimum=1)
REMINDER_CATCH_UP_DAYS = env_int("ARTISANAT_REMINDER_CATCH_UP_DAYS", 7, minimum=0)
# Invitations (artisanat/accounts/people.py, docs/people.md): the emailed link to set a
# first password stops working after this many days (and once used).
INVITATION_DAYS = env_int("ARTISANAT_INVITATION_DAYS", 7, minimum=1)
# The portal's address as its users reach it, for the links in emails (no trailing /).
SITE_URL = env_str("ARTISANAT_SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
if SITE_URL and not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", SITE_URL):
    raise ImproperlyConfigured(
        f"ARTISANAT_SITE_URL must be an absolute http(s) address such as https://portail.example.ma; got {SITE_URL!r}."
    )

# Security headers and cookies, in every profile (README.md, "Settings").
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 8 * 3600, minimum=60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # no script reads the CSRF cookie: forms carry the token
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "config.error_views.csrf_failure"  # logs the refusal (security log)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if not re.fullmatch(r"https?://[^/\s]+", _origin):
        raise ImproperlyConfigured(
            f"DJANGO_CSRF_TRUSTED_ORIGINS must list origins such as https://portail.example.ma; got {_origin!r}."
        )
if env_bool("DJANGO_TRUST_X_FORWARDED_PROTO", False):
    # Only behind a proxy that sets X-Forwarded-Proto itself and strips the client's.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", True)
    # A load balancer's health probe may speak plain HTTP on the private side.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # security.W021 asks for the HSTS "preload" flag. Preloading hard-codes HTTPS for
        # the whole registrable domain (the ministry's, not only this portal) in browsers
        # and is slow to undo: the domain's owner opts in with DJANGO_HSTS_PRELOAD=1.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content-Security-Policy (django-csp) in every profile, so that the tests and the
# browser tests run under it: everything from this origin, no inline script or style
# (the pages have none; the API docs load their init script and CSS from files).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json_line": {"()": "artisanat.security_log.JsonLineFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "security": {"class": "logging.StreamHandler", "formatter": "json_line"},
    },
    # Security events (sign-in, lock-out, refusals, tokens, two-factor changes): one JSON
    # object per line, always at INFO whatever DJANGO_LOG_LEVEL says.
    "loggers": {
        "artisanat.security": {"handlers": ["security"], "level": "INFO", "propagate": False},
    },
    "root": {
        "handlers": ["console"],
        "level": env_choice("DJANGO_LOG_LEVEL", "WARNING", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
    },
}

# Public open-data pages and API (opendata/caching.py): how long a browser or proxy may
# keep a public answer before asking again (it then gets a 304 while nothing was published).
PUBLIC_MAX_AGE = env_int("ARTISANAT_PUBLIC_MAX_AGE", 300, minimum=0)
# The licence the public pages' schema.org metadata names for the published figures.
OPEN_DATA_LICENSE = env_str("ARTISANAT_OPEN_DATA_LICENSE", "https://creativecommons.org/licenses/by/4.0/")
# The API schema names it for the figures it serves (the public API publishes them).
SPECTACULAR_SETTINGS["LICENSE"] = {
    "name": "Licence des données ouvertes (chiffres publiés) / Open-data licence (published figures)",
    "url": OPEN_DATA_LICENSE,
}

# The public open-data API (/api/public/v1/, opendata/api/, docs/api.md "API publique"):
# pages of PUBLIC_API_PAGE_SIZE rows by default, ?page_size= up to PUBLIC_API_MAX_PAGE_SIZE;
# the downloads (?format=csv, ?format=json) give the whole table.
PUBLIC_API_PAGE_SIZE = env_int("ARTISANAT_PUBLIC_API_PAGE_SIZE", 500, minimum=1)
PUBLIC_API_MAX_PAGE_SIZE = env_int("ARTISANAT_PUBLIC_API_MAX_PAGE_SIZE", 1000, minimum=1)
# CORS (django-cors-headers) on the public API only: any origin may read it from a browser,
# without credentials (no cookie, no token is read there anyway), GET / HEAD / OPTIONS only.
# The staff API (/api/v1/) and the pages send no CORS header: other origins stay refused.
CORS_URLS_REGEX = r"^/api/public/"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ("GET", "HEAD", "OPTIONS")
CORS_ALLOW_HEADERS = ("accept", "if-none-match", "if-modified-since", "cache-control")
CORS_EXPOSE_HEADERS = ("ETag", "Content-Disposition", "Retry-After", "RateLimit", "RateLimit-Policy")
