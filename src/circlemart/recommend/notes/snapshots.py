"""A viewer's ranked discover order, kept for a while so that paging through it never repeats
or skips a note, and the cursors that point into it.

The order lives in Django's cache (Redis when configured, otherwise the process's memory). A
cursor whose snapshot is gone — expired, or made by another process without Redis — starts a
new snapshot; notes already shown rank last in it (impressions), so a restart does not repeat
what the viewer just scrolled past.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import gettext as _

from circlemart.core.errors import ValidationFailed
from circlemart.core.pagination import decode_cursor, encode_cursor
from circlemart.recommend.notes.scoring import ScoredNote

SNAPSHOT_SECONDS = 15 * 60
CURSOR_TAG = "notes"
_KEY = "recommend:notes:snapshot:{}"


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    viewer_id: int
    notes: tuple[ScoredNote, ...]
    model_version: int | None  # the product model whose candidates shaped it, if any


@dataclass(frozen=True)
class Position:
    snapshot_id: str
    offset: int


NoteRow = tuple[int, int, float, "str | None", str, bool]


def notes_to_rows(notes: list[ScoredNote] | tuple[ScoredNote, ...]) -> list[NoteRow]:
    """Plain values, not pickled classes: what was cached before a deploy still reads after."""
    return [
        (note.note_id, note.author_id, note.score, note.reason, note.topic_label, note.is_seen)
        for note in notes
    ]


def notes_from_rows(rows: list[NoteRow]) -> tuple[ScoredNote, ...]:
    return tuple(
        ScoredNote(
            note_id=note_id,
            author_id=author_id,
            score=score,
            reason=reason,
            topic_label=topic_label,
            is_seen=is_seen,
        )
        for note_id, author_id, score, reason, topic_label, is_seen in rows
    )


def snapshot_store(
    *, viewer_id: int, notes: list[ScoredNote], model_version: int | None
) -> Snapshot:
    snapshot = Snapshot(
        snapshot_id=uuid.uuid4().hex,
        viewer_id=viewer_id,
        notes=tuple(notes),
        model_version=model_version,
    )
    cache.set(
        _KEY.format(snapshot.snapshot_id),
        (viewer_id, model_version, notes_to_rows(notes)),
        SNAPSHOT_SECONDS,
    )
    return snapshot


def snapshot_of(*, snapshot_id: str, viewer_id: int) -> Snapshot | None:
    """The snapshot if it is still kept and belongs to this viewer."""
    kept = cache.get(_KEY.format(snapshot_id))
    if not isinstance(kept, tuple) or len(kept) != 3 or kept[0] != viewer_id:
        return None
    _viewer, model_version, rows = kept
    return Snapshot(
        snapshot_id=snapshot_id,
        viewer_id=viewer_id,
        notes=notes_from_rows(rows),
        model_version=model_version,
    )


def cursor_for(*, snapshot_id: str, offset: int) -> str:
    return encode_cursor([CURSOR_TAG, snapshot_id, offset])


def _invalid() -> ValidationFailed:
    return ValidationFailed(_("Invalid cursor."), field="cursor")


def is_snapshot_cursor(cursor: str) -> bool:
    try:
        values = decode_cursor(cursor, width=3)
    except ValidationFailed:
        return False
    return values[0] == CURSOR_TAG


def cursor_position(cursor: str | None) -> Position | None:
    """Where a cursor points; None for the first page. A signed cursor of another feed (the
    plain discover order, from before personalisation was turned on) also means "from the
    top"; anything unsigned or malformed is a ValidationFailed on `cursor`."""
    if not cursor:
        return None
    try:
        tag, snapshot_id, offset = decode_cursor(cursor, width=3)
    except ValidationFailed:
        decode_cursor(cursor, width=2)  # raises unless it is a genuine cursor of the plain order
        return None
    is_offset = isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0
    if tag != CURSOR_TAG or not isinstance(snapshot_id, str) or not is_offset:
        raise _invalid()
    return Position(snapshot_id=snapshot_id, offset=offset)
