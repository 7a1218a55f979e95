"""Settings: every value comes from an environment variable with a safe default (12-factor).

docs/configuration.md lists each variable and its default; keep the two in step.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from cryptography.fernet import Fernet
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name, "").strip()
    return [item.strip() for item in raw.split(",") if item.strip()] if raw else default


def read_or_create_secret(path: Path, make: Any) -> str:
    """A secret generated once into the data dir, readable only by its owner, never committed."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(make())
    return path.read_text().strip()


DATA_DIR = Path(env_str("CIRCLEMART_DATA_DIR") or Path.cwd() / "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or read_or_create_secret(
    DATA_DIR / "secret_key", lambda: secrets.token_urlsafe(64)
)
# Fernet keys for PII columns; the first encrypts, all decrypt (rotation: prepend a new key).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", []) or [
    read_or_create_secret(DATA_DIR / "field_key", lambda: Fernet.generate_key().decode())
]
# Keyed hash for looking up encrypted values (phone numbers) without decrypting them.
PII_LOOKUP_KEY = env_str("PII_LOOKUP_KEY") or read_or_create_secret(
    DATA_DIR / "pii_lookup_key", lambda: secrets.token_urlsafe(32)
)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Unset, `circlemart serve` sets it for its children from its own --host/--port.
SITE_URL = env_str("SITE_URL") or "http://127.0.0.1:8000"

INSTALLED_APPS = [
    # Unfold (the admin theme) with the merchant back-office site as admin.site.
    "circlemart.config.admin_site.MerchantUnfoldConfig",
    "unfold.contrib.filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "ninja",
    # The product description's rich-text editor (assets ship in the wheel; nh3 sanitises).
    "django_prose_editor",
    "circlemart.core",
    "circlemart.accounts",
    "circlemart.social",
    "circlemart.catalog",
    "circlemart.inventory",
    "circlemart.search",
    "circlemart.moderation",
    "circlemart.notifications",
    "circlemart.cart",
    "circlemart.pricing",
    "circlemart.promotions",
    "circlemart.orders",
    "circlemart.payments",
    "circlemart.reviews",
    "circlemart.analytics",
    "circlemart.growth",
    "circlemart.live",
    "circlemart.recommend",
    "circlemart.storefront",
]

MIDDLEWARE = [
    "circlemart.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "circlemart.core.middleware.ContentSecurityPolicyMiddleware",
    "circlemart.core.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # NUL bytes and lone surrogates are refused here, before anything reads the request.
    "circlemart.core.middleware.InputCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "circlemart.accounts.middleware.BearerTokenMiddleware",
    "circlemart.core.middleware.BearerTokenVerdictMiddleware",
    # django.contrib.messages' middleware for pages only (the API never uses messages).
    "circlemart.core.middleware.PageMessagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Anonymous id and visit of a browser that accepted tracking (after auth: links sign-ins).
    "circlemart.analytics.tracking.middleware.TrackingMiddleware",
    # A distributor's link opened before signing in binds the buyer once they are signed in.
    "circlemart.growth.distribution.middleware.PendingBindingMiddleware",
    # Binds a new account to the inviter whose link this browser opened (growth.invites).
    "circlemart.growth.invites.middleware.InviteBindingMiddleware",
    "circlemart.core.middleware.DomainErrorMiddleware",
    "circlemart.core.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "circlemart.config.urls"
WSGI_APPLICATION = "circlemart.config.wsgi.application"
ASGI_APPLICATION = "circlemart.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "circlemart.core.context_processors.security",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'circlemart.sqlite3'}"
_database = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
if _database["ENGINE"] == "django.db.backends.sqlite3":
    _database["OPTIONS"] = {
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock up front so
        # concurrent writers queue on busy_timeout instead of failing on lock upgrade.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif env_bool("DB_POOL", True):
    # A connection pool instead of per-thread persistent connections: under ASGI every
    # request runs on a fresh thread, and persistent connections would pile up until
    # PostgreSQL refuses clients. The pool bounds them for WSGI and ASGI alike.
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {
        "pool": {
            "min_size": env_int("DB_POOL_MIN", 2),
            "max_size": env_int("DB_POOL_MAX", 10),
            "timeout": env_int("DB_POOL_TIMEOUT", 10),
        }
    }
else:
    _database["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _database}
IS_POSTGRES = _database["ENGINE"].startswith("django.db.backends.postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channels, Celery ----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# Bearer-token lookups remembered for this long, only with Redis (revokes reach every server
# through it at once; a per-process cache could not be told).
ACCOUNTS_TOKEN_CACHE_SECONDS = env_int("ACCOUNTS_TOKEN_CACHE_SECONDS", 5) if REDIS_URL else 0
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "cm"),
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
    # Pub/sub, not channels_redis' list-based core layer: under a thousand-viewer fan-out the
    # core layer's receive loop timed out and dropped viewers (bench/live_fanout.py). Pub/sub
    # delivers at most once; a live-room consumer fills any gap from the room's log.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # Room for per-viewer recommendation lists beside the page caches (300 by default).
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }
    # channels' in-memory layer with O(1) expiry and one copy per broadcast (live rooms with
    # a thousand viewers; circlemart.live.channel_layers). One process only, like its parent.
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "circlemart.live.channel_layers.FanOutInMemoryChannelLayer"}
    }

