"""FeedbackLoop settings, read from the environment (see README, "Configuration")."""

from __future__ import annotations

import datetime
import os
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import django_stubs_ext
import environ

from feedbackloop.config import ConfigError, celery_broker_url, database_from_url
from feedbackloop.embedded import embedded_database

django_stubs_ext.monkeypatch()  # lets ModelAdmin[Model] and friends be written at run time

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
# Development's embedded PostgreSQL and Redis, and its mail, live here.
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / ".data"))).resolve()

DEBUG = env.bool("DEBUG", default=False)

_INSECURE_KEY_PREFIX = "django-insecure-"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigError(
            "SECRET_KEY is not set; set SECRET_KEY to a random string of 50+ characters "
            "(or DEBUG=1 for development)"
        )
    SECRET_KEY = _INSECURE_KEY_PREFIX + "development-only-key-never-used-in-production-0123456789"
elif not DEBUG and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith(_INSECURE_KEY_PREFIX)
):
    raise ConfigError(
        "SECRET_KEY is too weak for production; set SECRET_KEY to a random string of 50+ "
        "characters (python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )

SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
_site = urlparse(SITE_URL)
if _site.scheme not in ("http", "https") or not _site.hostname:
    raise ConfigError(
        f"SITE_URL={SITE_URL!r} is not a URL; set it like https://feedback.example.com"
    )

ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS",
    default=[_site.hostname, "localhost", "127.0.0.1", "[::1]"] if DEBUG else [_site.hostname],
)
CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]

TIME_ZONE = env.str("TIME_ZONE", default="UTC")
try:
    import zoneinfo

    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as _exc:
    raise ConfigError(
        f"TIME_ZONE={TIME_ZONE!r} is not a time zone; set it like Europe/Berlin"
    ) from _exc
USE_TZ = True
LANGUAGE_CODE = "en-us"
USE_I18N = False

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    # Kept for its migrations (others depend on them); its tokens were moved to people.ApiToken.
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here: /api/docs/ works offline
    "django_htmx",
    "axes",
    "anymail",
    "feedbackloop",
    "accounts",
    "audit",
    "intake",
    "triage",
    "sessions",
    "notifications",
    "email_intake",
    "people",
    "sso",
    "django_scim",
    "insights",
    "slack_app",
    "webhooks",
    "transfer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # A browser that just wrote reads the primary, not the replica, for a few seconds.
    "core.db_router.ReadYourWritesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.middleware.RefuseControlCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.LoginRequiredMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    # Where each request comes from, for the audit log's events recorded in services.
    "audit.context.AuditOriginMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Answers a refusal no view caught (a policy's, before the view) as the API would.
    "core.middleware.DomainErrorMiddleware",
    # Last, so it turns a login refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "feedbackloop.urls"
WSGI_APPLICATION = "feedbackloop.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Password guessing: after AXES_FAILURE_LIMIT wrong passwords for one username from one address,
# that pair is refused (even with the right password) until the cool-off has passed. The API's
# token view is also throttled (REST_FRAMEWORK's "login" rate).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Single sign-on (sso/backends.py): answers only the provider's callback, with OIDC_ISSUER.
    "sso.backends.OidcBackend",
]
AXES_FAILURE_LIMIT = 10
# What axes records and counts per login: the username as typed, cut to its column (255).
AXES_USERNAME_CALLABLE = "accounts.axes.attempted_username"
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Failed attempts are what locks out; a row for every successful login would only grow.
AXES_DISABLE_ACCESS_LOG = True

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread_notices",
                "feedbackloop.context_processors.policies",
            ],
            # Relative times and empty values are said one way on every page (core/filters.py).
            "builtins": ["core.filters"],
        },
    },
]

# Database: DATABASE_URL, or in development an embedded PostgreSQL in DATA_DIR/postgres.
if env.str("DATABASE_URL", default=""):
    _database: dict[str, Any] = database_from_url(env.str("DATABASE_URL"))
elif DEBUG:
    _database = embedded_database(DATA_DIR / "postgres")
