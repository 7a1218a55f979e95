"""A small shop with a model that knows one shopper, shared by the API and view tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from circlemart.accounts.models import User
from circlemart.recommend.bundle import Bundle, use_bundle_for_tests
from circlemart.recommend.serving.catalogue import forget_facts
from circlemart.social.services.graph import follow_create
from tests.accounts.factories import UserFactory
from tests.orders.conftest import _webhooks_in_process, drain, pay  # noqa: F401 (fixtures)
from tests.recommend.serving.bundles import make_bundle
from tests.recommend.serving.shop import Shop, make_shop


@dataclass
class World:
    shop: Shop
    known: User  # the model has candidates for this shopper
    stranger: User  # signed in, unknown to the model, no interests, no history
    bundle: Bundle

    def pid(self, n: int) -> int:
        return self.shop.products[n].pk


@pytest.fixture(autouse=True)
def _fresh_facts() -> Iterator[None]:
    forget_facts()
    yield
    forget_facts()


def build_world() -> World:
    shop = make_shop(16)
    ids = shop.ids()
    known, stranger = UserFactory(), UserFactory()
    bundle = make_bundle(
        items=ids,
        users=[known.pk],
        # The shopper's own candidates, explained by what they viewed (product 0).
        candidates={known.pk: [(ids[n], 1.0 - n / 20, ids[0]) for n in range(1, 9)]},
        similar={
            ids[0]: [(ids[n], 1.0 - n / 20) for n in range(1, 7)],
            ids[12]: [(ids[13], 0.9), (ids[14], 0.8), (ids[15], 0.7)],
        },
        bought_together={ids[0]: [(ids[9], 0.9), (ids[10], 0.8)], ids[1]: [(ids[11], 0.7)]},
        # Popularity ranks the catalogue the other way round from the shopper's candidates.
        popularity={product_id: float(n + 1) for n, product_id in enumerate(ids)},
    )
    return World(shop=shop, known=known, stranger=stranger, bundle=bundle)


def befriend(user: User, *others: User) -> None:
    """Mutual follows: what the friends surface calls friends."""
    for other in others:
        follow_create(follower_id=user.pk, followee_id=other.pk)
        follow_create(follower_id=other.pk, followee_id=user.pk)


@pytest.fixture
def world(db: Any) -> Iterator[World]:
    built = build_world()
    with use_bundle_for_tests(built.bundle):
        yield built
