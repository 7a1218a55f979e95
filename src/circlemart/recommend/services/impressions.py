"""Online evaluation hooks: what each served list showed and which of its items were clicked,
so click-through and conversion are measurable per model.

Impressions are written in bulk, never more than one INSERT per list. With
RECOMMEND_IMPRESSION_FLUSH_SECONDS > 0 a per-process writer thread batches them off the
request's path and writes every that many seconds (and at exit); 0 writes at once.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import uuid
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.utils import timezone

from circlemart.recommend.contracts import RecommendationList
from circlemart.recommend.models import Impression, RecommendationClick

logger = logging.getLogger(__name__)
_MAX_POSITION = 32_767  # PositiveSmallIntegerField
_ANONYMOUS_ID_LENGTH = 64
_MAX_PENDING = 20_000  # past this the request writes its own rows (back-pressure, no loss)
_BATCH = 1_000


def _flush_seconds() -> float:
    return float(getattr(settings, "RECOMMEND_IMPRESSION_FLUSH_SECONDS", 0.0))


class _BufferedWriter:
    """Rows waiting for this process's writer thread (started lazily, again after a fork)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []
        self._owner_pid: int | None = None
        self._wake = threading.Event()

    def submit(self, rows: list[dict[str, Any]], every: float) -> None:
        with self._lock:
            if len(self._pending) >= _MAX_PENDING:
                overflow = True
            else:
                overflow = False
                self._pending.extend(rows)
                self._ensure_thread(every)
        if overflow:
            Impression.objects.bulk_create([Impression(**row) for row in rows])

    def _ensure_thread(self, every: float) -> None:
        if self._owner_pid == os.getpid():
            return
        self._owner_pid = os.getpid()
        thread = threading.Thread(
            target=self._run, args=(every,), name="recommend-impressions", daemon=True
        )
        thread.start()

    def _run(self, every: float) -> None:
        while True:
            self._wake.wait(every)
            self._wake.clear()
            try:
                self.flush()
            finally:
                close_old_connections()

    def flush(self) -> int:
        with self._lock:
            rows, self._pending = self._pending, []
        if not rows:
            return 0
        try:
            Impression.objects.bulk_create([Impression(**row) for row in rows], batch_size=_BATCH)
        except DatabaseError:
            # Lost impressions skew a CTR a little; a crashed writer thread would lose all.
            logger.exception("dropped %d recommendation impressions", len(rows))
            return 0
        return len(rows)


_writer = _BufferedWriter()
atexit.register(_writer.flush)


def impressions_flush() -> int:
    """Write the impressions this process still holds; returns how many."""
    return _writer.flush()


def impressions_record(
    recommendations: RecommendationList,
    *,
    viewer_id: int | None,
    anonymous_id: str,
    object_type: str = "product",
) -> int:
    """Log every item of a served list with its position and model version; returns how many."""
    if not recommendations.items:
        return 0
    served_at = timezone.now()
    list_id = uuid.UUID(hex=recommendations.list_id)
    shared = {
        "list_id": list_id,
        "surface": str(recommendations.surface),
        "model_version_id": recommendations.model_version,
        "object_type": object_type,
        "user_id": viewer_id,
        "anonymous_id": anonymous_id[:_ANONYMOUS_ID_LENGTH],
        "is_personalised": recommendations.is_personalised,
        "served_at": served_at,
    }
    rows = [
        {**shared, "position": position, "object_id": item.object_id}
        for position, item in enumerate(recommendations.items)
    ]
    every = _flush_seconds()
    if every > 0:
        _writer.submit(rows, every)  # model instances are built on the writer's thread
    else:
        Impression.objects.bulk_create([Impression(**row) for row in rows])
    return len(rows)


def _is_whole_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) < value < 2**63


def _list_uuid(list_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(hex=str(list_id))
    except (ValueError, TypeError, AttributeError):
        return None


def _shown(list_id: uuid.UUID, position: int, object_id: int) -> Any:
    return (
        Impression.objects.filter(list_id=list_id, position=position, object_id=object_id)
        .values("surface", "model_version_id", "object_type", "user_id", "anonymous_id")
        .first()
    )


def click_record(
    *,
    list_id: str,
    position: int,
    object_id: int,
    viewer_id: int | None,
    anonymous_id: str,
) -> bool:
    """Count a click on a served item. Garbage (an unknown list, a position or object that
    list did not show, someone else's list) and repeats are ignored quietly: returns whether
    a click was recorded. A click that reaches another process before this one flushed its
    list's impressions is ignored (at most RECOMMEND_IMPRESSION_FLUSH_SECONDS after serving)."""
    parsed = _list_uuid(list_id)
    if parsed is None or not _is_whole_number(position) or not 0 <= position <= _MAX_POSITION:
        return False
    if not _is_whole_number(object_id):
        return False
    shown = _shown(parsed, position, object_id)
    if shown is None and impressions_flush():  # its list may still wait in this process
        shown = _shown(parsed, position, object_id)
    if shown is None:
        return False
    if shown["user_id"] is not None and shown["user_id"] != viewer_id:
        return False
    if shown["user_id"] is None and shown["anonymous_id"] != anonymous_id[:_ANONYMOUS_ID_LENGTH]:
        return False
    try:
        with transaction.atomic():
            RecommendationClick.objects.create(
                list_id=parsed,
                surface=shown["surface"],
                model_version_id=shown["model_version_id"],
                position=position,
                object_type=shown["object_type"],
                object_id=object_id,
                user_id=viewer_id,
                anonymous_id=anonymous_id[:_ANONYMOUS_ID_LENGTH],
                clicked_at=timezone.now(),
            )
    except IntegrityError:  # the same slot clicked again (a reload): counted once
        return False
    return True
