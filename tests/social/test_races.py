"""Races on real PostgreSQL with real threads: counters stay exact."""

from __future__ import annotations

import pytest

from circlemart.social import selectors, services
from circlemart.social.models import Follow, Note, NoteLike
from tests.accounts.factories import UserFactory
from tests.accounts.test_races import run_together
from tests.social.helpers import note

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_concurrent_likers_make_fifty_likes():
    author = UserFactory()
    written = note(author)
    fans = [UserFactory() for _ in range(50)]
    results = run_together(50, lambda i: services.note_like(user_id=fans[i].pk, note_id=written.pk))
    assert results == [True] * 50
    assert Note.objects.get(pk=written.pk).like_count == 50
    assert NoteLike.objects.filter(note=written).count() == 50


def test_one_user_liking_many_times_at_once_is_one_like():
    written = note(UserFactory())
    fan = UserFactory()
    results = run_together(12, lambda i: services.note_like(user_id=fan.pk, note_id=written.pk))
    assert sorted(results) == [False] * 11 + [True]
    assert Note.objects.get(pk=written.pk).like_count == 1


def test_mutual_follows_at_the_same_instant_count_one_friendship():
    for _round in range(5):
        a, b = UserFactory(), UserFactory()
        pairs = [(a.pk, b.pk), (b.pk, a.pk)] * 3

        def work(index: int, pairs: list[tuple[int, int]] = pairs) -> bool:
            follower_id, followee_id = pairs[index]
            return services.follow_create(follower_id=follower_id, followee_id=followee_id)

        run_together(6, work)
        assert selectors.follow_counts(a.pk) == {"followers": 1, "following": 1, "friends": 1}
        assert selectors.follow_counts(b.pk) == {"followers": 1, "following": 1, "friends": 1}


def test_concurrent_follows_and_unfollows_of_a_star_keep_exact_counts():
    star = UserFactory()
    fans = [UserFactory() for _ in range(30)]
    for fan in fans[:15]:
        services.follow_create(follower_id=fan.pk, followee_id=star.pk)

    def work(index: int) -> bool:
        if index < 15:
            return services.follow_delete(follower_id=fans[index].pk, followee_id=star.pk)
        return services.follow_create(follower_id=fans[index].pk, followee_id=star.pk)

    run_together(30, work)
    assert selectors.follower_count(star.pk) == Follow.objects.filter(followee=star).count() == 15


def test_block_racing_follows_leaves_no_edge():
    for _round in range(5):
        a, b = UserFactory(), UserFactory()

        def work(index: int, a=a, b=b) -> object:
            if index == 0:
                return services.block_create(blocker_id=a.pk, blocked_id=b.pk)
            return services.follow_create(follower_id=b.pk, followee_id=a.pk)

        run_together(4, work)
        assert not Follow.objects.filter(follower=b, followee=a).exists()
        assert selectors.follow_counts(a.pk)["followers"] == 0
