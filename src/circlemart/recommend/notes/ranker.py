"""`PersonalisedNoteRanker`: the discover feed for one signed-in viewer, the class
`settings.SOCIAL_DISCOVER_RANKER` names (social's `DiscoverRanker` protocol).

A first page ranks the candidate pool (scoring.py), spreads authors out and keeps the order as
a snapshot (snapshots.py); later pages read the snapshot at the cursor's offset, re-checking
that each note is still visible. Every page served is logged as impressions (surface NOTES).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

from django.core.cache import cache

from circlemart.core import clock
from circlemart.recommend.bundle import Bundle, active_bundle
from circlemart.recommend.contracts import RecommendationList, RecommendedItem, Surface
from circlemart.recommend.models import Impression
from circlemart.recommend.notes import snapshots
from circlemart.recommend.notes.explanations import reason_for
from circlemart.recommend.notes.scoring import ScoredNote, diversify, score_notes
from circlemart.recommend.selectors.surfaces import is_personalised_for
from circlemart.recommend.services.impressions import impressions_record
from circlemart.social.contracts import FeedPage, NoteCard
from circlemart.social.selectors.feeds import (
    discover_candidates,
    discover_cards,
    discover_signals,
)

SEEN_DAYS = 3
POOL_SECONDS = 60
_POOL_KEY = "recommend:notes:pool:{}:{}"  # viewer, serving model version
PER_AUTHOR_PER_PAGE = 3
# Notes read past the page's end, so notes hidden or deleted since the snapshot was taken
# still leave a full page (a page reads at most this many rounds).
READ_AHEAD = 10
MAX_ROUNDS = 3


class PersonalisedNoteRanker:
    """social.contracts.DiscoverRanker."""

    def owns_cursor(self, cursor: str) -> bool:
        return snapshots.is_snapshot_cursor(cursor)

    def discover_page(self, *, viewer_id: int, cursor: str | None, limit: int) -> FeedPage | None:
        if not is_personalised_for(viewer_id):
            return None
        position = snapshots.cursor_position(cursor)
        snapshot = None
        if position is not None:
            snapshot = snapshots.snapshot_of(snapshot_id=position.snapshot_id, viewer_id=viewer_id)
        offset = position.offset if position is not None and snapshot is not None else 0
        if snapshot is None:  # a first page, or the snapshot expired: rank afresh
            snapshot = snapshot_take(viewer_id=viewer_id, page_size=limit)
        return _page(snapshot, offset=offset, limit=limit)


def _product_affinity(bundle: Bundle | None, viewer_id: int) -> tuple[dict[int, float], int | None]:
    """Product id → 0..1 from the serving model's candidates for this viewer (empty without a
    model or when the model does not know them), and that model's version."""
    if bundle is None:
        return {}, None
    row = bundle.user_index(viewer_id)
    if row is None:
        return {}, None
    start, end = bundle.user_candidates.indptr[row], bundle.user_candidates.indptr[row + 1]
    scores = bundle.user_candidates.data[start:end]
    if not len(scores) or float(scores.max()) <= 0:
        return {}, None
    top = float(scores.max())
    items = bundle.item_ids[bundle.user_candidates.indices[start:end]]
    affinity = {
        int(product_id): max(float(score), 0.0) / top
        for product_id, score in zip(items, scores, strict=True)
    }
    return affinity, bundle.version_id


def _seen_notes(viewer_id: int) -> set[int]:
    since = clock.now() - timedelta(days=SEEN_DAYS)
    return set(
        Impression.objects.filter(
            user_id=viewer_id, surface=Surface.NOTES, object_type="note", served_at__gte=since
        )
        .values_list("object_id", flat=True)
        .distinct()
    )