# --- Recommendations -------------------------------------------------------------------------
# Where trained model files live (docs/recommend.md) and how often a process re-reads which
# version serves (a switch or rollback reaches every process within this many seconds).
RECOMMEND_MODEL_DIR = Path(env_str("RECOMMEND_MODEL_DIR") or DATA_DIR / "recommend")
RECOMMEND_SLOT_CHECK_SECONDS = env_int("RECOMMEND_SLOT_CHECK_SECONDS", 5)
# Impressions are written by a per-process thread every this many seconds (0 = in the request).
RECOMMEND_IMPRESSION_FLUSH_SECONDS = env_float("RECOMMEND_IMPRESSION_FLUSH_SECONDS", 1.0)
# How long a process trusts what it read of a product (on sale, stock, category) for serving.
RECOMMEND_FACTS_SECONDS = env_int("RECOMMEND_FACTS_SECONDS", 30)
# Ranks the discover feed of notes per viewer; "" keeps the plain hot-score order.
SOCIAL_DISCOVER_RANKER = env_str(
    "SOCIAL_DISCOVER_RANKER", "circlemart.recommend.notes.ranker.PersonalisedNoteRanker"
)

# --- Live rooms (websockets) -----------------------------------------------------------------
# Where pages open the live rooms' websocket (`<url>/ws/live/<id>/`): "" = the page's own
# origin (production: the reverse proxy routes /ws/ to the ASGI service); `circlemart serve`
# sets ws://<host>:<live port> for its children. docs/operations.md, docs/live-protocol.md.
LIVE_WEBSOCKET_URL = env_str("LIVE_WEBSOCKET_URL").strip().rstrip("/")
# How many ASGI (websocket) processes serve the live rooms in this deployment, across every
# box: more than one needs the Redis channel layer (`check --deploy` warns otherwise).
LIVE_WORKERS = env_int("LIVE_WORKERS", 1)
# Where `make install` put npm packages for the live pages (hls.js; not committed).
LIVE_NPM_DIR = Path(env_str("LIVE_NPM_DIR") or PACKAGE_DIR.parent.parent / "var" / "npm")

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_EMBEDDED_BROKER_DIR = DATA_DIR / "broker"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
OUTBOX_SWEEP_SECONDS = env_int("OUTBOX_SWEEP_SECONDS", 10)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 12)

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["circlemart.accounts.backends.EmailOrPhoneBackend"]
PASSWORD_HASHERS = [
    # Django's Argon2 hasher uses the argon2id variant.
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "circlemart.accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:profile"
LOGOUT_REDIRECT_URL = "storefront:home"
# Password sign-in throttling (accounts/signin/): attempts are counted in the cache per
# (account, client), per account and per client; past a limit the next attempt needs a step-up
# (a proof-of-work challenge, then a texted code on accounts with a phone) instead of locking
# the owner out. The old LOGIN_LOCKOUT_THRESHOLD / LOGIN_LOCKOUT_MINUTES are still read.
LOGIN_FAILURE_WINDOW_SECONDS = env_int(
    "LOGIN_FAILURE_WINDOW_SECONDS", env_int("LOGIN_LOCKOUT_MINUTES", 15) * 60
)
LOGIN_STEP_UP_AFTER_FAILURES = env_int(
    "LOGIN_STEP_UP_AFTER_FAILURES", env_int("LOGIN_LOCKOUT_THRESHOLD", 5)
)
LOGIN_STEP_UP_ACCOUNT_FAILURES = env_int("LOGIN_STEP_UP_ACCOUNT_FAILURES", 50)
LOGIN_STEP_UP_CLIENT_FAILURES = env_int("LOGIN_STEP_UP_CLIENT_FAILURES", 20)
LOGIN_CLIENT_ATTEMPTS = env_int("LOGIN_CLIENT_ATTEMPTS", 30)
LOGIN_CLIENT_ATTEMPTS_WINDOW_SECONDS = env_int("LOGIN_CLIENT_ATTEMPTS_WINDOW_SECONDS", 300)
LOGIN_CHALLENGE_BITS = env_int("LOGIN_CHALLENGE_BITS", 16)
LOGIN_CHALLENGE_TTL_SECONDS = env_int("LOGIN_CHALLENGE_TTL_SECONDS", 300)
LOGIN_DEVICE_COOKIE_DAYS = env_int("LOGIN_DEVICE_COOKIE_DAYS", 180)
ACCESS_TOKEN_MINUTES = env_int("ACCESS_TOKEN_MINUTES", 15)
REFRESH_TOKEN_DAYS = env_int("REFRESH_TOKEN_DAYS", 30)
OTP_TTL_SECONDS = env_int("OTP_TTL_SECONDS", 300)
OTP_MAX_ATTEMPTS = env_int("OTP_MAX_ATTEMPTS", 5)
OTP_RESEND_SECONDS = env_int("OTP_RESEND_SECONDS", 60)
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "CN")
SMS_PROVIDER = env_str("SMS_PROVIDER", "circlemart.accounts.sms.ConsoleSmsProvider")
AVATAR_MAX_BYTES = env_int("AVATAR_MAX_BYTES", 2 * 1024 * 1024)
RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Circlemart <no-reply@circlemart.local>")

