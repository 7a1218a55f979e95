"""The follow graph and its demo seed."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from django.db import IntegrityError

from circlemart.config.seed import seed_world
from circlemart.core.errors import ValidationFailed
from circlemart.social import selectors, services
from circlemart.social.models import Follow
from circlemart.social.seed import power_law_edges
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_follow_is_idempotent_and_counts_friends():
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    assert services.follow_create(follower_id=alice.pk, followee_id=bob.pk) is True
    assert services.follow_create(follower_id=alice.pk, followee_id=bob.pk) is False
    services.follow_create(follower_id=bob.pk, followee_id=alice.pk)
    services.follow_create(follower_id=carol.pk, followee_id=alice.pk)
    assert selectors.follow_counts(alice.pk) == {"followers": 2, "following": 1, "friends": 1}
    assert services.follow_delete(follower_id=alice.pk, followee_id=bob.pk) is True
    assert selectors.follow_counts(alice.pk)["friends"] == 0


def test_self_follow_is_refused_by_service_and_database():
    user = UserFactory()
    with pytest.raises(ValidationFailed) as caught:
        services.follow_create(follower_id=user.pk, followee_id=user.pk)
    assert (caught.value.code, caught.value.field) == ("self_follow", "user")
    with pytest.raises(IntegrityError):
        Follow.objects.create(follower=user, followee=user)


def test_power_law_edges_are_repeatable_and_heavy_tailed():
    ids = list(range(1, 2001))
    first = power_law_edges(rng=random.Random(7), user_ids=ids)
    assert first == power_law_edges(rng=random.Random(7), user_ids=ids)
    assert first != power_law_edges(rng=random.Random(8), user_ids=ids)
    assert all(a != b for a, b in first)
    assert len(set(first)) == len(first)
    in_degree = Counter(followee for _, followee in first)
    ranked = sorted(in_degree.values(), reverse=True)
    top_one_percent = sum(ranked[: len(ids) // 100])
    # A power law: the top 1% of users hold a large share of all follows; the median few.
    assert top_one_percent / len(first) > 0.25
    assert ranked[len(ranked) // 2] <= 5
    assert ranked[0] > 50 * ranked[len(ranked) // 2]


def test_seed_demo_is_repeatable_without_duplicates():
    summary = seed_world(seed=3, users=120, products=30, progress=False)
    users_before = UserFactory._meta.model.objects.count()
    edges_before = selectors.edge_count()
    assert "120 shoppers" in summary
    assert edges_before > 120 * 3
    seed_world(seed=3, users=120, products=30, progress=False)
    assert UserFactory._meta.model.objects.count() == users_before
    assert selectors.edge_count() == edges_before
    names = list(UserFactory._meta.model.objects.values_list("nickname", flat=True))
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in name) for name in names)
    assert any(name.isascii() and " " in name for name in names)
