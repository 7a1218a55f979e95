"""Coupon races on real PostgreSQL with real threads: the database has the last word on
quantities, per-user limits and single use; every loser gets a clean refusal and writes
nothing."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from circlemart.core.errors import DomainError
from circlemart.inventory import selectors as inventory_selectors
from circlemart.orders.models import Order
from circlemart.promotions.coupons import services
from circlemart.promotions.coupons.models import CouponTemplate, CouponUse, UserCoupon
from tests.accounts.factories import UserFactory
from tests.accounts.test_races import run_together
from tests.promotions.conftest import claimed, make_buyer, make_sku, place, template

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def outcome(result: Any) -> str:
    if isinstance(result, DomainError):
        return result.code
    if isinstance(result, Exception):
        return f"crash: {type(result).__name__}: {result}"
    return "ok"


def test_fifty_shoppers_claim_a_coupon_of_which_ten_exist(settings: Any) -> None:
    settings.RATELIMIT_ENABLED = False
    coupon_template = template(total_quantity=10)
    users = [UserFactory() for _ in range(50)]
    results = run_together(
        50, lambda i: services.coupon_claim(user_id=users[i].pk, template_id=coupon_template.pk)
    )
    assert Counter(outcome(r) for r in results) == {"ok": 10, "coupon_sold_out": 40}
    assert UserCoupon.objects.count() == 10
    assert CouponTemplate.objects.get().claimed_count == 10


def test_one_shopper_claiming_twenty_times_at_once_gets_the_limit(settings: Any) -> None:
    settings.RATELIMIT_ENABLED = False
    coupon_template = template(per_user_limit=2)
    user = UserFactory()
    results = run_together(
        20, lambda _i: services.coupon_claim(user_id=user.pk, template_id=coupon_template.pk)
    )
    assert Counter(outcome(r) for r in results) == {"ok": 2, "coupon_claim_limit": 18}
    assert sorted(UserCoupon.objects.values_list("claim_number", flat=True)) == [1, 2]
    assert CouponTemplate.objects.get().claimed_count == 2


def test_a_hundred_checkouts_with_a_coupon_limited_to_ten_uses() -> None:
    coupon_template = template(max_uses=10)
    sku = make_sku(price=5000, stock=200)
    buyers = [make_buyer() for _ in range(100)]
    coupons = [claimed(user.pk, coupon_template) for user, _address in buyers]

    def checkout(index: int) -> Any:
        user, address = buyers[index]
        return place(user, address, sku, options={"coupon_ids": [coupons[index]]})

    results = run_together(100, checkout)
    assert Counter(outcome(r) for r in results) == {"ok": 10, "coupon_uses_exhausted": 90}
    assert Order.objects.count() == 10
    assert set(Order.objects.values_list("discount_total", flat=True)) == {1000}
    assert CouponUse.objects.count() == 10
    assert CouponTemplate.objects.get().used_count == 10
    assert UserCoupon.objects.filter(status="locked").count() == 10
    assert UserCoupon.objects.filter(status="available").count() == 90
    assert inventory_selectors.stock_of(sku) == (200, 10)


def test_one_coupon_in_twenty_parallel_checkouts_serves_one_order() -> None:
    user, address = make_buyer()
    sku = make_sku(price=5000, stock=100)
    coupon = claimed(user.pk, template())
    results = run_together(
        20, lambda _i: place(user, address, sku, options={"coupon_ids": [coupon]})
    )
    assert Counter(outcome(r) for r in results) == {"ok": 1, "coupon_used": 19}
    [order] = Order.objects.all()
    held = UserCoupon.objects.get(pk=coupon)
    assert (held.status, held.order_number) == ("locked", order.number)
    assert CouponUse.objects.get().order_number == order.number
    assert inventory_selectors.stock_of(sku) == (100, 1)
    assert CouponTemplate.objects.get().used_count == 1
