"""The following feed's fan-out store: Redis sorted sets, one per reader and one per author.

Publishing an ordinary author's note adds it to each follower's set (in a Celery task, off the
request path); an author above SOCIAL_CELEBRITY_FOLLOWERS only gets it added to their own set,
and readers merge the sets of the celebrities they follow at read time. Sets are a cache of
candidates: every page is re-checked against the database (visibility, blocks, deletes), and
a missing or truncated set falls back to SQL, so both paths give the same feed.

Score: published_at in integer microseconds (exact in a double until year 2255); member: the
zero-padded note id, so equal scores order by id exactly as the SQL keyset does.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Position = tuple[int, int]  # (score, note id); the feed runs from high to low
TOP: Position = (2**62, 2**62)


def enabled() -> bool:
    backend = settings.SOCIAL_FEED_BACKEND
    if backend == "sql":
        return False
    return bool(settings.REDIS_URL)


def _redis() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _prefix() -> str:
    return str(settings.CACHES["default"].get("KEY_PREFIX", "")) + ":sf:"


def feed_key(user_id: int) -> str:
    return f"{_prefix()}feed:{user_id}"


def feed_ready_key(user_id: int) -> str:
    return f"{_prefix()}feed-ready:{user_id}"


def author_key(author_id: int) -> str:
    return f"{_prefix()}author:{author_id}"


def author_ready_key(author_id: int) -> str:
    return f"{_prefix()}author-ready:{author_id}"


def score_of(published_at: datetime) -> int:
    return (published_at - EPOCH) // timedelta(microseconds=1)


def member_of(note_id: int) -> str:
    return f"{note_id:012d}"


def _capacity() -> int:
    return int(settings.SOCIAL_FEED_MAX_ITEMS)


def is_ready(keys: list[str]) -> list[bool]:
    pipe = _redis().pipeline(transaction=False)
    for key in keys:
        pipe.exists(key)
    return [bool(found) for found in pipe.execute()]


def replace(*, key: str, ready_key: str, entries: Iterable[tuple[int, int]]) -> None:
    """Rebuild one set from the database's truth: (note id, score) pairs."""
    mapping = {member_of(note_id): score for note_id, score in entries}
    pipe = _redis().pipeline(transaction=True)
    pipe.delete(key)
    if mapping:
        pipe.zadd(key, mapping)
    pipe.set(ready_key, 1, ex=int(settings.SOCIAL_FEED_TTL_SECONDS))
    pipe.expire(key, int(settings.SOCIAL_FEED_TTL_SECONDS))
    pipe.execute()


def add(*, keys: Iterable[str], note_id: int, score: int) -> int:
    """Add one note to many sets (one round trip per batch), trimming each to capacity."""
    capacity = _capacity()
    member = member_of(note_id)
    pipe = _redis().pipeline(transaction=False)
    written = 0
    for key in keys:
        pipe.zadd(key, {member: score})
        pipe.zremrangebyrank(key, 0, -(capacity + 1))
        written += 1
    if written:
        pipe.execute()
    return written


def add_many(*, key: str, entries: Iterable[tuple[int, int]]) -> None:
    mapping = {member_of(note_id): score for note_id, score in entries}
    if not mapping:
        return
    pipe = _redis().pipeline(transaction=False)
    pipe.zadd(key, mapping)
    pipe.zremrangebyrank(key, 0, -(_capacity() + 1))
    pipe.execute()


def remove(*, key: str, note_ids: Iterable[int]) -> None:
    members = [member_of(note_id) for note_id in note_ids]
    if members:
        _redis().zrem(key, *members)


def after(
    *, keys: list[str], position: Position, count: int, ready_keys: list[str] | None = None
) -> tuple[list[Position], bool, list[bool]]:
    """The `count` newest entries strictly below `position` across `keys` (deduplicated).

    The flag says whether the answer may be incomplete because a set ran out while holding
    its full capacity (older entries were trimmed): the caller continues in SQL from there.
    `ready_keys` are checked in the same round trip; the last item says which exist (when one
    is missing the entries are not to be trusted: rebuild and ask again).
    """
    capacity = _capacity()
    score = position[0]
    pipe = _redis().pipeline(transaction=False)
    for key in ready_keys or []:
        pipe.exists(key)
    for key in keys:
        # Inclusive of the position's score (ties), over-fetched by a little to skip them.
        pipe.zrevrangebyscore(key, score, "-inf", start=0, num=count + 8, withscores=True)
        pipe.zcard(key)
    answers = pipe.execute()
    ready = [bool(found) for found in answers[: len(ready_keys or [])]]
    answers = answers[len(ready_keys or []) :]
    streams: list[list[Position]] = []
    # Below the lowest entry a trimmed set still holds, that set may be missing entries.
    horizon: Position | None = None
    for index in range(len(keys)):
        rows, size = answers[2 * index], answers[2 * index + 1]
        entries = [(int(found_score), int(member)) for member, found_score in rows]
        below = [entry for entry in entries if entry < position]
        if len(entries) < count + 8 and size >= capacity:
            lowest = below[-1] if below else position
            horizon = lowest if horizon is None else max(horizon, lowest)
        streams.append(below)
    merged: list[Position] = []
    seen: set[int] = set()
    for entry in heapq.merge(*streams, reverse=True):
        if horizon is not None and entry < horizon:
            break
        if entry[1] in seen:
            continue
        seen.add(entry[1])
        merged.append(entry)
        if len(merged) >= count:
            break
    return merged, horizon is not None and len(merged) < count, ready
