"""Feeds: following (Redis fan-out merged with celebrities, or SQL pull), discover, topic,
circle. Every page is a keyset page over (published_at, id) or (hot_score, id), so new posts
arriving between pages cause neither duplicates nor gaps."""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from circlemart.core import clock
from circlemart.core.errors import DomainError, ValidationFailed
from circlemart.core.pagination import decode_cursor, encode_cursor
from circlemart.social import feed_store
from circlemart.social.contracts import (
    DiscoverCandidate,
    DiscoverRanker,
    DiscoverSignals,
    FeedPage,
    NoteCard,
)
from circlemart.social.models import (
    CircleMember,
    Comment,
    Favourite,
    Follow,
    GraphCounter,
    NoteLike,
    NoteProduct,
    NoteTopic,
    TopicFollow,
)
from circlemart.social.selectors.feed_cards import (
    CARD_FIELDS,
    FeedRow,
    following_rows_after,
    following_rows_among,
)
from circlemart.social.selectors.notes import feed_page, note_cards
from circlemart.social.selectors.visibility import visible_notes
from circlemart.social.services.hotness import engagement_of
from circlemart.social.text import topic_key

logger = logging.getLogger(__name__)

MAX_ROUNDS = 8


def _position(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    published_at, note_id = decode_cursor(cursor, width=2)
    if not isinstance(published_at, datetime) or not isinstance(note_id, int):
        raise ValidationFailed("Invalid cursor.", field="cursor")
    return published_at, note_id


def _sql_after(viewer_id: int, position: tuple[datetime, int] | None, count: int) -> list[FeedRow]:
    return following_rows_after(viewer_id=viewer_id, position=position, limit=count)


def _from_store(position: feed_store.Position) -> tuple[datetime, int] | None:
    if position == feed_store.TOP:
        return None
    return feed_store.EPOCH + timedelta(microseconds=position[0]), position[1]


def _celebrities_from_database(viewer_id: int) -> list[int]:
    stars = GraphCounter.objects.filter(followers__gte=settings.SOCIAL_CELEBRITY_FOLLOWERS)
    return list(
        Follow.objects.filter(
            follower_id=viewer_id, followee_id__in=stars.values("user_id")
        ).values_list("followee_id", flat=True)
    )


def celebrities_followed(viewer_id: int) -> list[int]:
    """The celebrities (SOCIAL_CELEBRITY_FOLLOWERS or more followers) the viewer follows;
    remembered in Redis per viewer when there is Redis (feed_store.cached_celebrities)."""
    if not settings.REDIS_URL:
        return _celebrities_from_database(viewer_id)
    threshold = int(settings.SOCIAL_CELEBRITY_FOLLOWERS)
    found, stamp = feed_store.cached_celebrities(viewer_id, threshold=threshold)
    if found is not None:
        return found
    found = _celebrities_from_database(viewer_id)
    feed_store.remember_celebrities(viewer_id, stamp=stamp, author_ids=found)
    return found


def _rebuild_missing(viewer_id: int, celebrities: list[int], ready: list[bool]) -> None:
    from circlemart.social.services.feeds import author_timeline_rebuild, feed_rebuild

    if not ready[0]:
        feed_rebuild(viewer_id)
    for author_id, built in zip(celebrities, ready[1:], strict=True):
        if not built:
            author_timeline_rebuild(author_id)


def _redis_following(
    viewer_id: int, position: tuple[datetime, int] | None, want: int
) -> list[FeedRow]:
    where: feed_store.Position = (
        (feed_store.score_of(position[0]), position[1]) if position else feed_store.TOP
    )
    batch = want * 2
    # One round trip in the usual case: the remembered celebrities and every set at once.
    first = feed_store.first_round(
        user_id=viewer_id,
        threshold=int(settings.SOCIAL_CELEBRITY_FOLLOWERS),
        position=where,
        count=batch,
    )
    celebrities = first.celebrities
    keys = [feed_store.feed_key(viewer_id)]
    if celebrities is None:
        celebrities = _celebrities_from_database(viewer_id)
        feed_store.remember_celebrities(viewer_id, stamp=first.stamp, author_ids=celebrities)
        keys += [feed_store.author_key(author_id) for author_id in celebrities]
        ready_keys = [feed_store.feed_ready_key(viewer_id)] + [
            feed_store.author_ready_key(author_id) for author_id in celebrities
        ]
        entries, continue_in_sql, ready = feed_store.after(
            keys=keys, position=where, count=batch, ready_keys=ready_keys
        )
    else:
        keys += [feed_store.author_key(author_id) for author_id in celebrities]
        entries, continue_in_sql, ready = first.entries, first.continue_in_sql, first.ready
    if not all(ready):  # first read, or expired: rebuild from the database, ask again
        _rebuild_missing(viewer_id, celebrities, ready)
        entries, continue_in_sql, _ready = feed_store.after(keys=keys, position=where, count=batch)
    collected: list[FeedRow] = []
    for round_number in range(MAX_ROUNDS):
        if round_number:
            batch = (want - len(collected)) * 2
            entries, continue_in_sql, _ready = feed_store.after(
                keys=keys, position=where, count=batch
            )
        if entries:
            # The newest of these the viewer may still see, in feed order: one query that
            # also reads their cards. Entries are in (published_at, id) order like the query,
            # so stopping at what the page still needs skips exactly what the page would drop.
            collected += following_rows_among(
                viewer_id=viewer_id,
                note_ids=[note_id for _, note_id in entries],
                limit=want - len(collected),
            )
            if len(collected) >= want:
                return collected[:want]
            where = entries[-1]
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
        rows, source = _redis_following(viewer_id, position, limit + 1), "redis"
    else:
        rows, source = _sql_after(viewer_id, position, limit + 1), "sql"
    page = rows[:limit]
    return FeedPage(
        items=[row.card for row in page if row.card is not None],
        next_cursor=(
            encode_cursor([page[-1].published_at, page[-1].note_id])
            if len(rows) > limit and page
            else None
        ),
        source=source,
    )


def discover_feed(*, viewer_id: int | None, cursor: str | None, limit: int) -> FeedPage:
    """A signed-in viewer's page comes from the configured ranker (`DiscoverRanker`). Anonymous
    viewers, viewers who turned personalisation off and a failing ranker get public notes by
    time-decayed popularity (see services/hotness.py)."""
    ranker = discover_ranker()
    if ranker is not None and viewer_id is not None:
        page = _ranked_page(ranker, viewer_id=viewer_id, cursor=cursor, limit=limit)
        if page is not None:
            return page
    if cursor and ranker is not None and ranker.owns_cursor(cursor):
        cursor = None  # personalisation went off between two pages: the plain order starts over
    query = visible_notes(viewer_id).filter(visibility="public", repost_of__isnull=True)
    return feed_page(
        query, viewer_id=viewer_id, cursor=cursor, limit=limit, ordering=("-hot_score", "-id")
    )


def _ranked_page(
    ranker: DiscoverRanker, *, viewer_id: int, cursor: str | None, limit: int
) -> FeedPage | None:
    try:
        # A savepoint: a database error inside the ranker must not leave an enclosing
        # transaction unusable for the fallback's query.
        with transaction.atomic():
            return ranker.discover_page(viewer_id=viewer_id, cursor=cursor, limit=limit)
    except DomainError:
        raise  # the viewer's mistake (a forged cursor): a 4xx, not a fallback
    except Exception:
        # The feed must outlive a broken ranker: log it and serve the plain order.
        logger.exception("discover ranker failed; serving the hot-score order")
        return None


@functools.cache
def _ranker_at(path: str) -> DiscoverRanker | None:
    try:
        ranker_class = import_string(path)
    except ImportError:
        logger.exception("SOCIAL_DISCOVER_RANKER %r cannot be imported", path)
        return None
    return cast(DiscoverRanker, ranker_class())


def discover_ranker() -> DiscoverRanker | None:
    """The ranker `settings.SOCIAL_DISCOVER_RANKER` names, one instance per process."""
    path = settings.SOCIAL_DISCOVER_RANKER
    return _ranker_at(path) if path else None


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


# --- What a discover ranker reads --------------------------------------------------------------

_CANDIDATE_FIELDS = (
    "id",
    "author_id",
    "circle_id",
    "published_at",
    "hot_score",
    "like_count",
    "comment_count",
    "favourite_count",
    "share_count",
)


def discover_candidates(
    *, viewer_id: int, hot_pool: int = 400, per_source: int = 100, recent_days: int = 30
) -> list[DiscoverCandidate]:
    """Notes worth ranking for this viewer: the hottest public ones, plus recent ones by the
    authors, in the topics and circles they follow. Visible to the viewer, never their own,
    never reposts; six queries whatever the pool size."""
    since = clock.now() - timedelta(days=recent_days)
    mine = visible_notes(viewer_id).filter(repost_of__isnull=True).exclude(author_id=viewer_id)
    followed_topic_notes = NoteTopic.objects.filter(
        topic_id__in=TopicFollow.objects.filter(user_id=viewer_id).values("topic_id")
    ).values("note_id")
    recent = mine.filter(published_at__gte=since).order_by("-published_at", "-id")
    # hot_score already decays with publish time, so the hot pool needs no date bound (and a
    # quiet shop's feed does not run dry).
    queries = [
        mine.filter(visibility="public").order_by("-hot_score", "-id")[:hot_pool],
        recent.filter(
            author_id__in=Follow.objects.filter(follower_id=viewer_id).values("followee_id")
        )[:per_source],
        recent.filter(id__in=followed_topic_notes)[:per_source],
        recent.filter(
            circle_id__in=CircleMember.objects.filter(user_id=viewer_id).values("circle_id")
        )[:per_source],
    ]
    rows: dict[int, tuple[object, ...]] = {}
    for query in queries:
        for row in query.values_list(*_CANDIDATE_FIELDS):
            rows.setdefault(row[0], row)
    topics = _topics_of(list(rows))
    products = _products_of(list(rows))
    return [_candidate(row, topics.get(note_id, []), products) for note_id, row in rows.items()]


def _topics_of(note_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    rows = NoteTopic.objects.filter(note_id__in=note_ids).order_by("note_id", "id")
    for note_id, topic_id, label in rows.values_list("note_id", "topic_id", "topic__label"):
        found[note_id].append((topic_id, label))
    return found


def _products_of(note_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    rows = NoteProduct.objects.filter(note_id__in=note_ids).order_by("note_id", "position", "id")
    for note_id, product_id in rows.values_list("note_id", "product_id"):
        found[note_id].append(product_id)
    return found


def _candidate(
    row: tuple[object, ...], topics: list[tuple[int, str]], products: dict[int, list[int]]
) -> DiscoverCandidate:
    note_id, author_id, circle_id, published_at, hot, likes, comments, favourites, shares = row
    return DiscoverCandidate(
        note_id=cast(int, note_id),
        author_id=cast(int, author_id),
        circle_id=cast("int | None", circle_id),
        published_at=cast("datetime | None", published_at),
        hot_score=cast(float, hot),
        engagement=engagement_of(
            likes=cast(int, likes),
            comments=cast(int, comments),
            favourites=cast(int, favourites),
            shares=cast(int, shares),
        ),
        topic_ids=tuple(topic_id for topic_id, _label in topics),
        topic_labels=tuple(label for _topic_id, label in topics),
        product_ids=tuple(products.get(cast(int, note_id), ())),
    )


LIKE_WEIGHT, COMMENT_WEIGHT, FAVOURITE_WEIGHT = 1.0, 1.5, 2.0


def discover_signals(*, viewer_id: int, days: int = 90, per_kind: int = 300) -> DiscoverSignals:
    """The viewer's follows, circles, and the topics and authors of the notes they recently
    liked, commented on or favourited (the latest `per_kind` of each); seven queries."""
    since = clock.now() - timedelta(days=days)
    engaged: list[tuple[int, int, float]] = []  # (note, author, weight)
    for query, weight in (
        (NoteLike.objects.filter(user_id=viewer_id, created_at__gte=since), LIKE_WEIGHT),
        (
            Comment.objects.filter(
                author_id=viewer_id, created_at__gte=since, deleted_at__isnull=True
            ),
            COMMENT_WEIGHT,
        ),
        (Favourite.objects.filter(user_id=viewer_id, created_at__gte=since), FAVOURITE_WEIGHT),
    ):
        rows = query.order_by("-id").values_list("note_id", "note__author_id")[:per_kind]
        engaged += [(note_id, author_id, weight) for note_id, author_id in rows]
    author_weights: dict[int, float] = defaultdict(float)
    note_weights: dict[int, float] = defaultdict(float)
    for note_id, author_id, weight in engaged:
        if author_id != viewer_id:
            author_weights[author_id] += weight
        note_weights[note_id] += weight
    topic_weights: dict[int, float] = defaultdict(float)
    links = NoteTopic.objects.filter(note_id__in=list(note_weights)).values_list(
        "note_id", "topic_id"
    )
    for note_id, topic_id in links:
        topic_weights[topic_id] += note_weights[note_id]
    return DiscoverSignals(
        followed_author_ids=frozenset(
            Follow.objects.filter(follower_id=viewer_id).values_list("followee_id", flat=True)
        ),
        followed_topic_ids=frozenset(
            TopicFollow.objects.filter(user_id=viewer_id).values_list("topic_id", flat=True)
        ),
        circle_ids=frozenset(
            CircleMember.objects.filter(user_id=viewer_id).values_list("circle_id", flat=True)
        ),
        topic_weights=dict(topic_weights),
        author_weights=dict(author_weights),
        engaged_note_ids=frozenset(note_weights),
    )


def discover_cards(*, note_ids: Sequence[int], viewer_id: int | None) -> list[NoteCard]:
    """Cards of those notes the viewer may still see, in the given order (four queries)."""
    if not note_ids:
        return []
    found = {
        note.pk: note
        for note in visible_notes(viewer_id).filter(pk__in=list(note_ids)).only(*CARD_FIELDS)
    }
    return note_cards(
        [found[note_id] for note_id in note_ids if note_id in found], viewer_id=viewer_id
    )