else:
    raise ConfigError(
        "DATABASE_URL is not set; production needs a PostgreSQL server: set "
        "DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/NAME (the embedded one is for DEBUG=1)"
    )


def _pooled(database: dict[str, Any]) -> dict[str, Any]:
    """A database's connection settings, the same for the primary and its read replica."""
    database["OPTIONS"] = {
        "pool": {"min_size": 1, "max_size": env.int("DB_POOL_SIZE", default=8)},
        # No JIT compilation: PostgreSQL compiles a query it estimates as costly, which took
        # 170 ms of the board's 330 ms at 20,000 initiatives (EXPLAIN ANALYZE) and never pays
        # back on queries that run for milliseconds. (PostgreSQL's own advice for short queries.)
        "options": "-c jit=off",
    }
    database["CONN_MAX_AGE"] = 0
    database["CONN_HEALTH_CHECKS"] = True  # the pool checks a connection before lending it
    return database


DATABASES = {"default": _pooled(_database)}
DATABASES["default"]["TEST"] = {"NAME": f"test_{_database['NAME']}"}
# A streaming replica of it (README, "Scaling out"): the pages that may lag read there
# (core/db_router.py decides which); writes, and everything else, stay on the primary. A test
# run takes it for the test database itself (a mirror, not a second test database).
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = _pooled(
        database_from_url(env.str("DATABASE_REPLICA_URL"), "DATABASE_REPLICA_URL")
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]
# After a browser writes, its reads stay on the primary this long, so it sees its own change
# even on a page that reads the replica (longer than the replica is ever behind).
try:
    DATABASE_REPLICA_STICKY_SECONDS = env.float("DATABASE_REPLICA_STICKY_SECONDS", default=10.0)
except ValueError:
    DATABASE_REPLICA_STICKY_SECONDS = -1.0
if not 0 < DATABASE_REPLICA_STICKY_SECONDS <= 3600:
    raise ConfigError("DATABASE_REPLICA_STICKY_SECONDS must be a number of seconds from 0 to 3600")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Redis: the Celery broker and the cache. In development without it, `manage.py start` runs
# an embedded one for its worker and beat; other commands run tasks in-process.
REDIS_URL = env.str("REDIS_URL", default="")
if not REDIS_URL and not DEBUG:
    raise ConfigError(
        "REDIS_URL is not set; production needs a Redis for the Celery workers: set "
        "REDIS_URL=redis://HOST:6379/0 (the embedded one is for DEBUG=1)"
    )
CACHES: dict[str, dict[str, Any]] = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# "memory://localhost" rather than "memory://": kombu warns of a URL without a host name.
CELERY_BROKER_URL = celery_broker_url(REDIS_URL) if REDIS_URL else "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis gives an unacknowledged message to another worker after this long; it must outlast the
# longest wait before a retry (notifications/retry.py, BACKOFF_CAP: why the two are compatible).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
# Periodic work, kept in code: each app's entry names its task.
# The outbox's retry policy is notifications/retry.py; these two are its knobs.
# A notification left `sending` this long (its worker died mid-send) is sent again by the sweep.
NOTIFICATION_STUCK_SECONDS = env.int("NOTIFICATION_STUCK_SECONDS", default=300)
# A send refused for now (SMTP 4xx, connection lost) is tried again after a random wait of up to
# this many seconds, then up to twice that, four times, … (capped at an hour). The worker tests
# set a fraction of a second.
NOTIFICATION_BACKOFF_SECONDS = env.float("NOTIFICATION_BACKOFF_SECONDS", default=30)
# How many outbox rows one delivery task sends, over one connection to the mail server
# (notifications.services.notifications_deliver). Larger batches reuse a connection longer; each
# batch is one task, so smaller ones spread a ship over more workers sooner.
try:
    NOTIFICATION_BATCH_SIZE = env.int("NOTIFICATION_BATCH_SIZE", default=50)
except ValueError:
    NOTIFICATION_BATCH_SIZE = 0
if not 1 <= NOTIFICATION_BATCH_SIZE <= 1000:
    raise ConfigError("NOTIFICATION_BATCH_SIZE must be a whole number from 1 to 1000 (default 50)")