# --- Security -------------------------------------------------------------------------------
SECURE_SSL = env_bool("SECURE_SSL", not DEBUG and env_bool("HTTPS", False))
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
SECURE_SSL_REDIRECT = SECURE_SSL
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_SSL else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_SSL
SECURE_HSTS_PRELOAD = SECURE_SSL
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_SSL else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features pages may use; the shop needs none of these ("" sends no header).
PERMISSIONS_POLICY = env_str(
    "PERMISSIONS_POLICY",
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), fullscreen=(self), "
    "geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(self), "
    "usb=(), xr-spatial-tracking=()",
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
DEFAULT_CURRENCY = env_str("DEFAULT_CURRENCY", "CNY")

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing directory
# plotly.js for the dashboards comes from the plotly wheel (no CDN), found like any static file.
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "circlemart.analytics.dashboards.staticfiles.PlotlyFinder",
    # hls.js for the live rooms, from the npm registry at `make install` (when npm exists).
    "circlemart.live.staticfiles.HlsJsFinder",
]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
# The embedded setup serves uploads itself; production puts them behind a CDN / object store.
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("STATIC_PLAIN", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "text")  # "json" in production
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "circlemart.core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "circlemart.core.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT if LOG_FORMAT in {"json", "text"} else "text",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Orders, cart and pricing -----------------------------------------------------------
ORDER_PAYMENT_WINDOW_MINUTES = env_int("ORDER_PAYMENT_WINDOW", 30)
ORDER_AUTO_CONFIRM_DAYS = env_int("ORDER_AUTO_CONFIRM_DAYS", 10)  # shipped → delivered
ORDER_COMPLETE_AFTER_DAYS = env_int("ORDER_COMPLETE_AFTER_DAYS", 7)  # delivered → completed
AFTER_SALES_WINDOW_DAYS = env_int("AFTER_SALES_WINDOW_DAYS", 15)
SHIPPING_STANDARD_FEE = env_int("SHIPPING_STANDARD_FEE", 800)  # minor units
SHIPPING_EXPRESS_FEE = env_int("SHIPPING_EXPRESS_FEE", 1800)
SHIPPING_FREE_OVER = env_int("SHIPPING_FREE_OVER", 9900)
CART_MAX_LINES = env_int("CART_MAX_LINES", 100)
# --- orders settings end ---

