"""PIPL art. 24: with personalisation off, nothing about the viewer shapes any surface."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from circlemart.accounts.models import User
from circlemart.orders.models import Order
from circlemart.recommend.bundle import Bundle, use_bundle_for_tests
from circlemart.recommend.contracts import RecommendationList
from circlemart.recommend.models import SessionView
from circlemart.recommend.selectors import surfaces
from circlemart.recommend.services.preferences import interests_set, personalisation_set
from circlemart.recommend.services.session import session_record
from circlemart.social.services.graph import follow_create
from tests.accounts.factories import UserFactory
from tests.recommend.serving.bundles import make_bundle
from tests.recommend.serving.purchases import buy
from tests.recommend.serving.shop import Shop, make_shop

pytestmark = pytest.mark.django_db


@dataclass
class Known:
    user: User
    shop: Shop
    bundle: Bundle


@pytest.fixture
def known(pay: Callable[..., Order]) -> Known:
    """A user the shop knows a lot about: model candidates, a session, interests, a purchase
    and a friend's purchase."""
    shop = make_shop(10, categories=5, brands=5)
    p = shop.ids()
    user, friend = UserFactory(), UserFactory()
    follow_create(follower_id=user.pk, followee_id=friend.pk)
    follow_create(follower_id=friend.pk, followee_id=user.pk)
    buy(pay, user, shop.products[1])
    buy(pay, friend, shop.products[2])
    interests_set(user_id=user.pk, category_ids=[shop.categories[4].pk])
    bundle = make_bundle(
        items=p,
        users=[user.pk],
        candidates={user.pk: [(p[8], 1.0, p[7]), (p[1], 0.9, None)]},
        similar={p[0]: [(p[1], 1.0), (p[3], 0.5)], p[5]: [(p[6], 1.0)]},
        bought_together={p[0]: [(p[1], 2.0), (p[4], 1.0)]},
        popularity={q: 1.0 - n * 0.05 for n, q in enumerate(p)},
        repeat_days={p[1]: 0.0},
    )
    with use_bundle_for_tests(bundle):
        session_record(session_key="mine", viewer_id=user.pk, product_id=p[5], kind="view")
    return Known(user=user, shop=shop, bundle=bundle)


def ids_of(recommendations: RecommendationList) -> list[int]:
    return [item.object_id for item in recommendations.items]


def every_surface(viewer_id: int | None, session_key: str, p: list[int]) -> dict[str, list[int]]:
    return {
        "for_you": ids_of(surfaces.for_you(viewer_id=viewer_id, session_key=session_key)),
        "similar": ids_of(
            surfaces.similar(product_id=p[0], viewer_id=viewer_id, session_key=session_key)
        ),
        "bought_together": ids_of(
            surfaces.bought_together(product_id=p[0], viewer_id=viewer_id, session_key=session_key)
        ),
        "cart_addons": ids_of(
            surfaces.cart_addons(product_ids=[p[0]], viewer_id=viewer_id, session_key=session_key)
        ),
    }


def test_the_fixture_does_shape_the_lists_while_personalisation_is_on(known: Known) -> None:
    p = known.shop.ids()
    with use_bundle_for_tests(known.bundle):
        mine = every_surface(known.user.pk, "mine", p)
        anyone = every_surface(None, "fresh", p)
        friends = surfaces.friends_activity(viewer_id=known.user.pk)
        assert surfaces.is_personalised_for(known.user.pk) is True
    assert mine["for_you"][:2] == [p[6], p[8]]  # the session's neighbour, then the model's
    assert mine != anyone
    assert p[1] not in mine["similar"]  # already bought
    assert ids_of(friends) == [p[2]]


def test_with_personalisation_off_every_surface_serves_what_anyone_gets(known: Known) -> None:
    p = known.shop.ids()
    personalisation_set(user_id=known.user.pk, is_personalised=False)
    with use_bundle_for_tests(known.bundle):
        mine = every_surface(known.user.pk, "mine", p)
        anyone = every_surface(None, "fresh", p)
        for_you = surfaces.for_you(viewer_id=known.user.pk, session_key="mine")
        again = surfaces.buy_again(viewer_id=known.user.pk, session_key="mine")
        friends = surfaces.friends_activity(viewer_id=known.user.pk)
        friends_here = surfaces.friends_activity(viewer_id=known.user.pk, product_id=p[2])
        recorded = session_record(
            session_key="mine", viewer_id=known.user.pk, product_id=p[0], kind="view"
        )
        assert surfaces.is_personalised_for(known.user.pk) is False
    assert mine == anyone
    assert (for_you.model_version, for_you.is_personalised) == (None, False)
    assert all(
        item.reason is None or item.reason.kind in {"popular", "trending", "new"}
        for item in for_you.items
    )
    assert again.items == ()
    assert friends.items == ()
    assert friends_here.items == ()
    assert recorded is False
    assert not SessionView.objects.filter(user_id=known.user.pk).exists()  # the trail is gone too


def test_turning_it_back_on_restores_personal_lists(known: Known) -> None:
    personalisation_set(user_id=known.user.pk, is_personalised=False)
    personalisation_set(user_id=known.user.pk, is_personalised=True)
    p = known.shop.ids()
    with use_bundle_for_tests(known.bundle):
        served = surfaces.for_you(viewer_id=known.user.pk, session_key="mine")
    assert served.model_version == 1
    assert ids_of(served)[0] == p[8]  # the session was forgotten; the model's candidate leads