# The monthly review: weekday (0 = Monday, so 1 = Tuesday), which one in the month, local time.
REVIEW_WEEKDAY = env.int("REVIEW_WEEKDAY", default=1)
REVIEW_WEEK = env.int("REVIEW_WEEK", default=1)
REVIEW_TIME = env.str("REVIEW_TIME", default="10:00")
if not (0 <= REVIEW_WEEKDAY <= 6 and 1 <= REVIEW_WEEK <= 4) or not re.fullmatch(
    r"([01]\d|2[0-3]):[0-5]\d", REVIEW_TIME
):
    raise ConfigError(
        "REVIEW_WEEKDAY must be 0-6 (0 = Monday), REVIEW_WEEK 1-4 and REVIEW_TIME like 10:00"
    )

CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "schedule-reviews": {"task": "sessions.tasks.schedule_reviews", "schedule": 60 * 60},
    "session-reminders": {"task": "sessions.tasks.send_reminders", "schedule": 5 * 60},
    "sweep-notifications": {"task": "notifications.tasks.sweep", "schedule": 60},
    # Tickets are embedded when filed; this catches those whose request for it was lost.
    "embed-tickets": {"task": "intake.tasks.embed_tickets", "schedule": 60},
    # Both are idempotent; running them often means a beat outage only delays them.
    "wake-snoozed-tickets": {"task": "triage.tasks.wake_snoozed_tickets", "schedule": 15 * 60},
    "snapshot-scores": {"task": "triage.tasks.snapshot_scores", "schedule": 60 * 60},
    # Only reads the mailbox when INBOUND_IMAP_URL is set.
    "poll-mailbox": {"task": "email_intake.tasks.poll_mailbox", "schedule": 60},
    "purge-raw-emails": {"task": "email_intake.tasks.purge_raw", "schedule": 24 * 60 * 60},
    # A feedback import whose task the broker lost is queued again (idempotent).
    "resume-imports": {"task": "transfer.tasks.resume_imports", "schedule": 10 * 60},
    # The insights roll-ups grow by a row or two per ticket change until folded together.
    "compact-insights-rollups": {"task": "insights.tasks.compact_rollups", "schedule": 10 * 60},
}

# Email: EMAIL_URL (smtp://host:port); in development .eml files in DATA_DIR/mail, shown on the
# "Sent mail" page.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
elif DEBUG:
    EMAIL_BACKEND = "feedbackloop.devmail.EmlBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"
else:
    raise ConfigError("EMAIL_URL is not set; set it like smtp://user:password@mail.example.com:587")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="FeedbackLoop <feedback@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Customer emails come from the company, not the tool: its name is their From name, greeting and
# footer (notifications/senders.py), with its logo if given (a URL, or a path under static/).
COMPANY_NAME = env.str("COMPANY_NAME", default="").strip()
COMPANY_LOGO_URL = env.str("COMPANY_LOGO_URL", default="").strip()
if re.search(r"[\r\n\x00]", COMPANY_NAME) or len(COMPANY_NAME) > 100:
    raise ConfigError("COMPANY_NAME must be one line of at most 100 characters, like Acme Inc")
if COMPANY_LOGO_URL and (
    re.search(r"\s", COMPANY_LOGO_URL)
    or ("://" in COMPANY_LOGO_URL and urlparse(COMPANY_LOGO_URL).scheme not in ("http", "https"))
):
    raise ConfigError(
        "COMPANY_LOGO_URL must be an https:// address or a path under static/, "
        "like img/company-logo.png"
    )
EMAIL_TIMEOUT = 20

# Feedback by email (README, "Connect email"): reps forward customers' emails to FEEDBACK_EMAIL;
# they arrive by a provider's inbound webhook (django-anymail, at /anymail/<provider>/inbound/,
# basic auth ANYMAIL_WEBHOOK_SECRET "user:password") or from an IMAP mailbox polled every minute.
FEEDBACK_EMAIL = env.str("FEEDBACK_EMAIL", default="").strip().lower()
if FEEDBACK_EMAIL and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", FEEDBACK_EMAIL):
    raise ConfigError(
        f"FEEDBACK_EMAIL={FEEDBACK_EMAIL!r} is not an email address; set it like "
        "feedback@yourco.example"
    )