# --- Payments -------------------------------------------------------------------------------
# Test controls and the built-in test gateway (no money moves): only when explicitly on, and
# `check --deploy` refuses a production configuration that has them.
PAYMENTS_TEST_MODE = env_bool("PAYMENTS_TEST_MODE", False)
# The providers buyers may pay with, in the order offered (names or dotted paths of
# payments.providers.base.PaymentProvider classes): test_gateway, alipay, wechatpay, stripe.
PAYMENT_PROVIDERS = env_list("PAYMENT_PROVIDERS", ["test_gateway"] if PAYMENTS_TEST_MODE else [])
# Payments and refunds still pending this long are asked about (lost notifications).
PAYMENTS_RECONCILE_AFTER_SECONDS = env_int("PAYMENTS_RECONCILE_AFTER_SECONDS", 900)
# How the test gateway delivers its webhooks: "http" (a real POST to SITE_URL), "in_process"
# (through django.test.Client, for tests) or the dotted path of a WebhookTransport class.
PAYMENTS_WEBHOOK_TRANSPORT = env_str("PAYMENTS_WEBHOOK_TRANSPORT", "http")
PAYMENTS_WEBHOOK_TOLERANCE_SECONDS = env_int("PAYMENTS_WEBHOOK_TOLERANCE_SECONDS", 300)
PAYMENTS_WEBHOOK_TIMEOUT_SECONDS = env_int("PAYMENTS_WEBHOOK_TIMEOUT_SECONDS", 5)
PAYMENTS_WEBHOOK_MAX_ATTEMPTS = env_int("PAYMENTS_WEBHOOK_MAX_ATTEMPTS", 8)
PAYMENTS_TEST_GATEWAY_WEBHOOK_SECRET = env_str(
    "PAYMENTS_TEST_GATEWAY_WEBHOOK_SECRET"
) or read_or_create_secret(DATA_DIR / "payments_webhook_secret", lambda: secrets.token_hex(32))
PAYMENTS_REFUND_RETRY_SECONDS = env_int("PAYMENTS_REFUND_RETRY_SECONDS", 300)
# The test gateway settles refunds and resends webhooks left pending this long (lost tasks).
PAYMENTS_GATEWAY_SWEEP_SECONDS = env_int("PAYMENTS_GATEWAY_SWEEP_SECONDS", 30)
# --- WeChat Pay ---
# APIv3, Native (QR) pay (docs/configuration.md "Payment providers — WeChat Pay"). Keys are PEM
# text inline, or the path of a file holding it (*_FILE). Verifying WeChat's signatures takes
# the "WeChat Pay public key" (+ its id) or platform certificates (a directory, else downloaded).
WECHATPAY_MCHID = env_str("WECHATPAY_MCHID")
WECHATPAY_APPID = env_str("WECHATPAY_APPID")
WECHATPAY_MERCHANT_PRIVATE_KEY = env_str("WECHATPAY_MERCHANT_PRIVATE_KEY")  # apiclient_key.pem
WECHATPAY_MERCHANT_PRIVATE_KEY_FILE = env_str("WECHATPAY_MERCHANT_PRIVATE_KEY_FILE")
WECHATPAY_MERCHANT_CERT_SERIAL = env_str("WECHATPAY_MERCHANT_CERT_SERIAL")
WECHATPAY_APIV3_KEY = env_str("WECHATPAY_APIV3_KEY")
WECHATPAY_PLATFORM_PUBLIC_KEY = env_str("WECHATPAY_PLATFORM_PUBLIC_KEY")
WECHATPAY_PLATFORM_PUBLIC_KEY_FILE = env_str("WECHATPAY_PLATFORM_PUBLIC_KEY_FILE")
WECHATPAY_PLATFORM_PUBLIC_KEY_ID = env_str("WECHATPAY_PLATFORM_PUBLIC_KEY_ID")
WECHATPAY_PLATFORM_CERT_DIR = env_str("WECHATPAY_PLATFORM_CERT_DIR")
WECHATPAY_API_BASE = env_str("WECHATPAY_API_BASE", "https://api.mch.weixin.qq.com")
WECHATPAY_TRADE_PREFIX = env_str("WECHATPAY_TRADE_PREFIX", "CM")  # out_trade_no prefix
WECHATPAY_TIMEOUT_SECONDS = env_int("WECHATPAY_TIMEOUT_SECONDS", 10)
# --- Stripe ---
# Cards through Stripe Checkout (docs/configuration.md, "Payment providers — Stripe"). Keys
# inline or as the path of a file holding them (*_FILE); sk_test_… keys use Stripe's test mode.
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_SECRET_KEY_FILE = env_str("STRIPE_SECRET_KEY_FILE")
# Signing secret (whsec_…) of the endpoint <site>/payments/webhooks/stripe/.
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_WEBHOOK_SECRET_FILE = env_str("STRIPE_WEBHOOK_SECRET_FILE")
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_CURRENCIES = env_list(
    "STRIPE_CURRENCIES", ["CNY", "USD", "EUR", "GBP", "HKD", "JPY", "SGD", "AUD", "CAD"]
)
STRIPE_CONNECT_TIMEOUT_SECONDS = env_int("STRIPE_CONNECT_TIMEOUT_SECONDS", 3)
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 10)
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 1)
# --- Alipay ---
# OpenAPI v2 gateway, RSA2 keys (docs/configuration.md "Payment providers — Alipay"). Keys are
# PEM text (or Alipay's bare base64) inline, or the path of a file holding it (*_FILE).
ALIPAY_APP_ID = env_str("ALIPAY_APP_ID")
ALIPAY_APP_PRIVATE_KEY = env_str("ALIPAY_APP_PRIVATE_KEY")
ALIPAY_APP_PRIVATE_KEY_FILE = env_str("ALIPAY_APP_PRIVATE_KEY_FILE")
ALIPAY_PUBLIC_KEY = env_str("ALIPAY_PUBLIC_KEY")  # Alipay's public key, not the app's
ALIPAY_PUBLIC_KEY_FILE = env_str("ALIPAY_PUBLIC_KEY_FILE")
ALIPAY_SANDBOX = env_bool("ALIPAY_SANDBOX", False)
ALIPAY_GATEWAY_URL = env_str("ALIPAY_GATEWAY_URL")  # overrides the (sandbox) gateway
ALIPAY_PAY_PRODUCT = env_str("ALIPAY_PAY_PRODUCT", "page")  # page (desktop) | wap (mobile)
ALIPAY_TRADE_PREFIX = env_str("ALIPAY_TRADE_PREFIX")  # out_trade_no = prefix + payment id
ALIPAY_TIMEOUT_SECONDS = env_int("ALIPAY_TIMEOUT_SECONDS", 10)
# --- payments settings end ---

