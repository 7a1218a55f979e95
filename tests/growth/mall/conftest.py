"""Fixtures of the points mall tests: the clock of the games tests, messages in English."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from tests.growth.games.conftest import at  # noqa: F401  (fixture re-exported)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield
