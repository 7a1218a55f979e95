"""Test settings: the real settings plus test doubles at the external ports only."""

import tempfile

from circlemart.config.settings import *  # noqa: F403

# Tasks run in-process during tests; tests/core/test_worker.py starts a real worker instead.
CELERY_TASK_ALWAYS_EAGER = True
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