# --- Social, moderation, notifications, reviews ---------------------------------------------
SOCIAL_FEED_BACKEND = env_str("SOCIAL_FEED_BACKEND", "auto")  # auto | redis | sql
SOCIAL_CELEBRITY_FOLLOWERS = env_int("SOCIAL_CELEBRITY_FOLLOWERS", 10000)
SOCIAL_FEED_MAX_ITEMS = env_int("SOCIAL_FEED_MAX_ITEMS", 800)
SOCIAL_FEED_TTL_SECONDS = env_int("SOCIAL_FEED_TTL_SECONDS", 7 * 24 * 3600)
SOCIAL_FANOUT_BATCH = env_int("SOCIAL_FANOUT_BATCH", 1000)
SOCIAL_NOTE_MAX_IMAGES = env_int("SOCIAL_NOTE_MAX_IMAGES", 9)
SOCIAL_IMAGE_MAX_BYTES = env_int("SOCIAL_IMAGE_MAX_BYTES", 5 * 1024 * 1024)
SOCIAL_NOTE_RATE_PER_HOUR = env_int("SOCIAL_NOTE_RATE_PER_HOUR", 30)
SOCIAL_COMMENT_RATE_PER_MINUTE = env_int("SOCIAL_COMMENT_RATE_PER_MINUTE", 20)
SOCIAL_TRENDING_HALF_LIFE_HOURS = env_int("SOCIAL_TRENDING_HALF_LIFE_HOURS", 24)
SOCIAL_TRENDING_SECONDS = env_int("SOCIAL_TRENDING_SECONDS", 600)
SOCIAL_SHARE_MAX_AGE_DAYS = env_int("SOCIAL_SHARE_MAX_AGE_DAYS", 30)
SOCIAL_POSTER_FONT = env_str("SOCIAL_POSTER_FONT", "")
# --- social settings end ---
MODERATION_REVIEW_SLA_HOURS = env_int("MODERATION_REVIEW_SLA_HOURS", 24)
MODERATION_REPORT_PRIORITY_STEP = env_int("MODERATION_REPORT_PRIORITY_STEP", 10)
MODERATION_REPORT_RATE_LIMIT = env_int("MODERATION_REPORT_RATE_LIMIT", 20)
MODERATION_REPORT_RATE_WINDOW_SECONDS = env_int("MODERATION_REPORT_RATE_WINDOW_SECONDS", 3600)
# --- moderation settings end ---
NOTIFICATIONS_LATEST_ACTORS = env_int("NOTIFICATIONS_LATEST_ACTORS", 3)  # names shown per group
NOTIFICATIONS_BADGE_MAX = env_int("NOTIFICATIONS_BADGE_MAX", 99)  # badge shows "99+" above
# --- notifications settings end ---
REVIEWS_TEXT_MAX_LENGTH = env_int("REVIEWS_TEXT_MAX_LENGTH", 2000)
REVIEWS_PHOTO_MAX_COUNT = env_int("REVIEWS_PHOTO_MAX_COUNT", 9)
REVIEWS_PHOTO_MAX_BYTES = env_int("REVIEWS_PHOTO_MAX_BYTES", 8 * 1024 * 1024)
REVIEWS_QUESTION_INVITES = env_int("REVIEWS_QUESTION_INVITES", 10)  # buyers asked to answer
# --- reviews settings end ---

# --- Promotions -----------------------------------------------------------------------------
# Flash-sale stock: "auto" decides in Redis (one Lua script) when REDIS_URL is set, with the
# database's conditional UPDATE as the last line of defence; "db" uses the database alone.
PROMOTIONS_FLASH_BACKEND = env_str("PROMOTIONS_FLASH_BACKEND", "auto")
PROMOTIONS_FLASH_KEY_PREFIX = env_str("PROMOTIONS_FLASH_KEY_PREFIX", "cm:flash:")

