"""Feeds: following (SQL pull and Redis fan-out give the same pages), discover, topic,
profile; keyset pages stay exact while new notes arrive; blocks keep content out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings

from circlemart.core import clock
from circlemart.social import feed_store, selectors, services
from circlemart.social.models import Note
from tests.accounts.factories import UserFactory
from tests.social.helpers import follow, note

pytestmark = pytest.mark.django_db


def walk(read, *, limit: int, between=None) -> list[int]:
    """All ids of a feed, page by page; `between(page_number)` runs between pages."""
    seen: list[int] = []
    cursor = None
    for number in range(100):
        page = read(cursor=cursor, limit=limit)
        seen += [card.id for card in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen
        if between:
            between(number)
    raise AssertionError("feed did not end")


def _world():
    me, a, b, stranger = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    follow(me, a)
    follow(me, b)
    follow(b, me)  # b and I are friends
    written = []
    for index in range(7):
        written.append(note(a, f"a{index}"))
        written.append(note(b, f"b{index}"))
    note(stranger, "not followed")
    friends_only = note(b, "friends", visibility="friends")
    followers_only = note(a, "fans", visibility="followers")
    note(a, "hidden friends", visibility="friends")  # a does not follow me back
    circle = services.circle_create(owner_id=a.pk, name="圈子")
    services.circle_join(user_id=me.pk, circle_id=circle.pk)
    note(a, "circle only", visibility="circle", circle_id=circle.pk)
    note(a, "draft", publish=False)
    expected = [followers_only.pk, friends_only.pk] + [n.pk for n in reversed(written)]
    return me, a, b, expected


def test_following_feed_sql_newest_first_with_visibility(django_assert_max_num_queries):
    me, _, _, expected = _world()
    with django_assert_max_num_queries(5):
        page = selectors.following_feed(viewer_id=me.pk, cursor=None, limit=5)
    assert [card.id for card in page.items] == expected[:5]
    assert page.source == "sql"
    assert walk(lambda **kw: selectors.following_feed(viewer_id=me.pk, **kw), limit=4) == expected


def test_pages_have_no_duplicates_or_gaps_while_new_posts_arrive():
    me, a, b, expected = _world()

    def post_more(number: int) -> None:
        note(a, f"late {number}")
        note(b, f"late b {number}")

    seen = walk(
        lambda **kw: selectors.following_feed(viewer_id=me.pk, **kw), limit=3, between=post_more
    )
    assert seen == expected


def test_blocked_users_content_never_appears_in_feeds():
    me, a, b, _ = _world()
    services.block_create(blocker_id=me.pk, blocked_id=a.pk)
    ids = walk(lambda **kw: selectors.following_feed(viewer_id=me.pk, **kw), limit=50)
    authors = set(Note.objects.filter(pk__in=ids).values_list("author_id", flat=True))
    assert authors == {b.pk}
    for read in (
        lambda **kw: selectors.discover_feed(viewer_id=me.pk, **kw),
        lambda **kw: selectors.profile_feed(author_id=a.pk, viewer_id=me.pk, **kw),
        lambda **kw: selectors.topic_feed(name="x", viewer_id=me.pk, **kw),
    ):
        ids = walk(read, limit=50)
        assert a.pk not in set(Note.objects.filter(pk__in=ids).values_list("author_id", flat=True))
    # Even a block by the other side (not by me) keeps their notes out.
    services.block_create(blocker_id=b.pk, blocked_id=me.pk)
    assert selectors.following_feed(viewer_id=me.pk, cursor=None, limit=50).items == []


def test_discover_orders_by_decayed_popularity():
    author, fans = UserFactory(), [UserFactory() for _ in range(20)]
    old_popular = note(author, "old but loved")
    Note.objects.filter(pk=old_popular.pk).update(published_at=clock.now() - timedelta(hours=10))
    for fan in fans:
        services.note_like(user_id=fan.pk, note_id=old_popular.pk)
    fresh = note(author, "fresh")
    ancient = note(author, "ancient")
    Note.objects.filter(pk=ancient.pk).update(published_at=clock.now() - timedelta(days=30))
    services.note_like(
        user_id=fans[0].pk, note_id=ancient.pk
    )  # refreshes its score from the new time
    ids = walk(lambda **kw: selectors.discover_feed(viewer_id=None, **kw), limit=2)
    assert ids == [old_popular.pk, fresh.pk, ancient.pk]


def test_bad_cursor_is_refused():
    from circlemart.core.errors import ValidationFailed

    me = UserFactory()
    with pytest.raises(ValidationFailed) as caught:
        selectors.following_feed(viewer_id=me.pk, cursor="forged", limit=5)
    assert caught.value.field == "cursor"


# --- Redis fan-out -----------------------------------------------------------------------------


def _both_paths(viewer_id: int, *, limit: int) -> tuple[list[int], list[int]]:
    with override_settings(SOCIAL_FEED_BACKEND="sql"):
        sql = walk(lambda **kw: selectors.following_feed(viewer_id=viewer_id, **kw), limit=limit)
    redis = walk(lambda **kw: selectors.following_feed(viewer_id=viewer_id, **kw), limit=limit)
    return sql, redis


@pytest.mark.redis
def test_redis_and_sql_paths_give_the_same_feed(django_capture_on_commit_callbacks):
    assert feed_store.enabled()
    with django_capture_on_commit_callbacks(execute=True):
        me, a, b, expected = _world()
    first = selectors.following_feed(viewer_id=me.pk, cursor=None, limit=5)
    assert first.source == "redis"
    sql, redis = _both_paths(me.pk, limit=4)
    assert sql == redis == expected
    # New notes fan out after commit into the built feed.
    with django_capture_on_commit_callbacks(execute=True):
        late = note(a, "late")
    assert selectors.following_feed(viewer_id=me.pk, cursor=None, limit=1).items[0].id == late.pk
    # Unfollow, block, delete: Redis entries are re-checked on read.
    with django_capture_on_commit_callbacks(execute=True):
        services.note_delete(actor_id=a.pk, note_id=late.pk)
        services.follow_delete(follower_id=me.pk, followee_id=b.pk)
    sql, redis = _both_paths(me.pk, limit=3)
    assert sql == redis
    assert set(Note.objects.filter(pk__in=redis).values_list("author_id", flat=True)) == {a.pk}


@pytest.mark.redis
@override_settings(SOCIAL_CELEBRITY_FOLLOWERS=3)
def test_celebrity_posts_are_merged_at_read_time_not_fanned_out(django_capture_on_commit_callbacks):
    star, ordinary = UserFactory(), UserFactory()
    fans = [UserFactory() for _ in range(4)]
    with django_capture_on_commit_callbacks(execute=True):
        for fan in fans:
            follow(fan, star)
        follow(fans[0], ordinary)
    for fan in fans:  # build every fan's set before the posts
        selectors.following_feed(viewer_id=fan.pk, cursor=None, limit=5)
    with django_capture_on_commit_callbacks(execute=True):
        star_note = note(star, "明星发帖")
        plain = note(ordinary, "普通人发帖")
    assert services.note_fan_out(star_note.pk) == 0  # no per-follower writes
    assert services.note_fan_out(plain.pk) == 1
    redis = feed_store._redis()
    member = feed_store.member_of(star_note.pk)
    assert redis.zscore(feed_store.feed_key(fans[1].pk), member) is None
    assert redis.zscore(feed_store.author_key(star.pk), member) is not None
    for fan in fans:
        sql, merged = _both_paths(fan.pk, limit=1)
        assert sql == merged
    assert _both_paths(fans[0].pk, limit=1)[1] == [plain.pk, star_note.pk]


@pytest.mark.redis
@override_settings(SOCIAL_FEED_MAX_ITEMS=5)
def test_truncated_redis_feed_continues_in_sql(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        me, _a, _b, expected = _world()
    sql, redis = _both_paths(me.pk, limit=3)
    assert sql == redis == expected
