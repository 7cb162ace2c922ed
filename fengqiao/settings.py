"""All settings of fengqiao, read from the environment through the small strict helpers below.

Every setting is listed, with its default, in the README's settings table.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
VAR_DIR = Path(env_str("VAR_DIR", str(PROJECT_DIR / "var")))

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "development-only-secret-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "fengqiao.core",
    "fengqiao.territory",
    "fengqiao.org",
    "fengqiao.accounts",
    "fengqiao.api",
    "fengqiao.open311",
    "fengqiao.webhooks",
    "fengqiao.workcalendar",
    "fengqiao.ops",
    "fengqiao.search",
    "fengqiao.cases",
    "fengqiao.analytics",
    "fengqiao.mediation",
    "fengqiao.registry",
    "fengqiao.risk",
    "fengqiao.campaigns",
    "fengqiao.legalservices",
    "fengqiao.web",
    "fengqiao.demo",
    # Last: its catalogue must not override the words of the apps above (Accept, done …).
    "fengqiao.accountability",
    "fengqiao.emergency",
]

MIDDLEWARE = [
    "fengqiao.core.requestlog.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fengqiao.web.middleware.ChineseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Refuses NUL characters in query strings and form bodies before any view reads them.
    "fengqiao.guard.InputGuardMiddleware",
    # Unknown or unparsable query parameters of the API → 400 (checked against its schema).
    "fengqiao.api.query.QueryCheckMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "fengqiao.web.sessions.SessionLifetimeMiddleware",
    "fengqiao.web.passwords.PasswordChangeRequiredMiddleware",
    "fengqiao.web.twofactor.TwoFactorMiddleware",
    "fengqiao.api.idempotency.ApiMiddleware",
    "fengqiao.web.health.DatabaseOutageMiddleware",
]

ROOT_URLCONF = "fengqiao.urls"
WSGI_APPLICATION = "fengqiao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "fengqiao.web.context.platform",
            ],
        },
    },
]

# SQLite under ./var/ by default, so a fresh clone runs at once.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'fengqiao.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the task worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    options = DATABASES["default"].setdefault("OPTIONS", {})
    if not env_bool("PG_JIT", False):
        # PostgreSQL's JIT compiles a query whose estimate is large: for the monitoring room's
        # short aggregates that cost 0.7 s of compiling for a 20 ms query at 10 M cases.
        options["options"] = (options.get("options", "") + " -c jit=off").strip()
    if env_bool("PG_PREPARE", True):
        # Parameters sent apart from the SQL, and a statement run twice on a connection is
        # prepared: the intake's database CPU fell by a third (bench/RESULTS.md). Turn it off
        # behind a pooler in transaction mode (PgBouncer before 1.21), which cannot keep
        # prepared statements; it pays off with persistent connections (DB_CONN_MAX_AGE).
        options["server_side_binding"] = True
        options["prepare_threshold"] = env_int("PG_PREPARE_THRESHOLD", 2)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "name", "email", "phone")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login lock-out (django-axes, counted in the database so every process sees the same counts):
# AXES_FAILURE_LIMIT failures for one account from any addresses (password spraying, distributed
# guessing) or LOGIN_FAILURE_LIMIT_PER_ADDRESS failures from one address over any accounts lock
# for AXES_COOLOFF_HOURS (see fengqiao.accounts.lockout).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env_int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", 20)
AXES_COOLOFF_TIME = env_float("AXES_COOLOFF_HOURS", 0.5)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "fengqiao.accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "fengqiao.core.clientip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Addresses (or CIDR networks) of the reverse proxies in front of the app: only a request coming
# from one of them has its client address taken from X-Forwarded-For.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
AXES_ENABLED = env_bool("AXES_ENABLED", True)

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_USE_FINDERS = True  # serve from app and vendor folders without collectstatic
WHITENOISE_AUTOREFRESH = DEBUG
# Front-end packages come from npm (package.json); `make` copies their dist files to var/vendor/.
VENDOR_DIR = VAR_DIR / "vendor"
STATICFILES_DIRS = [VENDOR_DIR] if VENDOR_DIR.exists() else []
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Stored files are never served under MEDIA_URL: download views check who asks (core/files.py).
# Behind nginx, set this to an `internal` location that aliases MEDIA_ROOT (X-Accel-Redirect).
FILE_ACCEL_REDIRECT_PREFIX = env_str("FILE_ACCEL_REDIRECT_PREFIX", "")
# Ledger exports belong to the user who asked for them and are deleted after this many hours.
EXPORT_EXPIRY_HOURS = env_float("EXPORT_EXPIRY_HOURS", 24.0)

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }

# Background tasks: in the database by default; with several machines set
# TASKS_BACKEND=django_tasks_rq.RQBackend and REDIS_URL, and run
# `fengqiao rqworker --job-class django_tasks_rq.Job default` instead of `fengqiao db_worker`.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# A worker holds a lease on the task it runs and renews it every third of this; a task whose
# lease expired (its worker died) goes back into the queue, at most TASK_MAX_ATTEMPTS claims.
TASK_LEASE_SECONDS = env_float("TASK_LEASE_SECONDS", 60)
TASK_MAX_ATTEMPTS = env_int("TASK_MAX_ATTEMPTS", 3)
# A process running a request that holds an Idempotency-Key renews the key's heartbeat every
# this many seconds (PostgreSQL); a retry on another host takes the key over once three beats
# were missed (its owner died) instead of after ten minutes. 0: no heartbeat.
IDEMPOTENCY_HEARTBEAT_SECONDS = env_float("IDEMPOTENCY_HEARTBEAT_SECONDS", 5)
# `fengqiao backup`: where archives go, and the off-site copy (a folder, e.g. a mounted remote
# disk, and/or a command with {archive} in it, e.g. "rsync -a {archive} host:/backups/").
BACKUP_DIR = env_str("BACKUP_DIR", str(VAR_DIR / "backups"))
BACKUP_OFFSITE_DIR = env_str("BACKUP_OFFSITE_DIR", "")
BACKUP_OFFSITE_COMMAND = env_str("BACKUP_OFFSITE_COMMAND", "")
RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 600}}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "fengqiao@localhost")

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate challenge makes missing credentials a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "fengqiao.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "fengqiao.api.authentication.TokenScopePermission",
    ],
    "EXCEPTION_HANDLER": "fengqiao.api.errors.api_exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "fengqiao.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fengqiao API",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to validator.swagger.io: the docs work offline.
    # Operations grouped by domain (cases, mediation, registry …), not all under "v1".
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_SETTINGS": {
        # Tags folded until opened: with every domain's operations unfolded (~250) the page
        # took tens of seconds to draw.
        "docExpansion": "none",
        "filter": True,
        "deepLinking": True,
        "validatorUrl": None,
        "persistAuthorization": True,
    },
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get their own components (FooRequest), so that a field that refuses blank
    # says so (minLength 1) where it is sent without claiming it of what the server answers.
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "fengqiao.api.schema.postprocess_schema",
        # Open311 GeoReport v2 (plain Django views) in the same schema.
        "fengqiao.open311.openapi.add_open311_paths",
    ],
}

# Map base layer. MAP_TILE_URL: any XYZ tile server ("{s}" replaced by one of MAP_TILE_SUBDOMAINS),
# e.g. https://tiles.example.org/{z}/{x}/{y}.png, or a tile directory the site serves itself.
# MAP_TIANDITU_KEY: a 天地图 (tianditu.gov.cn) browser key; it sets the vector base (vec_w) and its
# Chinese annotation layer (cva_w) when MAP_TILE_URL is empty. With neither, or when no tile
# loads, maps draw the grid outlines on a plain background with the streets' and grids' names.
MAP_TIANDITU_KEY = env_str("MAP_TIANDITU_KEY", "")
MAP_TILE_URL = env_str("MAP_TILE_URL", "")
MAP_TILE_SUBDOMAINS = env_str("MAP_TILE_SUBDOMAINS", "abc")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "")
# An overlay drawn over the base (place names); set with MAP_TIANDITU_KEY.
MAP_LABEL_TILE_URL = env_str("MAP_LABEL_TILE_URL", "")


def _tianditu(layer: str, key: str) -> str:
    return (
        f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        f"&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
        f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
    )


if MAP_TIANDITU_KEY and not MAP_TILE_URL:
    if not MAP_TIANDITU_KEY.isalnum():
        raise ImproperlyConfigured("MAP_TIANDITU_KEY must be letters and digits only")
    MAP_TILE_URL = _tianditu("vec", MAP_TIANDITU_KEY)
    MAP_LABEL_TILE_URL = MAP_LABEL_TILE_URL or _tianditu("cva", MAP_TIANDITU_KEY)
    MAP_TILE_SUBDOMAINS = "01234567"
    MAP_TILE_ATTRIBUTION = MAP_TILE_ATTRIBUTION or "天地图"
# How often (seconds) a process checks whether grids changed elsewhere and its spatial index is stale.
GRID_INDEX_CHECK_SECONDS = env_float("GRID_INDEX_CHECK_SECONDS", 2.0)
# How often a process checks whether reference data (categories, routing rules …) changed elsewhere.
REFDATA_CHECK_SECONDS = env_float("REFDATA_CHECK_SECONDS", 2.0)
# The district's own classification of cases (a family of the category tree: "governance", the
# 综治台账 tree, or "justice", the 司法行政 dispute types): residents choose from it on the public
# report form and the monitoring room's charts by category are drawn on it.
CATEGORY_FAMILY = env_str("CATEGORY_FAMILY", "governance")
if CATEGORY_FAMILY not in ("governance", "justice"):
    raise ImproperlyConfigured("CATEGORY_FAMILY must be governance or justice")
# The region code of the district this installation serves (used for tracking numbers and Open311).
DISTRICT_CODE = env_str("DISTRICT_CODE", "230903")


def _bounds(name: str, default: str) -> tuple[float, float, float, float]:
    raw = env_list(name, default)
    try:
        west, south, east, north = (float(x) for x in raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be four numbers: west,south,east,north") from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ImproperlyConfigured(f"{name} is not a box: {raw!r}")
    return west, south, east, north


# Where a reported point may lie (west, south, east, north in WGS 84 degrees): the bounding box of
# China. A point outside it (or at 0, 0, the usual sign of a missing fix) is refused as bad input.
COORDINATE_BOUNDS = _bounds("COORDINATE_BOUNDS", "73.4,3.8,135.1,53.6")
# Working periods of a workday, for limits counted in working hours (fengqiao.workcalendar).
WORKING_PERIODS = env_str("WORKING_PERIODS", "08:30-12:00,13:30-17:30")

# Staff sessions end after this many idle minutes, and this many hours after logging in.
SESSION_IDLE_MINUTES = env_float("SESSION_IDLE_MINUTES", 30)
SESSION_MAX_HOURS = env_float("SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = int(SESSION_MAX_HOURS * 3600)
# /health/ready answers 503 when the oldest due task has waited longer than this.
HEALTH_MAX_TASK_BACKLOG_SECONDS = env_float("HEALTH_MAX_TASK_BACKLOG_SECONDS", 600)

SESSION_COOKIE_HTTPONLY = True
# Production defaults (DEBUG off): cookies only over HTTPS, HTTP redirected to HTTPS, HSTS for a
# year. Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=true (it must set
# X-Forwarded-Proto). The load balancer's health checks are never redirected.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/"]
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy: scripts only from our own static files (no inline script, no eval);
# styles may be inline (htmx, Leaflet and ECharts set element styles); map tiles from
# MAP_TILE_URL's host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}


def _tile_origin(url: str) -> str | None:
    """The tile server's origin for the CSP; a host label holding "{s}" becomes "*" (any sub-domain)."""
    if "://" not in url:
        return None  # a path on this site: 'self' covers it
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    labels = host.split(".")
    if "{s}" in labels[0]:
        labels[0] = "*"
    return f"{scheme}://{'.'.join(labels)}"


