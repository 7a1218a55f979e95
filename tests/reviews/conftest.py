from __future__ import annotations

from collections.abc import Iterator

import pytest

from circlemart.moderation import wordfilter
from tests.reviews.helpers import Purchases


@pytest.fixture(autouse=True)
def _fresh_matcher() -> Iterator[None]:
    """Rolled-back word-list generations must not let one test's matcher leak into the next."""
    wordfilter._current = None
    yield
    wordfilter._current = None


@pytest.fixture
def purchases() -> Purchases:
    """Real delivered orders (see helpers.Purchases)."""
    return Purchases()
