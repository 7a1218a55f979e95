"""Test settings: the real settings plus test doubles at the external ports only."""

import os
import tempfile

# Under pytest-xdist each worker gets its own Redis database (PostgreSQL test databases are
# already per worker: test_<name>_gw0 …), so workers never flush each other's keys.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _WORKER.startswith("gw") and os.environ.get("REDIS_URL"):
    _base, _, _db = os.environ["REDIS_URL"].rpartition("/")
    os.environ["REDIS_URL"] = f"{_base}/{(int(_db or 0) + int(_WORKER[2:])) % 16}"

from circlemart.config.settings import *  # noqa: E402, F403

# Tasks run in-process during tests; tests/core/test_worker.py starts a real worker instead.
CELERY_TASK_ALWAYS_EAGER = True
RECOMMEND_IMPRESSION_FLUSH_SECONDS = 0.0  # impressions written in the request: tests read them
SEARCH_LOG_FLUSH_SECONDS = 0.0  # searches logged in the request: tests read them at once
SMS_PROVIDER = "circlemart.accounts.sms.MemorySmsProvider"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="circlemart-media-")
PASSWORD_HASHERS = ["tests.hashers.QuickArgon2idHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The built-in test gateway is the payment provider of the test suite (explicit test mode).
PAYMENTS_TEST_MODE = True
PAYMENT_PROVIDERS = ["test_gateway"]
# The Parquet warehouse of each test process lives in a temporary directory.
ANALYTICS_WAREHOUSE_DIR = tempfile.mkdtemp(prefix="circlemart-warehouse-")

if IS_POSTGRES and "pool" in DATABASES["default"].get("OPTIONS", {}):  # noqa: F405
    # Race tests run more threads than the pool has connections; on a loaded machine a thread
    # may wait longer than production's 10 s for one (a slow machine must not fail a test).
    DATABASES["default"]["OPTIONS"]["pool"]["timeout"] = 60  # noqa: F405