for _tiles in (MAP_TILE_URL, MAP_LABEL_TILE_URL):
    _origin = _tile_origin(_tiles)
    if _origin and _origin not in CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]:
        CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(_origin)

# Two-factor login (TOTP with recovery codes): required for the roles listed here (default:
# administrators and leaders); others may turn it on for themselves unless TWO_FACTOR_OPTIONAL
# is off. OTP_TOTP_ISSUER is the name authenticator apps show.
TWO_FACTOR_REQUIRED_ROLES = env_list("TWO_FACTOR_REQUIRED_ROLES", "admin,leader")
TWO_FACTOR_OPTIONAL = env_bool("TWO_FACTOR_OPTIONAL", True)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "fengqiao")
TWO_FACTOR_RECOVERY_CODES = 10

# API tokens expire this many days after they are issued (0: never).
API_TOKEN_EXPIRY_DAYS = env_int("API_TOKEN_EXPIRY_DAYS", 90)

# One line per request (logger fengqiao.request, level REQUEST_LOG_LEVEL); LOG_FORMAT=json
# writes every log line as one JSON object. Every line carries the request id.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "fengqiao.core.requestlog.RequestIdFilter"}},
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s",
        },
        "json": {"()": "fengqiao.core.requestlog.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        "fengqiao.request": {
            "handlers": ["console"],
            "level": env_str("REQUEST_LOG_LEVEL", "INFO"),
            "propagate": False,
        }
    },
}

