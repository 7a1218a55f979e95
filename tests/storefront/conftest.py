"""Storefront test setup."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _searches_written_in_the_request(settings: Any) -> None:
    """Tests read the search log right after a search (production batches it)."""
    settings.SEARCH_LOG_FLUSH_SECONDS = 0.0
