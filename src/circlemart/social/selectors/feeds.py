"""Feeds: following (Redis fan-out merged with celebrities, or SQL pull), discover, topic,
circle. Every page is a keyset page over (published_at, id) or (hot_score, id), so new posts
arriving between pages cause neither duplicates nor gaps."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from circlemart.core.errors import ValidationFailed
from circlemart.core.pagination import decode_cursor
from circlemart.social import feed_store
from circlemart.social.contracts import FeedPage, NoteCard
from circlemart.social.models import Follow, GraphCounter, Note
from circlemart.social.selectors.notes import FEED_ORDER, feed_cursor, feed_page, note_cards
from circlemart.social.selectors.visibility import following_feed_q, visible_notes
from circlemart.social.text import topic_key

MAX_ROUNDS = 8
# What a feed card needs: the text column is read for the excerpt, nothing else heavy.
CARD_FIELDS = (
    "id",
    "author_id",
    "title",
    "text",
    "like_count",
    "comment_count",
    "visibility",
    "status",
    "moderation_state",
    "published_at",
    "repost_of_id",
    "circle_id",
    "pinned_at",
)


def _position(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    published_at, note_id = decode_cursor(cursor, width=2)
    if not isinstance(published_at, datetime) or not isinstance(note_id, int):
        raise ValidationFailed("Invalid cursor.", field="cursor")
    return published_at, note_id


def _sql_after(viewer_id: int, position: tuple[datetime, int] | None, count: int) -> list[Note]:
    query = Note.objects.filter(following_feed_q(viewer_id))
    if position is not None:
        moment, note_id = position
        query = query.filter(Q(published_at__lt=moment) | Q(published_at=moment, id__lt=note_id))
    return list(query.only(*CARD_FIELDS).order_by(*FEED_ORDER)[:count])


def _from_store(position: feed_store.Position) -> tuple[datetime, int] | None:
    if position == feed_store.TOP:
        return None
    return feed_store.EPOCH + timedelta(microseconds=position[0]), position[1]


def celebrities_followed(viewer_id: int) -> list[int]:
    stars = GraphCounter.objects.filter(followers__gte=settings.SOCIAL_CELEBRITY_FOLLOWERS)
    return list(
        Follow.objects.filter(
            follower_id=viewer_id, followee_id__in=stars.values("user_id")
        ).values_list("followee_id", flat=True)
    )


def _rebuild_missing(viewer_id: int, celebrities: list[int], ready: list[bool]) -> None:
    from circlemart.social.services.feeds import author_timeline_rebuild, feed_rebuild

    if not ready[0]:
        feed_rebuild(viewer_id)
    for author_id, built in zip(celebrities, ready[1:], strict=True):
        if not built:
            author_timeline_rebuild(author_id)


def _redis_following(
    viewer_id: int, position: tuple[datetime, int] | None, want: int
) -> list[Note]:
    celebrities = celebrities_followed(viewer_id)
    keys = [feed_store.feed_key(viewer_id)]
    keys += [feed_store.author_key(author_id) for author_id in celebrities]
    ready_keys: list[str] | None = [feed_store.feed_ready_key(viewer_id)] + [
        feed_store.author_ready_key(author_id) for author_id in celebrities
    ]
    where: feed_store.Position = (
        (feed_store.score_of(position[0]), position[1]) if position else feed_store.TOP
    )
    collected: list[Note] = []
    for _round in range(MAX_ROUNDS):
        batch = (want - len(collected)) * 2
        entries, continue_in_sql, ready = feed_store.after(
            keys=keys, position=where, count=batch, ready_keys=ready_keys
        )
        if ready_keys is not None:
            if not all(ready):  # first read, or expired: rebuild from the database, ask again
                _rebuild_missing(viewer_id, celebrities, ready)
                entries, continue_in_sql, _ready = feed_store.after(
                    keys=keys, position=where, count=batch
                )
            ready_keys = None  # checked once per page
        if entries:
            ids = [note_id for _, note_id in entries]
            checked = {
                note.pk: note
                for note in Note.objects.filter(following_feed_q(viewer_id), pk__in=ids).only(
                    *CARD_FIELDS
                )
            }
            collected += [checked[note_id] for note_id in ids if note_id in checked]
            where = entries[-1]
        if len(collected) >= want:
            return collected[:want]
        if continue_in_sql:
            return collected + _sql_after(viewer_id, _from_store(where), want - len(collected))
        if len(entries) < batch:
            return collected
    # Many stale entries in a row: finish the page from the database.
    return collected + _sql_after(viewer_id, _from_store(where), want - len(collected))


def following_feed(*, viewer_id: int, cursor: str | None, limit: int) -> FeedPage:
    """Newest first: notes of the users the viewer follows."""
    position = _position(cursor)
    if feed_store.enabled():
        notes, source = _redis_following(viewer_id, position, limit + 1), "redis"
    else:
        notes, source = _sql_after(viewer_id, position, limit + 1), "sql"
    page = notes[:limit]
    return FeedPage(
        items=note_cards(page, viewer_id=viewer_id),
        next_cursor=feed_cursor(page[-1]) if len(notes) > limit and page else None,
        source=source,
    )


def discover_feed(*, viewer_id: int | None, cursor: str | None, limit: int) -> FeedPage:
    """Public notes by time-decayed popularity (see services/hotness.py)."""
    query = visible_notes(viewer_id).filter(visibility="public", repost_of__isnull=True)
    return feed_page(
        query, viewer_id=viewer_id, cursor=cursor, limit=limit, ordering=("-hot_score", "-id")
    )


def topic_feed(*, name: str, viewer_id: int | None, cursor: str | None, limit: int) -> FeedPage:
    query = visible_notes(viewer_id).filter(topic_links__topic__name=topic_key(name))
    return feed_page(query, viewer_id=viewer_id, cursor=cursor, limit=limit)


def circle_feed(
    *, circle_id: int, viewer_id: int | None, cursor: str | None, limit: int
) -> FeedPage:
    """Posts of a circle, newest first (members only; pinned ones come from circle_pinned)."""
    query = visible_notes(viewer_id).filter(circle_id=circle_id)
    return feed_page(query, viewer_id=viewer_id, cursor=cursor, limit=limit)


def circle_pinned(*, circle_id: int, viewer_id: int | None, limit: int = 3) -> list[NoteCard]:
    notes = list(
        visible_notes(viewer_id)
        .filter(circle_id=circle_id, pinned_at__isnull=False)
        .order_by("-pinned_at", "-id")[:limit]
    )
    return note_cards(notes, viewer_id=viewer_id)
