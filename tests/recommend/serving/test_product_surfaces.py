"""Similar, bought together, cart add-ons, buy again and friends' purchases."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from circlemart.catalog.models import Product
from circlemart.core.errors import ValidationFailed
from circlemart.orders.models import Order
from circlemart.recommend.bundle import use_bundle_for_tests
from circlemart.recommend.contracts import RecommendationList
from circlemart.recommend.selectors import surfaces
from circlemart.social.services.graph import follow_create
from tests.accounts.factories import UserFactory
from tests.recommend.serving.bundles import make_bundle
from tests.recommend.serving.purchases import buy
from tests.recommend.serving.shop import make_shop

pytestmark = pytest.mark.django_db
Pay = Callable[..., Order]


def ids_of(recommendations: RecommendationList) -> list[int]:
    return [item.object_id for item in recommendations.items]


def test_similar_lists_the_neighbours_without_the_product_itself() -> None:
    shop = make_shop(6)
    p = shop.ids()
    bundle = make_bundle(
        items=p, similar={p[0]: [(p[0], 1.0), (p[2], 0.9), (p[3], 0.5)]}, version_id=3
    )
    with use_bundle_for_tests(bundle):
        served = surfaces.similar(product_id=p[0], viewer_id=None, session_key="s")
    assert ids_of(served) == [p[2], p[3]]
    assert served.model_version == 3
    assert served.is_personalised is False
    reason = served.items[0].reason
    assert reason is not None
    assert (reason.kind, reason.product_id, reason.label) == (
        "similar",
        p[0],
        "Similar to Product 0",
    )


def test_unknown_or_hidden_products_give_an_empty_list_and_bad_limits_are_refused() -> None:
    shop = make_shop(3)
    p = shop.ids()
    bundle = make_bundle(items=p, similar={p[0]: [(p[1], 1.0)]})
    with use_bundle_for_tests(bundle):
        for product_id in (999_999, -4, "7", None):
            assert (
                surfaces.similar(product_id=product_id, viewer_id=None, session_key="s").items == ()
            )  # type: ignore[arg-type]
            assert (
                surfaces.bought_together(
                    product_id=product_id, viewer_id=None, session_key="s"
                ).items
                == ()
            )  # type: ignore[arg-type]
        with pytest.raises(ValidationFailed) as refused:
            surfaces.similar(product_id=p[0], viewer_id=None, session_key="s", limit=101)
        assert refused.value.field == "limit"


def test_a_product_newer_than_the_model_gets_neighbours_by_its_text() -> None:
    titles = [
        "无线蓝牙耳机 黑色",
        "无线蓝牙耳机 白色",
        "不锈钢保温杯",
        "陶瓷马克杯",
        "无线蓝牙耳机 新款",
    ]
    shop = make_shop(5, titles=titles)
    p = shop.ids()
    known = p[:4]
    bundle = make_bundle(items=known, texts={q: titles[n] for n, q in enumerate(known)})
    with use_bundle_for_tests(bundle):
        served = surfaces.similar(product_id=p[4], viewer_id=None, session_key="s", limit=2)
    assert set(ids_of(served)) == {p[0], p[1]}
    assert served.model_version == 1


def test_product_lists_are_cached_per_product_and_model_version() -> None:
    shop = make_shop(4)
    p = shop.ids()
    old = make_bundle(items=p, similar={p[0]: [(p[1], 1.0)]}, version_id=1)
    new = make_bundle(items=p, similar={p[0]: [(p[2], 1.0)]}, version_id=2)
    with use_bundle_for_tests(old):
        assert ids_of(surfaces.similar(product_id=p[0], viewer_id=None, session_key="s")) == [p[1]]
    assert cache.get(f"rec:similar:1:{p[0]}") is not None
    with use_bundle_for_tests(new):
        assert ids_of(surfaces.similar(product_id=p[0], viewer_id=None, session_key="s")) == [p[2]]


def test_bought_together_and_cart_addons_follow_co_purchases() -> None:
    shop = make_shop(8, categories=8, brands=8)
    p = shop.ids()
    bundle = make_bundle(
        items=p,
        bought_together={p[0]: [(p[1], 5.0), (p[2], 1.0)], p[3]: [(p[2], 4.0), (p[0], 1.0)]},
        similar={p[0]: [(p[6], 1.0)]},
    )
    with use_bundle_for_tests(bundle):
        together = surfaces.bought_together(product_id=p[0], viewer_id=None, session_key="s")
        addons = surfaces.cart_addons(product_ids=[p[0], p[3]], viewer_id=None, session_key="s")
        with pytest.raises(ValidationFailed) as refused:
            surfaces.cart_addons(product_ids=list(range(1, 200)), viewer_id=None, session_key="s")
        garbage = surfaces.cart_addons(product_ids=["x", -1], viewer_id=None, session_key="s")  # type: ignore[list-item]
    assert ids_of(together) == [p[1], p[2]]
    assert together.items[0].reason is not None
    assert together.items[0].reason.label == "Bought together often"
    # p[2] is co-bought with both cart items; the cart items themselves never come back
    assert ids_of(addons) == [p[2], p[1], p[6]]
    assert refused.value.field == "product_ids"
    assert garbage.items == ()


def test_already_bought_products_are_left_out_unless_bought_again_and_again(pay: Pay) -> None:
    shop = make_shop(5, categories=5, brands=5)
    p = shop.ids()
    user = UserFactory()
    buy(pay, user, shop.products[1])  # a one-off
    buy(pay, user, shop.products[2])  # bought every 30 days
    bundle = make_bundle(
        items=p,
        users=[user.pk],
        candidates={user.pk: [(p[1], 1.0, None), (p[2], 0.9, None), (p[3], 0.8, None)]},
        similar={p[0]: [(p[1], 1.0), (p[2], 0.9), (p[3], 0.8)]},
        repeat_days={p[2]: 30.0},
    )
    with use_bundle_for_tests(bundle):
        mine = surfaces.for_you(viewer_id=user.pk, session_key="s", limit=3)
        near = surfaces.similar(product_id=p[0], viewer_id=user.pk, session_key="s")
        anyone = surfaces.similar(product_id=p[0], viewer_id=None, session_key="s")
    assert ids_of(mine)[:2] == [p[2], p[3]]
    assert ids_of(near) == [p[2], p[3]]
    assert ids_of(anyone) == [p[1], p[2], p[3]]


def test_buy_again_offers_repeat_products_that_are_due(pay: Pay) -> None:
    shop = make_shop(4, categories=4, brands=4)
    p = shop.ids()
    user = UserFactory()
    for product in shop.products[:3]:
        buy(pay, user, product)
    Order.objects.filter(buyer_id=user.pk).update(paid_at=timezone.now() - timedelta(days=30))
    bundle = make_bundle(
        items=p,
        users=[user.pk],
        # p0 is due (bought 30 days ago, usually every 28), p1 is not due, p2 is no repeat product
        repeat_days={p[0]: 28.0, p[1]: 1000.0},
    )
    with use_bundle_for_tests(bundle):
        due = surfaces.buy_again(viewer_id=user.pk, session_key="s")
    assert ids_of(due) == [p[0]]
    reason = due.items[0].reason
    assert reason is not None
    assert (reason.kind, reason.product_id, reason.label) == ("repeat", p[0], "Time to restock?")
    assert due.is_personalised is True


def test_restock_scores_peak_at_the_usual_interval() -> None:
    bundle = make_bundle(items=[1, 2, 3, 4], repeat_days={1: 10.0, 2: 10.0, 3: 10.0, 4: 10.0})
    now = time.time()
    day = 86_400
    pool = surfaces._restock_pool(
        bundle, {1: now - 10 * day, 2: now - 30 * day, 3: now - 7 * day, 4: now - 2 * day}, now
    )
    assert [c.product_id for c in pool] == [1, 3, 2]  # 4 was bought too recently


def test_friends_purchases_are_a_social_signal(pay: Pay) -> None:
    shop = make_shop(4, categories=4, brands=4)
    p = shop.ids()
    viewer, friend, other_friend, stranger = (
        UserFactory(),
        UserFactory(),
        UserFactory(),
        UserFactory(),
    )
    for someone in (friend, other_friend):
        follow_create(follower_id=viewer.pk, followee_id=someone.pk)
        follow_create(follower_id=someone.pk, followee_id=viewer.pk)
    follow_create(follower_id=viewer.pk, followee_id=stranger.pk)  # one-way: not a friend
    buy(pay, friend, shop.products[0])
    buy(pay, other_friend, shop.products[0])
    buy(pay, other_friend, shop.products[1])
    buy(pay, stranger, shop.products[2])
    with use_bundle_for_tests(None):
        served = surfaces.friends_activity(viewer_id=viewer.pk)
        on_page = surfaces.friends_activity(viewer_id=viewer.pk, product_id=p[1])
    assert ids_of(served) == [p[0], p[1]]
    labels = [item.reason.label for item in served.items if item.reason]
    assert labels == ["2 of your friends bought this", "Your friends bought this"]
    assert ids_of(on_page) == [p[1]]
    assert served.is_personalised is True


def test_without_a_model_similar_falls_back_to_best_sellers_of_the_same_category() -> None:
    shop = make_shop(6, categories=2, brands=6)
    p = shop.ids()
    Product.objects.filter(pk=p[4]).update(sales_count=9)
    with use_bundle_for_tests(None):
        served = surfaces.similar(product_id=p[0], viewer_id=None, session_key="s")
        together = surfaces.bought_together(product_id=p[0], viewer_id=None, session_key="s")
    assert ids_of(served) == [p[4], p[2]]  # category 0 holds p0, p2, p4; p0 itself is left out
    assert served.model_version is None
    assert together.items == ()


def test_paid_products_are_read_in_one_query_per_set_of_buyers(
    pay: Pay, django_assert_num_queries: Callable[..., object]
) -> None:
    from circlemart.orders import selectors as order_selectors

    shop = make_shop(3, categories=3, brands=3)
    p = shop.ids()
    buyer, other, idle = UserFactory(), UserFactory(), UserFactory()
    first = buy(pay, buyer, shop.products[0])
    buy(pay, buyer, shop.products[1])
    buy(pay, other, shop.products[1])
    earlier = timezone.now() - timedelta(days=40)
    Order.objects.filter(pk=first.pk).update(paid_at=earlier)

    with django_assert_num_queries(1):
        paid = order_selectors.paid_products_of(buyer_ids=[buyer.pk, other.pk, idle.pk])

    assert set(paid) == {buyer.pk, other.pk}  # a buyer who paid for nothing is absent
    assert set(paid[buyer.pk]) == {p[0], p[1]}
    assert paid[buyer.pk][p[0]] == earlier
    assert set(paid[other.pk]) == {p[1]}
