"""Demo data: approved distributors in a chain with frozen and settled commission, one paid
withdrawal, one pending application; a second run adds nothing."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from circlemart.core import clock
from circlemart.growth.distribution.models import (
    Commission,
    CommissionEntry,
    Distributor,
    Withdrawal,
)
from circlemart.growth.distribution.seed import seed_distribution
from circlemart.orders import services as order_services
from circlemart.orders.models import Order
from tests.accounts.factories import UserFactory
from tests.growth.distribution.conftest import assert_ledger, make_operator
from tests.orders.conftest import make_buyer, make_sku, place
from tests.orders.test_aftersales import make_staff

pytestmark = pytest.mark.django_db


def test_the_demo_has_every_state_and_a_second_run_adds_nothing(
    pay: Callable[..., Order], act: Any, settings: Any
) -> None:
    settings.PAYMENT_PROVIDERS = ["test_gateway"]
    make_operator()
    staff = make_staff()
    people = [UserFactory().pk for _ in range(4)]
    buyers = []
    for index in range(4):
        buyer, address = make_buyer()
        buyers.append(buyer.pk)
        order = pay(place(buyer, address, make_sku(price=20_000)))
        if index % 2 == 0:  # completed, after-sales closed
            order_services.order_ship(
                staff_id=staff.pk, number=order.number, carrier="SF", tracking_number="1"
            )
            order_services.order_confirm_delivery(buyer_id=buyer.pk, number=order.number)
            order_services.order_complete(buyer_id=buyer.pk, number=order.number)
            Order.objects.filter(pk=order.pk).update(
                completed_at=clock.now() - timedelta(days=settings.AFTER_SALES_WINDOW_DAYS + 1)
            )
    act(order_services.orders_close_after_sales)
    summary = seed_distribution(rng=random.Random(1), user_ids=people + buyers)
    assert summary == "distribution: 3 distributors, 1 pending, a withdrawal paid"
    assert set(Commission.objects.values_list("status", flat=True)) == {"frozen", "settled"}
    assert Withdrawal.objects.get().status == "paid"
    counts = (
        Distributor.objects.count(),
        Commission.objects.count(),
        CommissionEntry.objects.count(),
    )
    seed_distribution(rng=random.Random(1), user_ids=people + buyers)
    assert (
        Distributor.objects.count(),
        Commission.objects.count(),
        CommissionEntry.objects.count(),
    ) == counts
    assert Withdrawal.objects.count() == 1
    assert_ledger()