# --- Analytics ------------------------------------------------------------------------------
# Events from clients: at most this many per batch and bytes per request; times may be this
# far ahead of the server clock (clock skew) or this old (offline queues).
ANALYTICS_MAX_BATCH_EVENTS = env_int("ANALYTICS_MAX_BATCH_EVENTS", 100)
ANALYTICS_MAX_BATCH_BYTES = env_int("ANALYTICS_MAX_BATCH_BYTES", 256 * 1024)
ANALYTICS_MAX_CLOCK_SKEW_SECONDS = env_int("ANALYTICS_MAX_CLOCK_SKEW_SECONDS", 600)
ANALYTICS_MAX_EVENT_AGE_DAYS = env_int("ANALYTICS_MAX_EVENT_AGE_DAYS", 7)
ANALYTICS_SESSION_IDLE_MINUTES = env_int("ANALYTICS_SESSION_IDLE_MINUTES", 30)
# Tracking (analytics.tracking): opt-in consent (PIPL) unless ANALYTICS_CONSENT_REQUIRED is off;
# per-IP budget of the events endpoint; behaviour that marks a browser as a bot; how far back
# a sign-in claims the visitor's anonymous events.
ANALYTICS_CONSENT_REQUIRED = env_bool("ANALYTICS_CONSENT_REQUIRED", True)
ANALYTICS_EVENTS_PER_IP_PER_MINUTE = env_int("ANALYTICS_EVENTS_PER_IP_PER_MINUTE", 300)
ANALYTICS_BOT_EVENTS_PER_MINUTE = env_int("ANALYTICS_BOT_EVENTS_PER_MINUTE", 120)
ANALYTICS_BOT_FAST_PAGE_VIEWS = env_int("ANALYTICS_BOT_FAST_PAGE_VIEWS", 5)
ANALYTICS_IDENTITY_MERGE_DAYS = env_int("ANALYTICS_IDENTITY_MERGE_DAYS", 30)
# Where the event log is exported as Parquet, one folder per day; a local path or an
# object-store URL pyarrow.fs knows (s3://bucket/prefix, gs://…; credentials from the store's
# usual environment variables).
ANALYTICS_WAREHOUSE_DIR = env_str("ANALYTICS_WAREHOUSE_DIR", str(DATA_DIR / "warehouse"))
# Dashboard queries stop after this many seconds and return at most this many rows.
ANALYTICS_QUERY_TIMEOUT_SECONDS = env_int("ANALYTICS_QUERY_TIMEOUT_SECONDS", 20)
ANALYTICS_QUERY_MAX_ROWS = env_int("ANALYTICS_QUERY_MAX_ROWS", 5000)
ANALYTICS_QUERY_MAX_DAYS = env_int("ANALYTICS_QUERY_MAX_DAYS", 800)
# Analyses (analytics.analyses): the longest funnel conversion window; lifecycle states — a
# person with no activity for this many days is silent, and churned after the second number.
ANALYTICS_FUNNEL_MAX_WINDOW_DAYS = env_int("ANALYTICS_FUNNEL_MAX_WINDOW_DAYS", 90)
ANALYTICS_LIFECYCLE_SILENT_DAYS = env_int("ANALYTICS_LIFECYCLE_SILENT_DAYS", 30)
ANALYTICS_LIFECYCLE_CHURNED_DAYS = env_int("ANALYTICS_LIFECYCLE_CHURNED_DAYS", 90)
# Back-office dashboards (analytics.dashboards): the longest date range a page accepts, how
# many values of a dimension a drill-down draws, how many rows the top-products table lists.
ANALYTICS_DASHBOARD_MAX_DAYS = env_int("ANALYTICS_DASHBOARD_MAX_DAYS", 366)
ANALYTICS_DASHBOARD_MAX_DIMENSION_VALUES = env_int("ANALYTICS_DASHBOARD_MAX_DIMENSION_VALUES", 8)
ANALYTICS_DASHBOARD_TOP_ROWS = env_int("ANALYTICS_DASHBOARD_TOP_ROWS", 20)
# The Parquet export reads this many events per chunk, and on PostgreSQL exports only events
# received at least this long ago (ids of slower concurrent transactions commit late).
ANALYTICS_EXPORT_CHUNK_ROWS = env_int("ANALYTICS_EXPORT_CHUNK_ROWS", 50_000)
ANALYTICS_EXPORT_GRACE_SECONDS = env_int("ANALYTICS_EXPORT_GRACE_SECONDS", 60)
# The export (and snapshot refresh) runs this often from celery beat.
ANALYTICS_EXPORT_EVERY_SECONDS = env_int("ANALYTICS_EXPORT_EVERY_SECONDS", 600)
# DuckDB over the warehouse: worker threads and memory per connection.
ANALYTICS_DUCKDB_THREADS = env_int("ANALYTICS_DUCKDB_THREADS", 2)
ANALYTICS_DUCKDB_MEMORY = env_str("ANALYTICS_DUCKDB_MEMORY", "2GB")
# PostgreSQL: monthly partitions of the event log are created this many months ahead.
ANALYTICS_PARTITION_MONTHS_AHEAD = env_int("ANALYTICS_PARTITION_MONTHS_AHEAD", 3)
# Growth goals: the forecast's trend is fitted on the last this-many days of the metric and
# needs at least this many daily values, or the goal's status is "not enough data".
ANALYTICS_GOALS_FIT_DAYS = env_int("ANALYTICS_GOALS_FIT_DAYS", 56)
ANALYTICS_GOALS_MIN_POINTS = env_int("ANALYTICS_GOALS_MIN_POINTS", 7)

