"""The following feed's fast path (issue 13): one query per page that re-checks visibility
and reads whole cards, followed celebrities remembered per reader in Redis, the Lua reads of
the fan-out store, and feed pages written without ninja's re-validation. Each cache is held
to the database: change the data, and the next read sees it."""

from __future__ import annotations

import heapq
import json
import random
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from ninja.responses import NinjaJSONEncoder

from circlemart.accounts import selectors as account_selectors
from circlemart.accounts.contracts import UserCard
from circlemart.accounts.services import avatar_set, profile_update
from circlemart.core import clock
from circlemart.core.pagination import encode_cursor
from circlemart.social import feed_store, selectors, services
from circlemart.social.contracts import FeedPage, NoteCard
from circlemart.social.models import Note
from circlemart.social.schemas import (
    FeedPageOut,
    NoteCardOut,
    feed_page_data,
    feed_page_response,
)
from tests.accounts.factories import UserFactory
from tests.social.helpers import bearer, follow, image_upload, note

pytestmark = pytest.mark.django_db

FEED = "/api/v1/social/feed/following"


def _world() -> tuple[Any, Any, Any, list[int]]:
    """A reader who follows two authors (one a friend), with images, a repost, a like, a
    friends-only note and notes the reader must not see."""
    me, a, b, stranger = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    follow(me, a)
    follow(me, b)
    follow(b, me)
    pictured = note(a, "带图 #ootd", images=[image_upload(), image_upload(size=(300, 500))])
    note(a, "  lots   of\n\nwhitespace  " + "长" * 200)
    services.note_repost(user_id=b.pk, note_id=pictured.pk, text="转发")
    note(b, "friends only", visibility="friends")
    note(a, "hidden friends", visibility="friends")  # a does not follow me back
    note(stranger, "not followed")
    note(a, "draft", publish=False)
    services.note_like(user_id=me.pk, note_id=pictured.pk)
    ids = list(
        Note.objects.filter(author__in=[a, b], status=Note.Status.PUBLISHED)
        .exclude(title="hidden friends")
        .exclude(text="hidden friends")
        .order_by("-published_at", "-id")
        .values_list("id", flat=True)
    )
    return me, a, b, ids


def _walk(viewer_id: int, *, limit: int) -> tuple[list[NoteCard], list[str | None]]:
    cards: list[NoteCard] = []
    cursors: list[str | None] = []
    cursor = None
    for _ in range(50):
        page = selectors.following_feed(viewer_id=viewer_id, cursor=cursor, limit=limit)
        cards += page.items
        cursor = page.next_cursor
        cursors.append(cursor)
        if cursor is None:
            return cards, cursors
    raise AssertionError("feed did not end")


# --- One query, the same cards as note_cards --------------------------------------------------


def test_feed_cards_are_note_cards_of_the_visible_notes():
    me, _a, _b, ids = _world()
    cards, _ = _walk(me.pk, limit=2)
    assert [card.id for card in cards] == ids
    notes = {found.pk: found for found in Note.objects.filter(pk__in=ids)}
    assert cards == selectors.note_cards([notes[note_id] for note_id in ids], viewer_id=me.pk)
    by_id = {card.id: card for card in cards}
    pictured = next(card for card in cards if card.image_count == 2 and not card.is_repost)
    repost = next(card for card in cards if card.is_repost)
    assert pictured.liked_by_me is True
    assert (pictured.cover_width, pictured.cover_height) == (800, 600)
    assert pictured.cover_url.startswith("/media/")
    # A repost without pictures of its own shows its original's cover and count.
    assert (repost.cover_url, repost.image_count) == (pictured.cover_url, 2)
    assert all(card.liked_by_me is False for card in cards if card.id != pictured.id)
    assert by_id[ids[0]].author.nickname