def _scored_pool(viewer_id: int) -> tuple[tuple[ScoredNote, ...], int | None]:
    """The viewer's candidates scored, best first; kept POOL_SECONDS (per serving model) so
    that reloading the home page or the feed's top does not query and score the pool again."""
    bundle = active_bundle()
    key = _POOL_KEY.format(viewer_id, bundle.version_id if bundle else 0)
    kept = cache.get(key)
    if isinstance(kept, tuple) and len(kept) == 2:
        rows, model_version = kept
        return snapshots.notes_from_rows(rows), model_version
    candidates = discover_candidates(viewer_id=viewer_id)
    signals = discover_signals(viewer_id=viewer_id)
    affinity, model_version = _product_affinity(bundle, viewer_id)
    scored = score_notes(
        candidates,
        signals,
        product_affinity=affinity,
        # Notes the viewer already liked, commented on or kept count as seen.
        seen=signals.engaged_note_ids,
        now=clock.now(),
    )
    cache.set(key, (snapshots.notes_to_rows(scored), model_version), POOL_SECONDS)
    return tuple(scored), model_version


def ranked_notes(*, viewer_id: int, page_size: int) -> tuple[list[ScoredNote], int | None]:
    """The viewer's whole discover order (unseen notes first, authors spread out for pages of
    up to `page_size`) and the product model version that shaped it, if any."""
    pool, model_version = _scored_pool(viewer_id)
    shown = _seen_notes(viewer_id)
    unseen = [note for note in pool if not note.is_seen and note.note_id not in shown]
    seen = sorted(
        (replace(note, is_seen=True) for note in pool if note.is_seen or note.note_id in shown),
        key=lambda note: (-note.score, -note.note_id),
    )
    window = max(page_size, 2)
    ordered = diversify(unseen, window=window, per_author=PER_AUTHOR_PER_PAGE) + diversify(
        seen, window=window, per_author=PER_AUTHOR_PER_PAGE
    )
    return ordered, model_version


def snapshot_take(*, viewer_id: int, page_size: int) -> snapshots.Snapshot:
    ordered, model_version = ranked_notes(viewer_id=viewer_id, page_size=page_size)
    return snapshots.snapshot_store(viewer_id=viewer_id, notes=ordered, model_version=model_version)


def _page(snapshot: snapshots.Snapshot, *, offset: int, limit: int) -> FeedPage:
    viewer_id = snapshot.viewer_id
    shown: list[tuple[NoteCard, ScoredNote]] = []
    cursor_at = offset
    for _round in range(MAX_ROUNDS):
        chunk = snapshot.notes[cursor_at : cursor_at + limit - len(shown) + READ_AHEAD]
        if not chunk:
            break
        cards = {
            card.id: card
            for card in discover_cards(
                note_ids=[note.note_id for note in chunk], viewer_id=viewer_id
            )
        }
        for note in chunk:
            cursor_at += 1
            card = cards.get(note.note_id)
            if card is not None:
                shown.append((card, note))
                if len(shown) == limit:
                    break
        if len(shown) == limit:
            break
    served = _log_impressions(snapshot, shown)
    has_more = cursor_at < len(snapshot.notes)
    return FeedPage(
        items=[
            replace(card, reason=item.reason.label if item.reason else "")
            for (card, _note), item in zip(shown, served.items, strict=True)
        ],
        list_id=served.list_id,
        next_cursor=snapshots.cursor_for(snapshot_id=snapshot.snapshot_id, offset=cursor_at)
        if has_more
        else None,
        source="ranked",
    )


def _log_impressions(
    snapshot: snapshots.Snapshot, shown: list[tuple[NoteCard, ScoredNote]]
) -> RecommendationList:
    served = RecommendationList(
        list_id=uuid.uuid4().hex,
        surface=Surface.NOTES,
        model_version=snapshot.model_version,
        is_personalised=True,
        items=tuple(
            RecommendedItem(object_id=card.id, score=note.score, reason=reason_for(note))
            for card, note in shown
        ),
    )
    impressions_record(served, viewer_id=snapshot.viewer_id, anonymous_id="", object_type="note")
    return served