# --- Growth (growth/: points, invites, distribution, levels, check-in and tasks, games) ------
# The time zone whose calendar days count for check-ins, daily tasks and daily game chances.
GROWTH_TIME_ZONE = env_str("GROWTH_TIME_ZONE", "Asia/Shanghai")
# Points: earned points expire this many days after they are earned (0: never); holders are
# told this many days before.
POINTS_EXPIRY_DAYS = env_int("POINTS_EXPIRY_DAYS", 365)
POINTS_EXPIRY_WARNING_DAYS = env_int("POINTS_EXPIRY_WARNING_DAYS", 30)
# Distribution: a buyer stays bound to the first distributor whose link they opened for this
# many days; whether a distributor earns commission on their own orders; the smallest
# withdrawal of commission, in minor units (1000 = ¥10).
DISTRIBUTION_BINDING_DAYS = env_int("DISTRIBUTION_BINDING_DAYS", 30)
DISTRIBUTION_SELF_PURCHASE_COMMISSION = env_bool("DISTRIBUTION_SELF_PURCHASE_COMMISSION", False)
DISTRIBUTION_MIN_WITHDRAWAL = env_int("DISTRIBUTION_MIN_WITHDRAWAL", 1000)
# Points at checkout: this many points pay ¥1, and they pay at most this percent of an order's
# goods after coupons (never the whole order: at least one minor unit stays payable).
POINTS_PER_YUAN = env_int("POINTS_PER_YUAN", 100)
POINTS_MAX_PERCENT_PER_ORDER = env_int("POINTS_MAX_PERCENT_PER_ORDER", 50)
# Check-in: streak rewards repeat every this-many days (day 1 … N, then day 1 again).
CHECKIN_CYCLE_DAYS = env_int("CHECKIN_CYCLE_DAYS", 7)
# Invites: an opened invite link is remembered (signed cookie) this many days until sign-up;
# a new account may be bound to an inviter (by that link, or by the app) this many hours
# after it signed up; when several links were opened, "first" or "last" decides the inviter.
INVITE_COOKIE_DAYS = env_int("INVITE_COOKIE_DAYS", 30)
INVITE_BIND_WINDOW_HOURS = env_int("INVITE_BIND_WINDOW_HOURS", 72)
INVITE_ATTRIBUTION = env_str("INVITE_ATTRIBUTION", "first")
# Invites anti-cheat: the check every invite reward passes first (dotted path of an
# InviteRiskCheck), how far apart in days shared signals count as a ring, and how many
# invitees a day one inviter may bring before further rewards are held for review.
INVITE_RISK_CHECK = env_str(
    "INVITE_RISK_CHECK", "circlemart.growth.invites.risk.RuleBasedInviteRiskCheck"
)
INVITE_RISK_WINDOW_DAYS = env_int("INVITE_RISK_WINDOW_DAYS", 30)
INVITE_DAILY_CAP = env_int("INVITE_DAILY_CAP", 10)
# Levels: the growth value of the last this-many days decides the level (0: all time); a
# member who falls below their level keeps it this many days before the review lowers it.
LEVELS_WINDOW_DAYS = env_int("LEVELS_WINDOW_DAYS", 365)
LEVELS_GRACE_DAYS = env_int("LEVELS_GRACE_DAYS", 30)
# Levels: growth value per whole yuan a buyer kept (after-sales closed, shipping excluded).
LEVELS_GROWTH_PER_YUAN = env_int("LEVELS_GROWTH_PER_YUAN", 1)
# Levels: growth value for a published review, a published note and a daily check-in.
LEVELS_GROWTH_REVIEW = env_int("LEVELS_GROWTH_REVIEW", 10)
LEVELS_GROWTH_NOTE = env_int("LEVELS_GROWTH_NOTE", 5)
LEVELS_GROWTH_CHECKIN = env_int("LEVELS_GROWTH_CHECKIN", 2)
# Levels: at most this much growth value a day from activity (reviews, notes, check-ins; 0:
# no cap); spend is never capped.
LEVELS_ACTIVITY_DAILY_CAP = env_int("LEVELS_ACTIVITY_DAILY_CAP", 30)

# --- Admin theme ----------------------------------------------------------------------------
UNFOLD = {
    "SITE_TITLE": "Circlemart",
    "SITE_HEADER": _("Circlemart back office"),
    "SITE_SYMBOL": "storefront",
    "SHOW_LANGUAGES": True,
    # The analytics dashboards first, then every app and model this user may see.
    "SIDEBAR": {"navigation": "circlemart.analytics.dashboards.navigation.sidebar"},
}

# --- API ------------------------------------------------------------------------------------
API_PAGE_SIZE_DEFAULT = 20
API_PAGE_SIZE_MAX = 100
# Swagger UI at /api/docs: on unless this looks like production (HTTPS on, DEBUG off);
# `circlemart check --deploy` warns while it is on. The schema stays at /api/v1/openapi.json.
API_DOCS_ENABLED = env_bool("API_DOCS_ENABLED", not SECURE_SSL)
# Endpoints that issue tokens ignore a stale bearer token sent along; everywhere else under
# /api/ a bad one is a 401 (core.middleware.BearerTokenVerdictMiddleware).
API_TOKEN_ISSUING_PATHS = [
    "/api/v1/auth/register",
    "/api/v1/auth/login",
    "/api/v1/auth/otp/request",
    "/api/v1/auth/otp/verify",
    "/api/v1/auth/token/refresh",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/password-reset/confirm",
]
IDEMPOTENCY_TTL_HOURS = env_int("IDEMPOTENCY_TTL_HOURS", 24)
IDEMPOTENCY_SCOPE_RESOLVER = "circlemart.accounts.selectors.request_principal"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)

