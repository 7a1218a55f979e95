"""Points mall services: a redemption spends points, takes stock and the per-user count and
pays the coupon in one transaction; any refusal writes nothing; operators ship, deliver or
cancel gifts (a cancel returns the points, the stock and the count)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from circlemart.core.errors import Conflict, NotFound, ValidationFailed
from circlemart.growth.mall import selectors, services
from circlemart.growth.mall.contracts import Fulfilment, ItemKind
from circlemart.growth.mall.models import MallHolding, MallItem, MallRedemption
from circlemart.growth.models import RewardGrant
from circlemart.growth.points import selectors as points_selectors
from circlemart.growth.points import services as points_services
from circlemart.growth.points.models import PointsEntry
from circlemart.promotions.coupons.models import UserCoupon
from tests.accounts.factories import AddressFactory, UserFactory
from tests.growth.games.conftest import local
from tests.growth.test_rewards import assert_ledger_balances
from tests.promotions.conftest import template

pytestmark = pytest.mark.django_db


def make_item(**fields: Any) -> MallItem:
    values: dict[str, Any] = {"name": "满减券", "name_en": "Coupon", "points_price": 100}
    if fields.get("kind") == ItemKind.PRODUCT:
        values.update(name="帆布袋", name_en="Tote bag", stock=5)
    else:
        values.update(kind=ItemKind.COUPON)
        if "coupon_template" not in fields:
            values["coupon_template"] = template(is_public=False)
    values.update(fields)
    item = MallItem(**values)
    item.full_clean()
    item.save()
    return item


def rich_user(points: int = 1000) -> Any:
    user = UserFactory()
    points_services.points_earn(
        user_id=user.pk, amount=points, reason="test", idempotency_key=f"rich:{user.pk}"
    )
    return user


def _nothing_written(user_id: int, item: MallItem, *, balance: int) -> None:
    assert not MallRedemption.objects.filter(user_id=user_id).exists()
    assert points_selectors.points_balance(user_id) == balance
    assert not MallHolding.objects.filter(user_id=user_id, count__gt=0).exists()
    assert not RewardGrant.objects.filter(user_id=user_id).exists()
    item.refresh_from_db()
    assert item.redeemed_count == 0


def test_redeeming_a_coupon_spends_points_and_lands_in_my_coupons() -> None:
    user = rich_user()
    item = make_item()
    result = services.mall_redeem(user_id=user.pk, item_id=item.pk, idempotency_key="r1")
    owned = UserCoupon.objects.get(owner=user)
    assert (result.kind, result.status, result.points, result.user_coupon_id, result.was_new) == (
        ItemKind.COUPON,
        Fulfilment.ISSUED,
        100,
        owned.pk,
        True,
    )
    assert owned.template_id == item.coupon_template_id
    assert points_selectors.points_balance(user.pk) == 900
    spend = PointsEntry.objects.get(user=user, kind="spend")
    assert (spend.amount, spend.reason, spend.reference) == (
        100,
        "mall_redeem",
        f"mall:{result.id}",
    )
    item.refresh_from_db()
    assert item.redeemed_count == 1
    assert MallHolding.objects.get(user=user, item=item).count == 1
    assert_ledger_balances()


def test_the_same_key_redeems_once() -> None:
    user = rich_user()
    item = make_item(per_user_limit=3)
    first = services.mall_redeem(user_id=user.pk, item_id=item.pk, idempotency_key="same")
    again = services.mall_redeem(user_id=user.pk, item_id=item.pk, idempotency_key="same")
    assert (again.id, again.was_new) == (first.id, False)
    assert points_selectors.points_balance(user.pk) == 900
    assert UserCoupon.objects.filter(owner=user).count() == 1


def test_a_short_balance_writes_nothing() -> None:
    user = rich_user(points=99)
    item = make_item()
    with pytest.raises(Conflict) as refused:
        services.mall_redeem(user_id=user.pk, item_id=item.pk, idempotency_key="r")
    assert (refused.value.code, refused.value.field) == ("insufficient_points", "points")
    _nothing_written(user.pk, item, balance=99)
    assert not UserCoupon.objects.filter(owner=user).exists()


def test_sold_out_and_the_per_user_limit_are_refused() -> None:
    first, second, third = rich_user(), rich_user(), rich_user()
    item = make_item(kind=ItemKind.PRODUCT, stock=2, per_user_limit=1)
    addresses = {user.pk: AddressFactory(user=user).pk for user in (first, second, third)}

    def redeem(user: Any, key: str) -> Any:
        return services.mall_redeem(
            user_id=user.pk, item_id=item.pk, idempotency_key=key, address_id=addresses[user.pk]
        )

    redeem(first, "a")
    with pytest.raises(Conflict) as limit:
        redeem(first, "b")
    assert (limit.value.code, limit.value.field) == ("mall_limit_reached", "item_id")
    assert limit.value.message == "You can redeem this item at most 1 times."
    redeem(second, "a")
    with pytest.raises(Conflict) as sold_out:
        redeem(third, "a")
    assert (sold_out.value.code, sold_out.value.message) == ("mall_sold_out", "Sold out.")
    assert MallRedemption.objects.count() == 2
    assert points_selectors.points_balance(first.pk) == 900
    assert points_selectors.points_balance(third.pk) == 1000
    assert MallHolding.objects.get(user=first, item=item).count == 1


def test_a_gift_needs_one_of_my_addresses_and_keeps_a_copy() -> None:
    user, stranger = rich_user(), UserFactory()
    item = make_item(kind=ItemKind.PRODUCT)
    with pytest.raises(ValidationFailed) as missing:
        services.mall_redeem(user_id=user.pk, item_id=item.pk, idempotency_key="a")
    assert (missing.value.code, missing.value.field) == ("address_required", "address_id")
    theirs = AddressFactory(user=stranger)
    with pytest.raises(NotFound) as foreign:
        services.mall_redeem(
            user_id=user.pk, item_id=item.pk, idempotency_key="a", address_id=theirs.pk
        )
    assert (foreign.value.code, foreign.value.field) == ("address_not_found", "address_id")
    _nothing_written(user.pk, item, balance=1000)
    mine = AddressFactory(user=user)
    result = services.mall_redeem(
        user_id=user.pk, item_id=item.pk, idempotency_key="a", address_id=mine.pk
    )
    assert result.status == Fulfilment.PENDING
    row = MallRedemption.objects.get(pk=result.id)
    assert json.loads(row.address)["detail"] == "世纪大道 100 号"
    assert selectors.shipping_address(row, masked=True)["phone"] == "+86138****8000"


def test_items_off_sale_are_refused(at: Callable[[datetime], None]) -> None:
    user = rich_user()
    at(local(2025, 5, 3, 12, 0, 0))
    later = make_item(starts_at=local(2025, 5, 4, 0, 0, 0))
    hidden = make_item(is_active=False)
    with pytest.raises(Conflict) as not_yet:
        services.mall_redeem(user_id=user.pk, item_id=later.pk, idempotency_key="a")
    assert not_yet.value.code == "mall_item_not_available"
    for item_id in (hidden.pk, 999_999):
        with pytest.raises(NotFound) as missing:
            services.mall_redeem(user_id=user.pk, item_id=item_id, idempotency_key="a")
        assert (missing.value.code, missing.value.field) == ("mall_item_not_found", "item_id")
    assert not MallRedemption.objects.exists()


def test_a_gift_is_shipped_then_delivered_in_order() -> None:
    user = rich_user()
    item = make_item(kind=ItemKind.PRODUCT)
    address = AddressFactory(user=user)
    ref = services.mall_redeem(
        user_id=user.pk, item_id=item.pk, idempotency_key="a", address_id=address.pk
    )
    with pytest.raises(Conflict) as early:
        services.mall_redemption_deliver(redemption_id=ref.id)
    assert early.value.code == "mall_bad_transition"
    with pytest.raises(ValidationFailed):
        services.mall_redemption_ship(redemption_id=ref.id, tracking_number="  ")
    services.mall_redemption_ship(redemption_id=ref.id, tracking_number="SF123")
    services.mall_redemption_deliver(redemption_id=ref.id)
    row = MallRedemption.objects.get(pk=ref.id)
    assert (row.status, row.tracking_number) == (Fulfilment.DELIVERED, "SF123")
    with pytest.raises(Conflict):
        services.mall_redemption_cancel(redemption_id=ref.id)


def test_cancelling_a_pending_gift_returns_points_stock_and_the_count_once() -> None:
    user = rich_user()
    item = make_item(kind=ItemKind.PRODUCT, stock=1, points_price=300)
    address = AddressFactory(user=user)
    ref = services.mall_redeem(
        user_id=user.pk, item_id=item.pk, idempotency_key="a", address_id=address.pk
    )
    assert points_selectors.points_balance(user.pk) == 700
    services.mall_redemption_cancel(redemption_id=ref.id)
    with pytest.raises(Conflict):
        services.mall_redemption_cancel(redemption_id=ref.id)
    assert points_selectors.points_balance(user.pk) == 1000
    item.refresh_from_db()
    assert item.redeemed_count == 0
    assert MallHolding.objects.get(user=user, item=item).count == 0
    assert MallRedemption.objects.get(pk=ref.id).status == Fulfilment.CANCELLED
    again = services.mall_redeem(
        user_id=user.pk, item_id=item.pk, idempotency_key="b", address_id=address.pk
    )
    assert again.status == Fulfilment.PENDING
    assert_ledger_balances()


def test_the_mall_shows_what_i_hold_and_what_is_left() -> None:
    user = rich_user()
    item = make_item(stock=3, per_user_limit=1)
    services.mall_redeem(user_id=user.pk, item_id=item.pk, idempotency_key="a")
    [card] = selectors.mall_items(viewer_id=user.pk)
    assert (card.left, card.redeemed_by_viewer, card.may_redeem, card.is_sold_out) == (
        2,
        1,
        False,
        False,
    )
    [anonymous] = selectors.mall_items(viewer_id=None)
    assert (anonymous.redeemed_by_viewer, anonymous.may_redeem) == (0, True)
    page = selectors.my_redemptions(user_id=user.pk)
    assert [r.item_name for r in page.items] == ["满减券"]
    assert selectors.my_redemptions(user_id=UserFactory().pk).items == []
