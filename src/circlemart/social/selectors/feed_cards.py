"""The following feed's one query: it re-checks visibility (the rule of
`visibility.following_feed_q`) and reads everything a card needs — the author's card, the cover
and image count, the viewer's like — in one round trip, from SQL text built once per shape.

`note_cards` needs four queries and the ORM compiles the visibility rule's five subqueries on
every page; this is the feed's hot path, so it pays neither (tests hold both to the same
cards)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Field, Model

from circlemart.accounts.contracts import UserCard
from circlemart.social.contracts import NoteCard
from circlemart.social.models import (
    Block,
    Follow,
    ModerationState,
    Note,
    NoteImage,
    NoteLike,
    Visibility,
)
from circlemart.social.selectors.notes import excerpt_of

# Bounded: the id-list shape's text depends on how many ids a page re-checks.
_SHAPES_KEPT = 256


@dataclass(frozen=True, slots=True)
class FeedRow:
    """One note of a following-feed page, in feed order. `card` is None when the author's
    account is inactive: the note still moves the cursor but shows no card (as note_cards)."""

    note_id: int
    published_at: datetime
    card: NoteCard | None


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: type[Model], field: str) -> str:
    found = model._meta.get_field(field)
    # A concrete column of the table, not a reverse relation.
    assert isinstance(found, Field)
    assert found.column is not None
    return connection.ops.quote_name(found.column)


# What a feed card needs: the text column is read for the excerpt, nothing else heavy (the
# SQL here and the ORM path in feeds both read these).
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


def _note_columns(alias: str) -> str:
    return ", ".join(f"{alias}.{_column(Note, name)}" for name in CARD_FIELDS)


@functools.lru_cache(maxsize=_SHAPES_KEPT)
def _sql(vendor: str, shape: str, id_count: int) -> str:
    """The page query of one shape: "ids" (re-check these notes), "after" (the keyset page
    below a position) or "top" (the first page). `vendor` keys the cache: names are quoted
    by the connection's rules."""
    user = get_user_model()
    note, follow, block = _table(Note), _table(Follow), _table(Block)
    image, like = _table(NoteImage), _table(NoteLike)
    n_id, n_author = _column(Note, "id"), _column(Note, "author")
    n_published, n_repost = _column(Note, "published_at"), _column(Note, "repost_of")
    n_visibility = _column(Note, "visibility")
    followee, follower = _column(Follow, "followee"), _column(Follow, "follower")
    blocker, blocked = _column(Block, "blocker"), _column(Block, "blocked")
    image_id, image_note = _column(NoteImage, "id"), _column(NoteImage, "note")
    image_position = _column(NoteImage, "position")
    like_note, like_user = _column(NoteLike, "note"), _column(NoteLike, "user")
    where = {
        # PostgreSQL takes the ids as one array: one statement text whatever their number.
        "ids": (
            f"AND n0.{n_id} = ANY(CAST(%s AS bigint[]))"
            if vendor == "postgresql"
            else f"AND n0.{n_id} IN ({', '.join(['%s'] * id_count)})"
        ),
        "after": (f"AND (n0.{n_published} < %s OR (n0.{n_published} = %s AND n0.{n_id} < %s))"),
        "top": "",
    }[shape]
    # The cover is the note's first image, else its original's (a repost shows the original's
    # pictures); the count is that note's images.
    # The inner query is visibility.following_feed_q: live, by a followed author, for
    # followers or friends (never circle-only), never across a block either way. Only
    # quoted table and column names are interpolated; every value is a parameter.
    sql = f"""
SELECT n.*, u.{_column(user, "nickname")}, u.{_column(user, "avatar")},
       u.{_column(user, "city")}, u.{_column(user, "is_active")},
       EXISTS (SELECT 1 FROM {like} l WHERE l.{like_note} = n.{n_id} AND l.{like_user} = %s),
       ci.{_column(NoteImage, "thumbnail")}, ci.{_column(NoteImage, "width")},
       ci.{_column(NoteImage, "height")},
       (SELECT COUNT(*) FROM {image} c WHERE c.{image_note} = ci.{image_note})
FROM (
    SELECT {_note_columns("n0")}
    FROM {note} n0
    WHERE n0.{_column(Note, "status")} = %s AND n0.{_column(Note, "moderation_state")} = %s
      AND n0.{n_author} IN (SELECT f.{followee} FROM {follow} f WHERE f.{follower} = %s)
      AND (n0.{n_visibility} IN (%s, %s)
           OR (n0.{n_visibility} = %s
               AND n0.{n_author} IN (SELECT f.{follower} FROM {follow} f WHERE f.{followee} = %s)))
      AND NOT (n0.{n_author} IN (SELECT b.{blocked} FROM {block} b WHERE b.{blocker} = %s)
               OR n0.{n_author} IN (SELECT b.{blocker} FROM {block} b WHERE b.{blocked} = %s))
      {where}
    ORDER BY n0.{n_published} DESC, n0.{n_id} DESC
    LIMIT %s
) n
JOIN {_table(user)} u ON u.{_column(user, "id")} = n.{n_author}
LEFT JOIN {image} ci ON ci.{image_id} = COALESCE(
    (SELECT i.{image_id} FROM {image} i WHERE i.{image_note} = n.{n_id}
     ORDER BY i.{image_position}, i.{image_id} LIMIT 1),
    (SELECT i.{image_id} FROM {image} i WHERE i.{image_note} = n.{n_repost}
     ORDER BY i.{image_position}, i.{image_id} LIMIT 1)
)
ORDER BY n.{n_published} DESC, n.{n_id} DESC
"""  # noqa: S608
    # One line, and short: the driver caches its parse of statements up to 4 KiB.
    return " ".join(sql.split())