ANYMAIL_WEBHOOK_SECRET = env.str("ANYMAIL_WEBHOOK_SECRET", default="")
if ANYMAIL_WEBHOOK_SECRET and ":" not in ANYMAIL_WEBHOOK_SECRET:
    raise ConfigError(
        "ANYMAIL_WEBHOOK_SECRET must be user:password (the basic auth your provider sends)"
    )
# Without a secret the webhooks take nothing: anymail would accept anyone, so it is given one
# nobody knows (each process its own) and refuses every call with 400.
ANYMAIL: dict[str, str] = {
    "WEBHOOK_SECRET": ANYMAIL_WEBHOOK_SECRET or f"closed:{secrets.token_urlsafe(32)}",
    # A provider that signs its calls needs its key too, as ANYMAIL_<PROVIDER>_<SETTING>
    # (ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY, ...); its webhook is served once it is set.
    **{
        name.removeprefix("ANYMAIL_"): value
        for name, value in os.environ.items()
        if name.startswith("ANYMAIL_") and name != "ANYMAIL_WEBHOOK_SECRET"
    },
}
INBOUND_IMAP_URL = env.str("INBOUND_IMAP_URL", default="")
if INBOUND_IMAP_URL:
    _imap = urlparse(INBOUND_IMAP_URL)
    if _imap.scheme not in ("imap", "imaps") or not _imap.hostname or not _imap.username:
        raise ConfigError(
            "INBOUND_IMAP_URL is not an IMAP URL; set it like imaps://user:password@host/INBOX"
        )
try:
    INBOUND_MAX_BYTES = env.int("INBOUND_MAX_BYTES", default=10 * 1024 * 1024)
except ValueError:
    INBOUND_MAX_BYTES = 0
if INBOUND_MAX_BYTES < 1024:
    raise ConfigError(
        "INBOUND_MAX_BYTES must be a number of bytes of at least 1024 (default 10485760, 10 MB)"
    )
# Slack (README, "Connect Slack"): the app is on when both its secrets are set.
SLACK_SIGNING_SECRET = env.str("SLACK_SIGNING_SECRET", default="")
SLACK_BOT_TOKEN = env.str("SLACK_BOT_TOKEN", default="")
if bool(SLACK_SIGNING_SECRET) != bool(SLACK_BOT_TOKEN):
    raise ConfigError(
        "Slack needs both SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or neither): set the other"
    )
# Where the Web API is; a test points it at a local server.
SLACK_API_URL = env.str("SLACK_API_URL", default="https://slack.com/api/").rstrip("/") + "/"
if urlparse(SLACK_API_URL).scheme not in ("http", "https"):
    raise ConfigError(
        f"SLACK_API_URL={SLACK_API_URL!r} is not a URL; leave it unset for Slack's own"
    )
# A channel id (C0123…) where each shipped initiative is announced with who asked; empty: none.
SLACK_SHIP_CHANNEL = env.str("SLACK_SHIP_CHANNEL", default="")

# Single sign-on through the company's OpenID Connect provider (README, "Single sign-on"): on
# when OIDC_ISSUER is set; its endpoints come from the issuer's discovery document.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="").strip().rstrip("/")
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="").strip()
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_ALLOWED_DOMAINS = [
    domain.strip().lower().lstrip("@")
    for domain in env.list("OIDC_ALLOWED_DOMAINS", default=[])
    if domain.strip()
]
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="single sign-on").strip()
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups").strip()
OIDC_TEAM_CLAIM = env.str("OIDC_TEAM_CLAIM", default="team").strip()
OIDC_RP_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
SSO_ONLY = env.bool("SSO_ONLY", default=False)
if OIDC_ISSUER:
    if urlparse(OIDC_ISSUER).scheme not in ("http", "https") or not urlparse(OIDC_ISSUER).hostname:
        raise ConfigError(
            f"OIDC_ISSUER={OIDC_ISSUER!r} is not a URL; set it like https://login.example.com"
        )
    if not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
        raise ConfigError(
            "Single sign-on needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET with OIDC_ISSUER"
        )
    if not OIDC_ALLOWED_DOMAINS:
        raise ConfigError(
            "Single sign-on needs OIDC_ALLOWED_DOMAINS (your company's email domains, like "
            "example.com,example.co.uk): without it anyone the provider knows could sign in"
        )
