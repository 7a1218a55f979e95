"""The points mall under real concurrency (PostgreSQL, threads, over HTTP): 100 redemptions
for 10 items give exactly 10; one shopper never passes the per-item limit; one key redeems
once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from circlemart.growth.mall.models import MallRedemption
from circlemart.growth.points.models import PointsBalance
from circlemart.promotions.coupons.models import UserCoupon
from tests.accounts.test_races import run_together
from tests.growth.games.test_races import run_queue
from tests.growth.mall.test_services import make_item, rich_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _redeem(auth: str, item_id: int, key: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"HTTP_AUTHORIZATION": auth, "HTTP_ACCEPT_LANGUAGE": "en"}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    answer = Client().post(
        f"/api/v1/growth/mall/items/{item_id}/redeem",
        "{}",
        content_type="application/json",
        **headers,
    )
    return answer.status_code, answer.json()


def test_a_hundred_redemptions_for_ten_items_give_exactly_ten() -> None:
    item = make_item(stock=10, points_price=100)
    shoppers = [rich_user(points=150) for _ in range(100)]
    tokens = [f"Bearer {token_pair_issue(user=user).access_token}" for user in shoppers]
    results = run_queue(
        25, [lambda i=i: _redeem(tokens[i], item.pk, key=f"r{i}") for i in range(100)]
    )
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 10, 409: 90}
    assert {body["error"]["code"] for status, body in results if status == 409} == {"mall_sold_out"}
    item.refresh_from_db()
    assert (item.redeemed_count, MallRedemption.objects.count()) == (10, 10)
    assert UserCoupon.objects.count() == 10
    balances = Counter(PointsBalance.objects.values_list("balance", flat=True))
    assert balances == {50: 10, 150: 90}  # the ten paid, the ninety kept every point


def test_one_shopper_never_passes_the_limit() -> None:
    shopper = rich_user(points=10_000)
    item = make_item(per_user_limit=3, points_price=100)
    auth = f"Bearer {token_pair_issue(user=shopper).access_token}"
    results = run_together(20, lambda i: _redeem(auth, item.pk, key=f"k{i}"))
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 3, 409: 17}
    assert {body["error"]["code"] for status, body in results if status == 409} == {
        "mall_limit_reached"
    }
    assert MallRedemption.objects.aggregate(points=Sum("points"))["points"] == 300
    assert PointsBalance.objects.get(user=shopper).balance == 9_700


def test_copies_of_one_redemption_redeem_once() -> None:
    shopper = rich_user(points=1_000)
    item = make_item(per_user_limit=5, points_price=100)
    auth = f"Bearer {token_pair_issue(user=shopper).access_token}"
    results = run_together(15, lambda _i: _redeem(auth, item.pk, key="same"))
    created = {body["id"] for status, body in results if status == 201}
    in_progress = [body for status, body in results if status == 409]
    assert len(created) == 1
    assert {b["error"]["code"] for b in in_progress} <= {"idempotency_request_in_progress"}
    assert MallRedemption.objects.count() == 1
    assert PointsBalance.objects.get(user=shopper).balance == 900
