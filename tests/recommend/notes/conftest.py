from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _sql_feeds(settings: Any) -> None:
    """Writes run inside one rolled-back transaction; the Redis fan-out is not under test."""
    settings.SOCIAL_FEED_BACKEND = "sql"
    settings.SOCIAL_DISCOVER_RANKER = "circlemart.recommend.notes.ranker.PersonalisedNoteRanker"