elif SSO_ONLY:
    raise ConfigError("SSO_ONLY=1 needs single sign-on: set OIDC_ISSUER (or unset SSO_ONLY)")
# mozilla-django-oidc's own settings, fixed here.
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
OIDC_RP_SIGN_ALGO = "RS256"

# SCIM 2.0 provisioning (django-scim2) at /scim/v2/, let in by a SCIM token an admin made.
SCIM_SERVICE_PROVIDER = {
    "SCHEME": _site.scheme,
    "NETLOC": _site.netloc,
    "BASE_LOCATION_GETTER": "sso.scim_auth.scim_base_location",
    "USER_ADAPTER": "sso.scim.ScimUserAdapter",
    "USER_FILTER_PARSER": "sso.scim_filters.UserFilter",
    "GROUP_MODEL": "sso.models.ScimGroup",
    "GROUP_ADAPTER": "sso.scim.ScimGroupAdapter",
    "GROUP_FILTER_PARSER": "sso.scim_filters.GroupFilter",
    "AUTH_CHECK_MIDDLEWARE": "sso.scim_auth.ScimTokenCheck",
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A token from the Provisioning page or manage.py scim_token",
            "primary": True,
        }
    ],
}

# Outgoing webhooks (README, "Webhooks"): endpoint URLs that resolve to loopback, private or
# link-local addresses are refused unless this is set (tests; a receiver on the same network).
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=False)
# How long one delivery may take: connecting, then the whole answer (a slow one is cut off).
try:
    WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=10.0)
except ValueError:
    WEBHOOKS_TIMEOUT_SECONDS = 0.0
# Within NOTIFICATION_STUCK_SECONDS (a send must end before the sweep thinks its worker died).
if not 0 < WEBHOOKS_TIMEOUT_SECONDS <= 60:
    raise ConfigError("WEBHOOKS_TIMEOUT_SECONDS must be a number of seconds from 0 to 60")
# The trackers' webhooks (README, "Connect the issue tracker"): each is refused until its
# secret is set.
GITHUB_WEBHOOK_SECRET = env.str("GITHUB_WEBHOOK_SECRET", default="")
LINEAR_WEBHOOK_SECRET = env.str("LINEAR_WEBHOOK_SECRET", default="")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # People's named API tokens, kept hashed (people/authentication.py).
        "people.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # The API takes JSON (its schema says so); only the token endpoint also takes a form.
    "DEFAULT_PARSER_CLASSES": ["core.api.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": "10/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "FeedbackLoop API",
    "DESCRIPTION": "File customer feedback, triage it into initiatives and close the loop.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # The one PATCH (an initiative) says itself what is required in each of its shapes (a
    # release note to ship, a reason to decline): not every field made optional.
    "COMPONENT_SPLIT_PATCH": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Tickets and comments both have a `kind`, tickets and initiatives a `status`, with
    # different values: name each enum.
    "ENUM_NAME_OVERRIDES": {
        "TicketKindEnum": "intake.models.Kind",
        "CommentKindEnum": "intake.models.CommentKind",
        "TicketStatusEnum": "intake.models.TicketStatus",
        "InitiativeStatusEnum": "triage.models.InitiativeStatus",
        "SessionKindEnum": "sessions.models.SessionKind",
        "SessionStatusEnum": "sessions.models.SessionStatus",
        "TopicEnum": "sessions.models.Topic",
    },
}

# Production hardening; `manage.py check --deploy` is clean with DEBUG off.
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = _site.scheme == "https" or SECURE_SSL_REDIRECT
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if SECURE_SSL_REDIRECT else 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_SSL_REDIRECT
    SECURE_HSTS_PRELOAD = SECURE_SSL_REDIRECT

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes warns of each failed log-in and lockout; its start-up banner and successes are noise.
    "loggers": {"pgserver": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
