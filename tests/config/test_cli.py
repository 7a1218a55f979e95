"""The `circlemart` command and 12-factor settings, run as a newcomer would: in a subprocess
with a fresh data directory."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def circlemart(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests; never in production
        }
    }
    environment.update({"CIRCLEMART_DATA_DIR": str(data_dir), **env})
    return subprocess.run(
        [sys.executable, "-m", "circlemart.config.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def test_secrets_are_generated_once_into_the_data_dir(tmp_path):
    first = circlemart(
        tmp_path,
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
    )
    second = circlemart(
        tmp_path,
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert len(first.stdout.strip()) >= 50
    for name in ("secret_key", "field_key", "pii_lookup_key"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, name


def test_default_database_is_sqlite_in_wal_mode(tmp_path):
    code = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(connection.vendor, c.fetchone()[0])"
    )
    result = circlemart(tmp_path, "shell", "--no-imports", "-c", code)
    assert result.stdout.split() == ["sqlite", "wal"], result.stderr
    assert (tmp_path / "circlemart.sqlite3").exists()


def test_deploy_check_is_clean_for_a_production_configuration(tmp_path):
    result = circlemart(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        HTTPS="1",
        ALLOWED_HOSTS="shop.example.com",
        SECRET_KEY="x" * 20 + "production-only-secret-value-0123456789abcdef",
        PAYMENT_PROVIDERS="stripe",
        STRIPE_SECRET_KEY="sk_live_" + "0" * 24,
        STRIPE_WEBHOOK_SECRET="whsec_" + "0" * 32,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_unless_asked(tmp_path):
    code = "from django.conf import settings; print(settings.DEBUG)"
    assert circlemart(tmp_path, "shell", "--no-imports", "-c", code).stdout.strip() == "False"
    assert (
        circlemart(tmp_path, "shell", "--no-imports", "-c", code, DEBUG="1").stdout.strip()
        == "True"
    )


def test_migrate_seed_demo_twice_and_createadmin(tmp_path):
    assert circlemart(tmp_path, "migrate", "--noinput").returncode == 0
    first = circlemart(
        tmp_path, "seed-demo", "--seed", "5", "--users", "80", "--products", "40", "--quiet"
    )
    second = circlemart(
        tmp_path, "seed-demo", "--seed", "5", "--users", "80", "--products", "40", "--quiet"
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == second.stdout.splitlines()[0]
    assert "80 shoppers" in first.stdout
    assert "admin@demo.circlemart.test" in first.stdout
    admin = circlemart(
        tmp_path,
        "createadmin",
        "--email",
        "ops@example.com",
        CIRCLEMART_ADMIN_PASSWORD="Ops-pass-2026!",
    )
    assert admin.returncode == 0, admin.stderr
    assert "admin ready: ops@example.com" in admin.stdout
    weak = circlemart(
        tmp_path, "createadmin", "--email", "weak@example.com", CIRCLEMART_ADMIN_PASSWORD="123"
    )
    assert weak.returncode == 2
    assert weak.stderr.startswith("password: ")
