"""Demo points: purchase points from completed demo orders, daily earnings, an expiring lot
and a spend for each shopper; a second run adds nothing and the ledger balances."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

import pytest

from circlemart.core import clock
from circlemart.growth.points import selectors
from circlemart.growth.points.models import PointsEntry, PointsOrderEarning
from circlemart.growth.points.seed import seed_points
from circlemart.orders import services as order_services
from circlemart.orders.models import Order
from tests.accounts.factories import UserFactory
from tests.growth.points.conftest import assert_ledger
from tests.orders.conftest import make_buyer, make_sku, place
from tests.orders.test_aftersales import make_staff

pytestmark = pytest.mark.django_db


def test_seed_gives_each_shopper_a_history_once(pay: Callable[..., Order]) -> None:
    buyer, address = make_buyer()
    staff = make_staff()
    order = pay(place(buyer, address, make_sku(price=12000)))
    order_services.order_ship(
        staff_id=staff.pk, number=order.number, carrier="SF", tracking_number="1"
    )
    order_services.order_confirm_delivery(buyer_id=buyer.pk, number=order.number)
    order_services.order_complete(buyer_id=buyer.pk, number=order.number)
    users = [buyer.pk, *(UserFactory().pk for _ in range(3))]

    summary = seed_points(rng=random.Random(3), user_ids=users, progress=False)
    made = PointsEntry.objects.count()
    assert summary == f"points: {made} entries"
    assert PointsOrderEarning.objects.get().order_number == order.number
    assert PointsOrderEarning.objects.get().points == 120  # ¥120.00 at 1 point per yuan
    for user_id in users:
        kinds = set(PointsEntry.objects.filter(user_id=user_id).values_list("reason", flat=True))
        assert {"checkin", "campaign", "redeem"} <= kinds
        view = selectors.points_balance_view(user_id)
        assert view.expiring_soon > 0
        assert view.next_expiry is not None
        assert view.next_expiry < clock.now() + timedelta(days=21)
    assert_ledger()

    assert seed_points(rng=random.Random(3), user_ids=users, progress=False) == "points: 0 entries"
    assert PointsEntry.objects.count() == made