# Cases (issue 3): attachment size limit, and how many working days after the deadline a
# yellow supervision card turns red.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
CASE_RED_CARD_AFTER_WORKING_DAYS = env_int("CASE_RED_CARD_AFTER_WORKING_DAYS", 3)
# Provider errors (SMS, e-mail): retried after RETRY_BASE_SECONDS·2^(n-1) (capped at
# RETRY_MAX_SECONDS, with jitter) up to RETRY_MAX_ATTEMPTS attempts, then a dead letter.
RETRY_BASE_SECONDS = env_float("RETRY_BASE_SECONDS", 30)
RETRY_MAX_SECONDS = env_float("RETRY_MAX_SECONDS", 3600)
RETRY_MAX_ATTEMPTS = env_int("RETRY_MAX_ATTEMPTS", 8)
# SMS to one phone number at most this often (count/period); more are sent when the period
# has passed, never dropped. Empty: no throttle. Shared across workers with REDIS_URL.
SMS_RECIPIENT_RATE = env_str("SMS_RECIPIENT_RATE", "10/m")
# Dotted path of an SMS provider class (a fengqiao.cases.notifications.SmsChannel subclass).
SMS_CHANNEL = env_str("SMS_CHANNEL", "")
# Public report and tracking pages: at most "count/seconds" per client IP.
PUBLIC_REPORT_RATE = env_str("PUBLIC_REPORT_RATE", "5/600")
PUBLIC_TRACK_RATE = env_str("PUBLIC_TRACK_RATE", "20/600")
# Open311 POST requests allowed per api_key: count/period (s, m, h, d or seconds); empty: no limit.
OPEN311_POST_RATE = env_str("OPEN311_POST_RATE", "60/m")
# The case kind enum of the API schema gets its own name (territory has a "kind" too).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})["CaseKindEnum"] = (
    "fengqiao.cases.models.CaseKind"
)

