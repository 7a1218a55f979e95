"""The demo orders seed: every status, made through the services, backdated where the sweeps
leave it, and a second run adds nothing."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.db import transaction

from circlemart.accounts.seed import seed_staff, seed_users
from circlemart.catalog.seed import seed_products
from circlemart.core import clock
from circlemart.core.models import OutboxEvent
from circlemart.orders import services
from circlemart.orders.models import AfterSalesRequest, Order
from circlemart.orders.seed import DEMO_KEY_PREFIX, HISTORY_DAYS, PLANS, seed_orders
from circlemart.payments import selectors as payment_selectors
from circlemart.payments.models import Payment
from circlemart.pricing.models import ShippingRule

pytestmark = pytest.mark.django_db

EVERY_ORDER_STATUS = {
    "pending_payment",
    "paid",
    "shipped",
    "delivered",
    "completed",
    "cancelled",
    "refunded",
}


@pytest.fixture
def tiny_world() -> list[int]:
    with transaction.atomic():
        seed_staff()
    user_ids = seed_users(rng=random.Random(1), count=12, progress=False)
    seed_products(rng=random.Random(2), count=12, progress=False)
    return user_ids


def _snapshot() -> tuple[int, int, int, int, int]:
    return (
        Order.objects.count(),
        AfterSalesRequest.objects.count(),
        ShippingRule.objects.count(),
        OutboxEvent.objects.count(),
        Payment.objects.count(),
    )


def test_seed_makes_orders_in_every_status_and_a_second_run_adds_nothing(
    tiny_world: list[int],
) -> None:
    made = seed_orders(rng=random.Random(3), user_ids=tiny_world, count=24, progress=False)
    assert made == Order.objects.count() == 24
    assert set(Order.objects.values_list("status", flat=True)) == EVERY_ORDER_STATUS
    assert Order.objects.filter(idempotency_key__startswith=DEMO_KEY_PREFIX).count() == 24
    assert set(Order.objects.values_list("buyer_id", flat=True)) <= set(tiny_world)
    requests = Counter(AfterSalesRequest.objects.values_list("status", flat=True))
    assert requests["requested"] >= 1
    assert requests["refunded"] >= 1
    assert set(requests) <= {"requested", "refunded"}
    for order in Order.objects.exclude(status__in=["pending_payment", "cancelled"]):
        assert payment_selectors.captured_total(order.number) == order.paid_amount == order.total
    shipped = Order.objects.filter(status="shipped").first()
    assert shipped is not None
    assert (bool(shipped.carrier), bool(shipped.tracking_number)) == (True, True)
    assert shipped.transitions.get(to_status="shipped").actor_kind == "staff"
    assert sorted(ShippingRule.objects.values_list("region", "method", "fee", "free_over")) == [
        ("", "express", 1800, None),
        ("", "standard", 800, 9900),
        ("新疆", "standard", 2000, None),
        ("西藏", "standard", 2000, None),
    ]

    before = _snapshot()
    again = seed_orders(rng=random.Random(3), user_ids=tiny_world, count=24, progress=False)
    assert again == 0
    assert _snapshot() == before


def test_seeded_history_is_spread_back_and_stays_where_the_sweeps_leave_it(
    tiny_world: list[int],
) -> None:
    seed_orders(rng=random.Random(5), user_ids=tiny_world, count=len(PLANS) * 2, progress=False)
    now = clock.now()
    orders = list(Order.objects.all())
    assert all(now - timedelta(days=HISTORY_DAYS) < o.placed_at <= now for o in orders)
    assert len({o.placed_at.date() for o in orders}) > 1  # not all today
    for order in orders:
        stamps = [
            order.placed_at,
            *(
                stamp
                for stamp in (order.paid_at, order.shipped_at, order.delivered_at)
                if stamp is not None
            ),
        ]
        assert stamps == sorted(stamps), order.number
        assert list(order.transitions.values_list("at", flat=True)) == sorted(
            order.transitions.values_list("at", flat=True)
        )
    statuses = Counter(Order.objects.values_list("status", flat=True))
    assert services.orders_auto_progress() == (0, 0)
    assert services.orders_cancel_unpaid() == 0
    assert Counter(Order.objects.values_list("status", flat=True)) == statuses