# --- performance: search (issue 13) ---
# Searches are logged in batches by a per-process writer thread: every this many seconds, or
# sooner once SEARCH_LOG_FLUSH_ENTRIES wait (and at exit). 0 writes each search in its request.
SEARCH_LOG_FLUSH_SECONDS = env_float("SEARCH_LOG_FLUSH_SECONDS", 1.0)
SEARCH_LOG_FLUSH_ENTRIES = env_int("SEARCH_LOG_FLUSH_ENTRIES", 500)
# Rendered search result bodies and product card fragments are cached this long (seconds);
# any change they show makes them unreachable at once (cache generations).
SEARCH_PAGE_CACHE_SECONDS = env_int("SEARCH_PAGE_CACHE_SECONDS", 600)
PRODUCT_CARD_CACHE_SECONDS = env_int("PRODUCT_CARD_CACHE_SECONDS", 600)

# --- performance: feed (issue 13) ---
# Each reader's followed celebrities are remembered in Redis (forgotten on every follow,
# unfollow, block and celebrity-threshold crossing); this bounds an entry's life anyway.
SOCIAL_FEED_CELEBRITY_CACHE_SECONDS = env_int("SOCIAL_FEED_CELEBRITY_CACHE_SECONDS", 600)

# --- performance: checkout and the worker (issue 13) ---
# A commit enqueues an outbox relay only when no relay has been queued or running (its marker
# set or refreshed) for less than this many seconds (0: one relay task per commit, as before);
# see core.events.request_relay.
OUTBOX_RELAY_COALESCE_SECONDS = env_float("OUTBOX_RELAY_COALESCE_SECONDS", 10.0)
# How many relays may run at once: the worker's other processes stay free for other tasks
# (webhook deliveries, emails), and each relay's commit is its own.
OUTBOX_RELAY_CONCURRENCY = env_int("OUTBOX_RELAY_CONCURRENCY", 2)
# Under steady load a running relay hands over to a fresh task after this many seconds
# (the relay task's soft time limit is 120 s).
OUTBOX_RELAY_SLICE_SECONDS = env_float("OUTBOX_RELAY_SLICE_SECONDS", 30.0)
# PostgreSQL: an outbox delivery's commit waits for its WAL flush only when this is on (a crash
# can otherwise lose the last moments' deliveries, which are then delivered again).
OUTBOX_RELAY_SYNCHRONOUS_COMMIT = env_bool("OUTBOX_RELAY_SYNCHRONOUS_COMMIT", False)
# Processes of `circlemart worker` (and of the worker `serve` starts) unless --concurrency says.
WORKER_CONCURRENCY = env_int("WORKER_CONCURRENCY", 4)

# --- performance: admission control and serving (issue 13) ---
# A saturated web worker refuses work it cannot start in time instead of queueing it for clients
# that have gone (docs/operations.md, "Overload"): `circlemart serve`'s threaded worker sheds a
# request with 503 + Retry-After when more than ADMISSION_MAX_QUEUE requests already wait for one
# of its threads, or when the request waited longer than ADMISSION_DEADLINE_MS before a thread
# took it. 0 turns either bound off; ADMISSION_CONTROL=0 turns both off.
ADMISSION_CONTROL = env_bool("ADMISSION_CONTROL", True)
ADMISSION_MAX_QUEUE = env_int("ADMISSION_MAX_QUEUE", 32)
ADMISSION_DEADLINE_MS = env_int("ADMISSION_DEADLINE_MS", 3000)
# Past ADMISSION_MAX_QUEUE a request is still queued while the worker expects a thread to take
# it within this long (waiting × its recent service time ÷ threads): cheap requests in a burst.
ADMISSION_QUEUE_WAIT_MS = env_int("ADMISSION_QUEUE_WAIT_MS", 500)
ADMISSION_RETRY_AFTER_SECONDS = env_int("ADMISSION_RETRY_AFTER_SECONDS", 1)
# Never shed: a load balancer's health check must see the site up while it is merely busy.
ADMISSION_EXEMPT_PATHS = env_list("ADMISSION_EXEMPT_PATHS", ["/healthz"])
# Requests whose path starts with one of these skip the queue: each worker serves them on
# ADMISSION_PRIORITY_THREADS threads of their own (0: no priority lane), never shed unless that
# lane has ADMISSION_MAX_QUEUE waiting. A payment provider's webhooks confirm orders already
# paid for; they must not wait behind, or be shed with, the checkouts of a busy sale.
ADMISSION_PRIORITY_PATHS = env_list("ADMISSION_PRIORITY_PATHS", ["/healthz", "/payments/webhooks/"])
ADMISSION_PRIORITY_THREADS = env_int("ADMISSION_PRIORITY_THREADS", 2)