# Periodic tasks enqueued by `fengqiao scheduler`: task path -> interval in seconds.
PERIODIC_TASKS = {
    "fengqiao.cases.tasks.sweep_deadlines_task": env_int("DEADLINE_SWEEP_SECONDS", 300),
}
PERIODIC_TICK_SECONDS = env_float("PERIODIC_TICK_SECONDS", 10.0)

# The chain of TrueType fonts embedded in generated PDFs (.ttc collections work): each character
# is drawn with the first font that has it. `make setup` builds the default fonts under
# $VAR_DIR/fonts from npm packages: Noto Serif SC, then HanaMinA (BMP, Extension A) and HanaMinB
# (Extensions B–F). Either setting may name system fonts instead; add a font with Extension G
# to the fallbacks to print those characters too.
FONT_DIR = VAR_DIR / "fonts"
PDF_CJK_FONT = env_str("PDF_CJK_FONT", str(FONT_DIR / "NotoSerifSC-Regular.ttf"))
PDF_CJK_FALLBACK_FONTS = env_list(
    "PDF_CJK_FALLBACK_FONTS", f"{FONT_DIR / 'HanaMinA.ttf'},{FONT_DIR / 'HanaMinB.ttf'}"
)
# Mediation: remind of agreed items falling due (once a day per item; hourly check is cheap).
PERIODIC_TASKS["fengqiao.mediation.tasks.performance_reminders_task"] = env_int(
    "MEDIATION_REMINDER_SECONDS", 3600
)
# Mediation: the one-month time limit runs as a deadline, swept with the cases' deadlines.
PERIODIC_TASKS["fengqiao.mediation.tasks.sweep_time_limits_task"] = PERIODIC_TASKS[
    "fengqiao.cases.tasks.sweep_deadlines_task"
]
# API: drop Idempotency-Key records older than 24 h.
PERIODIC_TASKS["fengqiao.api.tasks.purge_idempotency_records"] = 3600
# Monitoring room (issue 5): keep the indicator aggregates in step with the case history.
PERIODIC_TASKS["fengqiao.analytics.tasks.refresh_facts_task"] = env_int(
    "ANALYTICS_REFRESH_SECONDS", 60
)
# Delete expired ledger exports (EXPORT_EXPIRY_HOURS).
PERIODIC_TASKS["fengqiao.analytics.tasks.purge_expired_exports_task"] = 3600
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "MediationStateEnum": "fengqiao.mediation.models.MediationState",
        "MediationStartModeEnum": "fengqiao.mediation.models.StartMode",
        "NoticeMethodEnum": "fengqiao.mediation.models.NoticeMethod",
        "SignatureMethodEnum": "fengqiao.mediation.models.SignatureMethod",
        "MediatorPostEnum": "fengqiao.mediation.models.MediatorPost",
        "SupervisionReviewKindEnum": "fengqiao.mediation.models.ReviewKind",
        # Where a case is diverted: the cases API and a failed or ended mediation share it.
        "DiversionTargetEnum": "fengqiao.mediation.models.DiversionTarget",
        # Named, so the case state does not collide with the mediation state.
        "CaseStateEnum": "fengqiao.cases.models.CaseState",
        # Responsibility letters and assessment (fengqiao.accountability).
        "LetterStateEnum": "fengqiao.accountability.models.LetterState",
        "LetterTaskStateEnum": "fengqiao.accountability.models.TaskState",
        "ProgressReportStateEnum": "fengqiao.accountability.models.ReportState",
        # Basic data (registry API): the kinds of households and organisations.
        "HouseholdKindEnum": "fengqiao.registry.models.Household.Kind",
        "OrganisationKindEnum": "fengqiao.registry.models.Organisation.Kind",
    }
)
# Tasks whose worker died go back into the queue (fengqiao.ops.leases).
PERIODIC_TASKS["fengqiao.ops.tasks.recover_expired_tasks"] = env_int("TASK_RECOVERY_SECONDS", 30)
# Webhooks (issue 6): collect events from case history and retry due deliveries every minute;
# back-off after each failed attempt (seconds; the last repeats) and attempts before giving up.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "RiskAssessmentLevelEnum": "fengqiao.risk.models.Level",
        "RiskTargetKindEnum": "fengqiao.risk.models.TargetKind",
        # accountability's own target kind, named so that the two do not collide.
        "ResponsibilityTargetKindEnum": "fengqiao.accountability.models.TargetKind",
        "WarningRuleKindEnum": "fengqiao.risk.models.RuleKind",
        "CampaignKindEnum": "fengqiao.campaigns.models.CampaignKind",
        # Emergency command (fengqiao.emergency).
        "EmergencyEventStateEnum": "fengqiao.emergency.models.EventState",
        "EmergencyTaskStateEnum": "fengqiao.emergency.models.TaskState",
        "EmergencyLevelEnum": "fengqiao.emergency.models.Level",
        "EmergencyBodyKindEnum": "fengqiao.emergency.models.BodyKind",
    }
)
# Issue 18: scheduled warning rules (surge, deadline) and special-operation report reminders.
PERIODIC_TASKS["fengqiao.risk.tasks.periodic_rules_task"] = env_int("WARNING_RULES_SECONDS", 900)
PERIODIC_TASKS["fengqiao.campaigns.tasks.remind_operation_reports_task"] = 3600
PERIODIC_TASKS["fengqiao.webhooks.tasks.collect_events"] = env_int("WEBHOOK_COLLECT_SECONDS", 60)
PERIODIC_TASKS["fengqiao.webhooks.tasks.deliver_due_webhooks"] = env_int(
    "WEBHOOK_RETRY_SECONDS", 60
)
# A failed delivery is retried after WEBHOOK_RETRY_BASE_SECONDS·WEBHOOK_RETRY_FACTOR^(n-1)
# (capped at WEBHOOK_RETRY_MAX_SECONDS), of which a random half to all (jitter, as RETRY_*).
WEBHOOK_RETRY_BASE_SECONDS = env_float("WEBHOOK_RETRY_BASE_SECONDS", 60)
WEBHOOK_RETRY_FACTOR = env_float("WEBHOOK_RETRY_FACTOR", 5)
WEBHOOK_RETRY_MAX_SECONDS = env_float("WEBHOOK_RETRY_MAX_SECONDS", 43200)
# Public legal services (S7): a question unanswered for this many working days goes one level
# up (room → street station → district centre), checked by the sweep every LEGAL_SWEEP_SECONDS;
# a referral to mediation registers the dispute through this case channel (a data row).
LEGAL_ANSWER_WORKING_DAYS = env_int("LEGAL_ANSWER_WORKING_DAYS", 2)
LEGAL_REFERRAL_CHANNEL = env_str("LEGAL_REFERRAL_CHANNEL", "legal_service")
PUBLIC_LEGAL_RATE = env_str("PUBLIC_LEGAL_RATE", "5/600")
PERIODIC_TASKS["fengqiao.legalservices.tasks.sweep_questions_task"] = env_int(
    "LEGAL_SWEEP_SECONDS", 900
)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "LegalQuestionStateEnum": "fengqiao.legalservices.models.QuestionState",
        "LegalPointLevelEnum": "fengqiao.legalservices.models.Level",
        "LegalReferralKindEnum": "fengqiao.legalservices.models.ReferralKind",
        "LegalMessageKindEnum": "fengqiao.legalservices.models.MessageKind",
    }
)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6)
# Webhook URLs in private, loopback, link-local, multicast or reserved networks are refused
# (server-side request forgery) unless this is set, e.g. when receivers sit in the same network.
WEBHOOK_ALLOW_PRIVATE_HOSTS = env_bool("WEBHOOK_ALLOW_PRIVATE_HOSTS", False)
# Schema fuzzing (issue 6): bound limit/offset so huge values get a page, not a 500.
REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] = "fengqiao.api.pagination.BoundedLimitOffsetPagination"

