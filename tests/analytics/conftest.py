"""Analytics fixtures: every test gets its own empty warehouse folder, because the database
is rolled back after a test but files written by `warehouse.duck.sync()` would stay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def warehouse_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "warehouse"
    settings.ANALYTICS_WAREHOUSE_DIR = str(folder)
    # Tests store events and export them at once; on PostgreSQL the export's grace period
    # (see warehouse/export.py::grace_period) would hold them back. Its own tests set it.
    settings.ANALYTICS_EXPORT_GRACE_SECONDS = 0
    return folder


@pytest.fixture(autouse=True)
def english_messages() -> Iterator[None]:
    """Services' messages are compared in English (the site's default language is Chinese);
    requests still choose their own language through the locale middleware."""
    with translation.override("en"):
        yield
