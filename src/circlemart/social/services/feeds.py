"""Writes of the fan-out store (no-ops without Redis): fan out a note, backfill or forget an
author after a follow or unfollow, rebuild a reader's or an author's set from the database."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from circlemart.social import feed_store
from circlemart.social.models import Follow, GraphCounter, Note
from circlemart.social.selectors.visibility import (
    author_timeline_q,
    following_feed_q,
    live_q,
)


def _entries(query: QuerySet[Note], limit: int) -> list[tuple[int, int]]:
    rows = query.order_by("-published_at", "-id").values_list("id", "published_at")[:limit]
    return [
        (note_id, feed_store.score_of(published_at))
        for note_id, published_at in rows
        if published_at is not None  # live notes always have one
    ]


def is_celebrity(author_id: int) -> bool:
    followers = (
        GraphCounter.objects.filter(user_id=author_id).values_list("followers", flat=True).first()
    )
    return (followers or 0) >= settings.SOCIAL_CELEBRITY_FOLLOWERS


def feed_rebuild(user_id: int) -> None:
    query = Note.objects.filter(following_feed_q(user_id))
    feed_store.replace(
        key=feed_store.feed_key(user_id),
        ready_key=feed_store.feed_ready_key(user_id),
        entries=_entries(query, settings.SOCIAL_FEED_MAX_ITEMS),
    )


def author_timeline_rebuild(author_id: int) -> None:
    query = Note.objects.filter(author_timeline_q(author_id))
    feed_store.replace(
        key=feed_store.author_key(author_id),
        ready_key=feed_store.author_ready_key(author_id),
        entries=_entries(query, settings.SOCIAL_FEED_MAX_ITEMS),
    )


def note_fan_out(note_id: int) -> int:
    """Push a live note into its author's set and, for an ordinary author, into every
    follower's set. Returns the number of follower sets written (0 for a celebrity)."""
    if not feed_store.enabled():
        return 0
    note = (
        Note.objects.filter(live_q(), pk=note_id)
        .exclude(visibility="circle")
        .values("author_id", "published_at", "visibility")
        .first()
    )
    if note is None or note["published_at"] is None:
        return 0
    author_id, score = note["author_id"], feed_store.score_of(note["published_at"])
    if feed_store.is_ready([feed_store.author_ready_key(author_id)])[0]:
        feed_store.add(keys=[feed_store.author_key(author_id)], note_id=note_id, score=score)
    else:
        author_timeline_rebuild(author_id)
    if is_celebrity(author_id):
        return 0
    followers = Follow.objects.filter(followee_id=author_id)
    if note["visibility"] == "friends":
        followers = followers.filter(
            follower_id__in=Follow.objects.filter(follower_id=author_id).values("followee_id")
        )
    written = 0
    last_id = 0
    batch = int(settings.SOCIAL_FANOUT_BATCH)
    while True:
        rows = list(
            followers.filter(id__gt=last_id).order_by("id").values_list("id", "follower_id")[:batch]
        )
        if not rows:
            break
        last_id = rows[-1][0]
        written += feed_store.add(
            keys=[feed_store.feed_key(follower_id) for _, follower_id in rows],
            note_id=note_id,
            score=score,
        )
    return written


def feed_backfill_author(*, user_id: int, author_id: int) -> None:
    """After a follow: the author's recent notes join the reader's set (if it is built)."""
    if not feed_store.enabled():
        return
    if not feed_store.is_ready([feed_store.feed_ready_key(user_id)])[0]:
        return
    query = Note.objects.filter(following_feed_q(user_id), author_id=author_id)
    feed_store.add_many(
        key=feed_store.feed_key(user_id), entries=_entries(query, settings.SOCIAL_FEED_MAX_ITEMS)
    )


def feed_forget_author(*, user_id: int, author_id: int) -> None:
    """After an unfollow or a block: drop the author's notes from the reader's set (reads
    re-check anyway; this keeps pages full)."""
    if not feed_store.enabled():
        return
    ids = Note.objects.filter(author_id=author_id).order_by("-id").values_list("id", flat=True)
    feed_store.remove(
        key=feed_store.feed_key(user_id), note_ids=list(ids[: settings.SOCIAL_FEED_MAX_ITEMS])
    )


# --- Followed celebrities remembered per reader (feed_store.cached_celebrities) ----------------


def followed_celebrities_forget(*, reader_ids: list[int]) -> None:
    """Inside the transaction that changes these readers' follows: their remembered lists
    of followed celebrities go out of date once it commits."""
    if settings.REDIS_URL:
        transaction.on_commit(lambda: feed_store.readers_follows_changed(reader_ids))


def celebrities_forget() -> None:
    """Inside a transaction that may change who is a celebrity (or many follows at once):
    every remembered list goes out of date once it commits."""
    if settings.REDIS_URL:
        transaction.on_commit(feed_store.celebrities_changed)


def celebrity_status_check(*, author_id: int, delta: int) -> None:
    """After the author's follower count moved by `delta` (±1, inside the transaction): if it
    crossed SOCIAL_CELEBRITY_FOLLOWERS, who is a celebrity changed."""
    if not settings.REDIS_URL:
        return
    followers = (
        GraphCounter.objects.filter(user_id=author_id).values_list("followers", flat=True).first()
    )
    threshold = settings.SOCIAL_CELEBRITY_FOLLOWERS
    if followers is not None and followers == (threshold if delta > 0 else threshold - 1):
        celebrities_forget()