# Basic data (issue 18): personal fields encrypted at rest. REGISTRY_KEYS "id=base64,id2=base64"
# (the first writes, all read; docs/registry-keys.md), REGISTRY_CIPHER sm4gcm | aesgcm, the
# ID-number search hash key REGISTRY_HASH_KEY (base64). Unset: keys derived from SECRET_KEY
# (development only; `fengqiao check` warns, registry.W001).
REGISTRY_KEYS = env_str("REGISTRY_KEYS", "")
REGISTRY_CIPHER = env_str("REGISTRY_CIPHER", "sm4gcm")
REGISTRY_HASH_KEY = env_str("REGISTRY_HASH_KEY", "")
# Overdue visits to key persons escalate to the station; rows that ended are anonymised.
PERIODIC_TASKS["fengqiao.registry.tasks.sweep_visits_task"] = env_int(
    "REGISTRY_SWEEP_SECONDS", 3600
)
PERIODIC_TASKS["fengqiao.registry.tasks.apply_retention_task"] = 24 * 3600
# Spreadsheet imports run in the background; a failed one keeps its upload (personal data in
# clear) for its owner this many hours, then the cleanup deletes it.
IMPORT_UPLOAD_HOURS = env_float("IMPORT_UPLOAD_HOURS", 24.0)
PERIODIC_TASKS["fengqiao.registry.tasks.purge_import_uploads_task"] = 3600
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "ResidentKindEnum": "fengqiao.registry.models.Resident.Kind",
        "VisitMethodEnum": "fengqiao.registry.models.VisitMethod",
        "ResidentIdTypeEnum": "fengqiao.registry.models.IdType",
        "ResidentSexEnum": "fengqiao.registry.models.Sex",
    }
)
# Tamper-evident records (issue 13): case history, mediation events, the audit trail and the
# sensitive-read log are hash chains (fengqiao.core.chain). SM3 (GB/T 32905, OpenSSL's `sm3`)
# by default, `sha256` the alternative; each stored hash names its algorithm, so switching
# keeps older rows verifiable.
AUDIT_HASH = env_str("AUDIT_HASH", "sm3").lower()
if AUDIT_HASH not in ("sm3", "sha256"):
    raise ImproperlyConfigured(f"AUDIT_HASH must be sm3 or sha256, not {AUDIT_HASH!r}")
# Also append every chain head to this file (outside the database; empty: only the table).
AUDIT_ANCHOR_FILE = env_str("AUDIT_ANCHOR_FILE", "")
# The audit trail and the read log are chained per day and shard, so writers never queue on one
# chain: a writer takes the first shard no other transaction holds (PostgreSQL).
AUDIT_CHAIN_SHARDS = env_int("AUDIT_CHAIN_SHARDS", 8)
if AUDIT_CHAIN_SHARDS < 1:
    raise ImproperlyConfigured("AUDIT_CHAIN_SHARDS must be at least 1")
# Audit records, read-log rows and request logs are kept at least this long (等保 2.0: six months).
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 180)
if AUDIT_RETENTION_DAYS < 180:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS must be at least 180 (six months)")
# `fengqiao audit verify` runs this often (nightly) and alerts administrators on a break.
PERIODIC_TASKS["fengqiao.cases.integrity.verify_chains_task"] = env_int(
    "AUDIT_VERIFY_SECONDS", 86400
)