def _datetime_reader() -> Callable[[Any], datetime]:
    """What turns the column into an aware datetime (SQLite hands back text)."""
    convert = getattr(connection.ops, "convert_datetimefield_value", None)
    if convert is None:
        return lambda value: value
    return lambda value: convert(value, None, connection)


def _rows(shape: str, *, viewer_id: int, extra: Sequence[Any], limit: int) -> list[FeedRow]:
    vendor = connection.vendor
    if shape == "ids" and vendor == "postgresql":
        # An array literal: the driver formats one short string faster than a list.
        sql, extra = _sql(vendor, shape, 0), ["{" + ",".join(map(str, extra)) + "}"]
    else:
        sql = _sql(vendor, shape, len(extra) if shape == "ids" else 0)
    params = [
        viewer_id,
        Note.Status.PUBLISHED.value,
        ModerationState.VISIBLE.value,
        viewer_id,
        Visibility.PUBLIC.value,
        Visibility.FOLLOWERS.value,
        Visibility.FRIENDS.value,
        viewer_id,
        viewer_id,
        viewer_id,
        *extra,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    moment = _datetime_reader()
    image_storage = NoteImage._meta.get_field("image").storage
    avatar_storage = get_user_model()._meta.get_field("avatar").storage
    rows = []
    for (
        note_id,
        author_id,
        title,
        text,
        like_count,
        comment_count,
        visibility,
        status,
        moderation_state,
        published_at,
        repost_of_id,
        circle_id,
        pinned_at,
        nickname,
        avatar,
        city,
        is_active,
        liked,
        thumbnail,
        width,
        height,
        image_count,
    ) in found:
        published = moment(published_at)
        card = None
        if is_active:
            has_cover = thumbnail is not None
            card = NoteCard(
                id=note_id,
                author=UserCard(
                    id=author_id,
                    nickname=nickname,
                    avatar_url=avatar_storage.url(avatar) if avatar else "",
                    city=city,
                ),
                title=title,
                excerpt=excerpt_of(text),
                cover_url=image_storage.url(thumbnail) if has_cover else "",
                image_count=image_count,
                like_count=like_count,
                comment_count=comment_count,
                visibility=visibility,
                status=status,
                moderation_state=moderation_state,
                published_at=published,
                is_repost=repost_of_id is not None,
                repost_of_id=repost_of_id,
                circle_id=circle_id,
                is_pinned=pinned_at is not None,
                liked_by_me=bool(liked),
                cover_width=width if has_cover else 0,
                cover_height=height if has_cover else 0,
            )
        rows.append(FeedRow(note_id=note_id, published_at=published, card=card))
    return rows


def following_rows_among(*, viewer_id: int, note_ids: Sequence[int], limit: int) -> list[FeedRow]:
    """Of these candidate notes (the fan-out store's), the newest `limit` the viewer may
    still see in their following feed, newest first."""
    if not note_ids or limit <= 0:
        return []
    return _rows("ids", viewer_id=viewer_id, extra=list(note_ids), limit=limit)


def following_rows_after(
    *, viewer_id: int, position: tuple[datetime, int] | None, limit: int
) -> list[FeedRow]:
    """The keyset page of the following feed strictly below `position` (the SQL pull)."""
    if limit <= 0:
        return []
    if position is None:
        return _rows("top", viewer_id=viewer_id, extra=(), limit=limit)
    moment, note_id = position
    adapted = connection.ops.adapt_datetimefield_value(moment)
    return _rows("after", viewer_id=viewer_id, extra=(adapted, adapted, note_id), limit=limit)
