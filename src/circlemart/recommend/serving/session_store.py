"""The browsing session's recent product views, readable from every worker process: in Redis
when REDIS_URL is set, otherwise in the database (the default cache is per-process memory)."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from circlemart.recommend.models import SessionView

TRAIL_LENGTH = 20
TRAIL_SECONDS = 30 * 60
KINDS = ("view", "click", "cart")


@dataclass(frozen=True)
class SessionEvent:
    product_id: int
    kind: str
    at: float  # epoch seconds


@dataclass(frozen=True)
class SessionTrail:
    events: tuple[SessionEvent, ...]  # newest first, at most TRAIL_LENGTH, within TRAIL_SECONDS
    generation: str  # changes with every recorded event: part of cache keys

    def product_ids(self) -> list[int]:
        """Distinct products, newest first."""
        return list(dict.fromkeys(event.product_id for event in self.events))


EMPTY_TRAIL = SessionTrail(events=(), generation="0")


def session_digest(session_key: str) -> str:
    """What is stored instead of the session key (a key is a login credential)."""
    return hashlib.sha256(session_key.encode()).hexdigest()


def _uses_redis() -> bool:
    return bool(settings.REDIS_URL)


def _redis() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _redis_key(digest: str) -> str:
    prefix = str(settings.CACHES["default"].get("KEY_PREFIX", ""))
    return f"{prefix}:rec:trail:{digest}"


def _user_key(user_id: int) -> str:
    prefix = str(settings.CACHES["default"].get("KEY_PREFIX", ""))
    return f"{prefix}:rec:trail-user:{user_id}"


def trail_append(*, session_key: str, user_id: int | None, product_id: int, kind: str) -> None:
    digest = session_digest(session_key)
    now = timezone.now()
    if _uses_redis():
        entry = json.dumps([product_id, kind, now.timestamp()])
        key = _redis_key(digest)
        pipeline = _redis().pipeline()
        pipeline.lpush(key, entry)
        pipeline.ltrim(key, 0, TRAIL_LENGTH - 1)
        pipeline.expire(key, TRAIL_SECONDS)
        if user_id is not None:
            # Which sessions were this user's, so turning personalisation off can drop them.
            pipeline.sadd(_user_key(user_id), digest)
            pipeline.expire(_user_key(user_id), TRAIL_SECONDS)
        pipeline.execute()
        return
    SessionView.objects.create(
        session_key=digest, user_id=user_id, product_id=product_id, kind=kind, at=now
    )
    # Keep the table small: this session's expired rows go with each new one; the periodic
    # prune (trail_prune) takes abandoned sessions.
    SessionView.objects.filter(
        session_key=digest, at__lt=now - timedelta(seconds=TRAIL_SECONDS)
    ).delete()


def trail_of(session_key: str) -> SessionTrail:
    """The session's recent events, newest first (one query or one Redis round trip)."""
    if not session_key:
        return EMPTY_TRAIL
    digest = session_digest(session_key)
    if _uses_redis():
        return _trail_from_redis(digest)
    since = timezone.now() - timedelta(seconds=TRAIL_SECONDS)
    rows = list(
        SessionView.objects.filter(session_key=digest, at__gte=since)
        .order_by("-at", "-id")
        .values_list("id", "product_id", "kind", "at")[:TRAIL_LENGTH]
    )
    if not rows:
        return EMPTY_TRAIL
    events = tuple(
        SessionEvent(product_id=int(product_id), kind=kind, at=at.timestamp())
        for _, product_id, kind, at in rows
    )
    return SessionTrail(events=events, generation=str(rows[0][0]))


def _trail_from_redis(digest: str) -> SessionTrail:
    raw = _redis().lrange(_redis_key(digest), 0, TRAIL_LENGTH - 1)
    cutoff = time.time() - TRAIL_SECONDS
    events: list[SessionEvent] = []
    for entry in raw:
        try:
            product_id, kind, at = json.loads(entry)
        except (ValueError, TypeError):
            continue
        if float(at) >= cutoff:
            events.append(SessionEvent(product_id=int(product_id), kind=str(kind), at=float(at)))
    if not events:
        return EMPTY_TRAIL
    return SessionTrail(events=tuple(events), generation=f"{events[0].at:.6f}:{len(events)}")


def trail_forget_user(user_id: int) -> None:
    """Drop what the user's sessions looked at (they turned personalisation off)."""
    SessionView.objects.filter(user_id=user_id).delete()
    if _uses_redis():
        connection = _redis()
        digests = [
            d.decode() if isinstance(d, bytes) else str(d)
            for d in connection.smembers(_user_key(user_id))
        ]
        connection.delete(_user_key(user_id), *(_redis_key(d) for d in digests))


def trail_prune() -> int:
    """Delete database trail rows older than the trail window; returns how many."""
    cutoff = timezone.now() - timedelta(seconds=TRAIL_SECONDS)
    deleted, _ = SessionView.objects.filter(at__lt=cutoff).delete()
    return deleted
