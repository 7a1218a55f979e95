"""Social test fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from circlemart.moderation import wordfilter


@pytest.fixture(autouse=True)
def _fresh_word_matcher() -> Iterator[None]:
    """The word matcher is cached per cache generation, and a rolled-back test transaction
    resets generations to the same numbers: forget the cached matcher between tests."""
    wordfilter._current = None
    yield
    wordfilter._current = None


@pytest.fixture(autouse=True)
def _feed_backend(request: pytest.FixtureRequest, settings: Any) -> None:
    """Only tests marked `redis` use the fan-out store: the others run their writes inside
    one rolled-back transaction, where the after-commit fan-out never happens."""
    if request.node.get_closest_marker("redis") is None:
        settings.SOCIAL_FEED_BACKEND = "sql"
