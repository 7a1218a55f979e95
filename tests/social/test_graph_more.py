"""Blocks, friends, exact counters."""

from __future__ import annotations

import pytest

from circlemart.core.errors import PermissionDenied, ValidationFailed
from circlemart.core.models import OutboxEvent
from circlemart.social import selectors, services
from circlemart.social.models import Block, Follow, GraphCounter
from tests.accounts.factories import UserFactory
from tests.social.helpers import follow, note

pytestmark = pytest.mark.django_db


def test_counters_follow_edges_and_friends_exactly():
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    follow(alice, bob)
    follow(bob, alice)
    follow(carol, alice)
    follow(carol, alice)  # again: nothing changes
    assert selectors.follow_counts(alice.pk) == {"followers": 2, "following": 1, "friends": 1}
    assert selectors.follow_counts(bob.pk) == {"followers": 1, "following": 1, "friends": 1}
    assert selectors.follow_counts(carol.pk) == {"followers": 0, "following": 1, "friends": 0}
    services.follow_delete(follower_id=bob.pk, followee_id=alice.pk)
    services.follow_delete(follower_id=bob.pk, followee_id=alice.pk)
    assert selectors.follow_counts(alice.pk) == {"followers": 1, "following": 1, "friends": 0}
    assert selectors.follow_counts(bob.pk) == {"followers": 1, "following": 0, "friends": 0}


def test_user_followed_event_goes_to_the_outbox_once():
    alice, bob = UserFactory(), UserFactory()
    follow(alice, bob)
    follow(alice, bob)
    rows = OutboxEvent.objects.filter(event_type="social.UserFollowed")
    assert [row.payload for row in rows] == [{"follower_id": alice.pk, "followee_id": bob.pk}]


def test_block_removes_edges_both_ways_and_refuses_follow():
    alice, bob = UserFactory(), UserFactory()
    follow(alice, bob)
    follow(bob, alice)
    assert services.block_create(blocker_id=alice.pk, blocked_id=bob.pk) is True
    assert services.block_create(blocker_id=alice.pk, blocked_id=bob.pk) is False
    assert not Follow.objects.exists()
    assert selectors.follow_counts(alice.pk) == {"followers": 0, "following": 0, "friends": 0}
    assert selectors.follow_counts(bob.pk) == {"followers": 0, "following": 0, "friends": 0}
    for a, b in ((bob, alice), (alice, bob)):
        with pytest.raises(PermissionDenied) as caught:
            services.follow_create(follower_id=a.pk, followee_id=b.pk)
        assert caught.value.code == "blocked"
    assert not Follow.objects.exists()
    relation = selectors.relationship(viewer_id=alice.pk, other_id=bob.pk)
    assert (relation.is_blocking, relation.is_blocked_by) == (True, False)
    services.block_delete(blocker_id=alice.pk, blocked_id=bob.pk)
    assert services.follow_create(follower_id=bob.pk, followee_id=alice.pk) is True


def test_self_block_is_refused():
    user = UserFactory()
    with pytest.raises(ValidationFailed) as caught:
        services.block_create(blocker_id=user.pk, blocked_id=user.pk)
    assert caught.value.code == "self_block"
    assert not Block.objects.exists()


def test_blocked_user_cannot_see_the_blockers_notes():
    alice, bob = UserFactory(), UserFactory()
    written = note(alice, "只给不屏蔽我的人看")
    assert selectors.note_detail(note_id=written.pk, viewer_id=bob.pk) is not None
    services.block_create(blocker_id=alice.pk, blocked_id=bob.pk)
    assert selectors.note_detail(note_id=written.pk, viewer_id=bob.pk) is None
    assert (
        selectors.profile_feed(author_id=alice.pk, viewer_id=bob.pk, cursor=None, limit=10).items
        == []
    )
    # …and the blocker no longer sees the blocked user's notes either.
    theirs = note(bob, "hello")
    assert selectors.note_detail(note_id=theirs.pk, viewer_id=alice.pk) is None


def test_counter_rebuild_matches_edges_after_bulk_insert():
    users = [UserFactory() for _ in range(5)]
    ids = [user.pk for user in users]
    services.follows_bulk_insert(
        [(ids[0], ids[1]), (ids[1], ids[0]), (ids[2], ids[0]), (ids[3], ids[3])]
    )
    assert selectors.follow_counts(ids[0]) == {"followers": 2, "following": 1, "friends": 1}
    GraphCounter.objects.all().delete()
    services.graph_counters_rebuild(ids)
    assert selectors.follow_counts(ids[0]) == {"followers": 2, "following": 1, "friends": 1}
    assert selectors.follow_counts(ids[4]) == {"followers": 0, "following": 0, "friends": 0}


def test_friends_page_lists_mutual_follows_only():
    me, friend, fan, idol = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    follow(me, friend)
    follow(friend, me)
    follow(fan, me)
    follow(me, idol)
    page = selectors.friends_page(user_id=me.pk, cursor=None, limit=10)
    assert [edge.followee_id for edge in page.items] == [friend.pk]