def test_sql_page_is_one_query(django_assert_num_queries):
    me, _a, _b, ids = _world()
    with django_assert_num_queries(1):
        page = selectors.following_feed(viewer_id=me.pk, cursor=None, limit=3)
    assert [card.id for card in page.items] == ids[:3]
    with django_assert_num_queries(1):
        second = selectors.following_feed(viewer_id=me.pk, cursor=page.next_cursor, limit=3)
    assert [card.id for card in second.items] == ids[3:6]


def test_an_inactive_authors_note_moves_the_cursor_but_shows_no_card():
    me, a, _b, ids = _world()
    get_user_model().objects.filter(pk=a.pk).update(is_active=False)
    page = selectors.following_feed(viewer_id=me.pk, cursor=None, limit=len(ids) - 1)
    authors = dict(Note.objects.filter(pk__in=ids).values_list("id", "author_id"))
    shown = [note_id for note_id in ids[: len(ids) - 1] if authors[note_id] != a.pk]
    assert [card.id for card in page.items] == shown
    last = Note.objects.get(pk=ids[len(ids) - 2])
    assert page.next_cursor == encode_cursor([last.published_at, last.pk])


@pytest.mark.parametrize("backend", ["sql", pytest.param("redis", marks=pytest.mark.redis)])
def test_author_cards_follow_profile_changes(backend, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        me, a, _b, _ids = _world()

    def card_of_a() -> UserCard:
        page = selectors.following_feed(viewer_id=me.pk, cursor=None, limit=50)
        return next(card.author for card in page.items if card.author.id == a.pk)

    assert card_of_a() == account_selectors.user_cards([a.pk])[a.pk]
    profile_update(user=a, nickname="新名字", city="杭州")
    assert (card_of_a().nickname, card_of_a().city) == ("新名字", "杭州")
    avatar_set(user=a, upload=image_upload())
    assert card_of_a().avatar_url == account_selectors.user_cards([a.pk])[a.pk].avatar_url != ""
    get_user_model().objects.filter(pk=a.pk).update(is_active=False)
    page = selectors.following_feed(viewer_id=me.pk, cursor=None, limit=50)
    assert page.source == ("redis" if backend == "redis" else "sql")
    assert a.pk not in {card.author.id for card in page.items}
    assert page.items  # b's notes stay


def test_likes_and_deletes_show_on_the_next_read():
    me, _a, _b, ids = _world()
    newest = ids[0]
    services.note_like(user_id=me.pk, note_id=newest)
    page = selectors.following_feed(viewer_id=me.pk, cursor=None, limit=1)
    assert (page.items[0].id, page.items[0].liked_by_me) == (newest, True)
    services.note_unlike(user_id=me.pk, note_id=newest)
    page = selectors.following_feed(viewer_id=me.pk, cursor=None, limit=1)
    assert page.items[0].liked_by_me is False
    author = Note.objects.get(pk=newest).author_id
    services.note_delete(actor_id=author, note_id=newest)
    page = selectors.following_feed(viewer_id=me.pk, cursor=None, limit=1)
    assert page.items[0].id == ids[1]


# --- The answer, written without ninja's re-validation -----------------------------------------


def _ninja_bytes(page: FeedPage) -> bytes:
    validated = FeedPageOut.model_validate(page, from_attributes=True)
    return json.dumps(validated.model_dump(), cls=NinjaJSONEncoder).encode()


def test_feed_page_json_is_what_ninja_would_send():
    author = UserCard(id=7, nickname="小红", avatar_url="/media/a.webp", city="上海")
    moment = clock.now().replace(microsecond=123456)
    cards = [
        NoteCard(
            id=1,
            author=author,
            title='标题 "quoted" </script>',
            excerpt="正文…",
            cover_url="/media/c.webp",
            image_count=2,
            like_count=3,
            comment_count=4,
            visibility="public",
            status="published",
            moderation_state="visible",
            published_at=moment,
            is_repost=False,
            repost_of_id=None,
            circle_id=None,
            is_pinned=False,
            liked_by_me=True,
            cover_width=800,
            cover_height=600,
            reason="因为你关注了小红",
        ),
        NoteCard(
            id=2,
            author=author,
            title="",
            excerpt="",
            cover_url="",
            image_count=0,
            like_count=0,
            comment_count=0,
            visibility="friends",
            status="published",
            moderation_state="visible",
            published_at=moment.replace(microsecond=0) - timedelta(days=1),
            is_repost=True,
            repost_of_id=1,
            circle_id=9,
            is_pinned=True,
        ),
    ]
    for page in (
        FeedPage(items=cards, next_cursor="abc", source="redis", list_id="L1"),
        FeedPage(items=[], next_cursor=None),
    ):
        response = feed_page_response(page)
        assert response.content == _ninja_bytes(page)
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert list(feed_page_data(page)) == list(FeedPageOut.model_fields)


def test_following_feed_over_http(api_client):
    me, _a, _b, ids = _world()
    response = api_client.get(f"{FEED}?limit=3", headers=bearer(me))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert [item["id"] for item in body["items"]] == ids[:3]
    assert body["source"] == "sql"
    page = selectors.following_feed(viewer_id=me.pk, cursor=None, limit=3)
    assert response.content == _ninja_bytes(page)
    second = api_client.get(f"{FEED}?limit=3&cursor={body['next_cursor']}", headers=bearer(me))
    assert [item["id"] for item in second.json()["items"]] == ids[3:6]
    assert api_client.get(FEED).status_code == 401


@pytest.mark.parametrize(
    ("query", "field"), [("cursor=forged", "cursor"), ("limit=0", "limit"), ("limit=x", "limit")]
)
def test_bad_feed_parameters_are_400_naming_the_field(api_client, query, field):
    me = UserFactory()
    response = api_client.get(f"{FEED}?{query}", headers=bearer(me))
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_discover_feed_answer_keeps_the_schemas_shape(api_client):
    _world()
    response = api_client.get("/api/v1/social/feed/discover?limit=3")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert list(body) == list(FeedPageOut.model_fields)
    assert len(body["items"]) == 3  # the public originals: two by a, one by a stranger
    for item in body["items"]:
        assert list(item) == list(NoteCardOut.model_fields)
        assert list(item["author"]) == ["id", "nickname", "avatar_url", "city"]
    page = selectors.discover_feed(viewer_id=None, cursor=None, limit=3)
    assert response.content == _ninja_bytes(page)


# --- Redis: the Lua reads and the remembered celebrities ----------------------------------------


def _reference_after(
    sets: list[list[tuple[int, int]]],
    *,
    sizes: list[int],
    position: feed_store.Position,
    count: int,
    capacity: int,
) -> tuple[list[feed_store.Position], bool]:
    """The merge as it was written in Python before it moved beside the data."""
    fetched = count + 8
    streams = []
    horizon = None
    for entries, size in zip(sets, sizes, strict=True):
        got = sorted((e for e in entries if e[0] <= position[0]), reverse=True)[:fetched]
        below = [entry for entry in got if entry < position]
        if len(got) < fetched and size >= capacity:
            lowest = below[-1] if below else position
            horizon = lowest if horizon is None else max(horizon, lowest)
        streams.append(below)
    merged: list[feed_store.Position] = []
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
    return merged, horizon is not None and len(merged) < count


@pytest.mark.redis
def test_lua_merge_matches_the_python_merge_it_replaced():
    rng = random.Random(13)
    redis = feed_store._redis()
    keys = [feed_store.author_key(900_000 + index) for index in range(4)]
    for trial in range(60):
        capacity = rng.choice([5, 20, 800])
        sets = []
        for key in keys:
            redis.delete(key)
            entries = {
                (rng.randrange(10**15, 10**15 + 40) * 1000, rng.randrange(1, 400))
                for _ in range(rng.randrange(0, 30))
            }
            entries = set(sorted(entries, reverse=True)[:capacity])
            if entries:
                redis.zadd(key, {feed_store.member_of(i): s for s, i in entries})
            sets.append(sorted(entries, reverse=True))
        # The same note may sit in two sets (a celebrity's and the reader's).
        sizes = [redis.zcard(key) for key in keys]
        sets = [
            sorted({(int(s), int(m)) for m, s in redis.zrange(key, 0, -1, withscores=True)})
            for key in keys
        ]
        everything = sorted({entry for entries in sets for entry in entries}, reverse=True)
        positions = [feed_store.TOP, *rng.sample(everything, k=min(3, len(everything)))]
        for position in positions:
            count = rng.choice([1, 3, 7, 42])
            with override_settings(SOCIAL_FEED_MAX_ITEMS=capacity):
                got, incomplete, _ready = feed_store.after(
                    keys=keys, position=position, count=count
                )
            expected = _reference_after(
                sets, sizes=sizes, position=position, count=count, capacity=capacity
            )
            assert (got, incomplete) == expected, (trial, position, count)


@pytest.mark.redis
def test_redis_page_reads_one_query_once_celebrities_are_remembered(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        me, _a, _b, ids = _world()
    selectors.following_feed(viewer_id=me.pk, cursor=None, limit=3)  # builds, remembers
    with django_assert_num_queries(1):
        page = selectors.following_feed(viewer_id=me.pk, cursor=None, limit=3)
    assert page.source == "redis"
    assert [card.id for card in page.items] == ids[:3]
    sql, _ = _walk_sql(me.pk, limit=2)
    redis, _ = _walk(me.pk, limit=2)
    assert [card.id for card in redis] == [card.id for card in sql] == ids
    assert redis == sql


def _walk_sql(viewer_id: int, *, limit: int) -> tuple[list[NoteCard], list[str | None]]:
    with override_settings(SOCIAL_FEED_BACKEND="sql"):
        return _walk(viewer_id, limit=limit)


def _next_global(stamp: str) -> str:
    threshold, global_generation, own_generation = stamp.split(":")
    return f"{threshold}:{int(global_generation) + 1}:{own_generation}"


def _remembered(user_id: int) -> list[int] | None:
    found, _stamp = feed_store.cached_celebrities(user_id, threshold=3)
    return None if found is None else sorted(found)


@pytest.mark.redis
@override_settings(SOCIAL_CELEBRITY_FOLLOWERS=3)
def test_remembered_celebrities_follow_every_graph_change(django_capture_on_commit_callbacks):
    star, rising, reader = UserFactory(), UserFactory(), UserFactory()
    fans = [UserFactory() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        for fan in fans:
            follow(fan, star)
        follow(fans[0], rising)
    assert selectors.celebrities_followed(reader.pk) == []
    assert _remembered(reader.pk) == []
    # The reader follows the celebrity: forgotten after the commit, recomputed on read.
    with django_capture_on_commit_callbacks(execute=True):
        follow(reader, star)
        follow(reader, rising)
    assert _remembered(reader.pk) is None
    assert selectors.celebrities_followed(reader.pk) == [star.pk]
    # `rising` (two followers: fans[0] and the reader) crosses the threshold ...
    with django_capture_on_commit_callbacks(execute=True):
        follow(fans[2], rising)
    assert _remembered(reader.pk) is None
    assert sorted(selectors.celebrities_followed(reader.pk)) == sorted([star.pk, rising.pk])
    # ... and falls back below it.
    with django_capture_on_commit_callbacks(execute=True):
        services.follow_delete(follower_id=fans[2].pk, followee_id=rising.pk)
    assert selectors.celebrities_followed(reader.pk) == [star.pk]
    # Unfollow.
    with django_capture_on_commit_callbacks(execute=True):
        services.follow_delete(follower_id=reader.pk, followee_id=star.pk)
    assert selectors.celebrities_followed(reader.pk) == []
    # A block removes follows both ways.
    with django_capture_on_commit_callbacks(execute=True):
        follow(reader, star)
    assert selectors.celebrities_followed(reader.pk) == [star.pk]
    with django_capture_on_commit_callbacks(execute=True):
        services.block_create(blocker_id=star.pk, blocked_id=reader.pk)
    assert selectors.celebrities_followed(reader.pk) == []
    # Bulk imports and recounts forget every reader's list.
    with django_capture_on_commit_callbacks(execute=True):
        services.block_delete(blocker_id=star.pk, blocked_id=reader.pk)
        services.follows_bulk_insert([(reader.pk, star.pk)], recount=False)
    assert _remembered(reader.pk) is None
    assert selectors.celebrities_followed(reader.pk) == [star.pk]
    _found, stamp = feed_store.cached_celebrities(reader.pk, threshold=3)
    with django_capture_on_commit_callbacks(execute=True):
        services.graph_counters_rebuild([reader.pk, star.pk])
    assert feed_store.cached_celebrities(reader.pk, threshold=3) == (None, _next_global(stamp))


@pytest.mark.redis
@override_settings(SOCIAL_CELEBRITY_FOLLOWERS=3)
def test_a_list_computed_before_a_change_is_never_served_after_it():
    star, reader = UserFactory(), UserFactory()
    _found, stamp_before = feed_store.cached_celebrities(reader.pk, threshold=3)
    feed_store.readers_follows_changed([reader.pk])  # a follow commits meanwhile
    feed_store.remember_celebrities(reader.pk, stamp=stamp_before, author_ids=[star.pk])
    assert feed_store.cached_celebrities(reader.pk, threshold=3)[0] is None
    feed_store.celebrities_changed()
    _found, stamp = feed_store.cached_celebrities(reader.pk, threshold=3)
    feed_store.remember_celebrities(reader.pk, stamp=stamp, author_ids=[star.pk])
    assert feed_store.cached_celebrities(reader.pk, threshold=3)[0] == [star.pk]
    # Another threshold is another list.
    assert feed_store.cached_celebrities(reader.pk, threshold=4)[0] is None
    feed_store.celebrities_changed()
    assert feed_store.cached_celebrities(reader.pk, threshold=3)[0] is None


@pytest.mark.redis
@override_settings(SOCIAL_CELEBRITY_FOLLOWERS=3)
def test_feed_sees_a_new_celebrity_follow_at_once(django_capture_on_commit_callbacks):
    star, reader = UserFactory(), UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            follow(UserFactory(), star)
        starred = note(star, "明星发帖")
    assert services.note_fan_out(starred.pk) == 0  # celebrities are merged at read time
    assert selectors.following_feed(viewer_id=reader.pk, cursor=None, limit=5).items == []
    with django_capture_on_commit_callbacks(execute=True):
        follow(reader, star)
    # The follow's backfill put the note in the reader's own set too: take it out, so only
    # the merge of the celebrity's set (which needs the fresh list) can show it.
    feed_store.remove(key=feed_store.feed_key(reader.pk), note_ids=[starred.pk])
    page = selectors.following_feed(viewer_id=reader.pk, cursor=None, limit=5)
    assert (page.source, [card.id for card in page.items]) == ("redis", [starred.pk])
    with django_capture_on_commit_callbacks(execute=True):
        services.follow_delete(follower_id=reader.pk, followee_id=star.pk)
    assert selectors.following_feed(viewer_id=reader.pk, cursor=None, limit=5).items == []


@pytest.mark.redis
def test_the_list_is_forgotten_when_the_follow_commits():
    reader, star = UserFactory(), UserFactory()
    with override_settings(SOCIAL_CELEBRITY_FOLLOWERS=0):
        assert selectors.celebrities_followed(reader.pk) == []
        follow(reader, star)  # inside the test's transaction: no commit, no bump yet
        # Until the commit the remembered list stands (as any read before a commit would).
        assert selectors.celebrities_followed(reader.pk) == []
        feed_store.readers_follows_changed([reader.pk])  # what the commit would do
        assert selectors.celebrities_followed(reader.pk) == [star.pk]
