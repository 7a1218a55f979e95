"""The points ledger under real concurrency (PostgreSQL, threads): spends from one balance
never go below zero and exactly the affordable number succeed; one key earns once; parallel
checkouts with points never spend more than the balance; parallel expiry and warning runs
touch each lot once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from circlemart.core import clock
from circlemart.core.errors import Conflict
from circlemart.growth.points import expiry, selectors, services
from circlemart.growth.points.contracts import EntryKind
from circlemart.growth.points.models import PointsEntry
from circlemart.notifications.models import Notification
from circlemart.orders.models import Order
from tests.accounts.factories import UserFactory
from tests.accounts.test_races import run_together
from tests.growth.points.conftest import assert_ledger, give
from tests.orders.conftest import make_buyer, make_sku, place

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_parallel_spends_from_one_balance_stop_at_what_it_affords() -> None:
    user = UserFactory()
    give(user.pk, 600, "a")
    give(user.pk, 400, "b")  # two lots: spends cross from one to the other
    results = run_together(
        20,
        lambda i: services.points_spend(
            user_id=user.pk, amount=70, reason="redeem", idempotency_key=f"s{i}"
        ),
    )
    refused = [result for result in results if isinstance(result, Conflict)]
    spent = [result for result in results if isinstance(result, PointsEntry)]
    assert (len(spent), len(refused)) == (14, 6)  # 14 × 70 = 980 ≤ 1000 < 15 × 70
    assert all(result.code == "insufficient_points" for result in refused)
    assert selectors.points_balance(user.pk) == 20
    assert PointsEntry.objects.filter(kind=EntryKind.SPEND).count() == 14
    assert_ledger()


def test_twenty_parallel_earns_under_one_key_pay_once() -> None:
    user = UserFactory()
    results = run_together(
        20,
        lambda _i: services.points_earn(
            user_id=user.pk, amount=50, reason="checkin", idempotency_key="same-day"
        ),
    )
    assert all(isinstance(result, PointsEntry) for result in results)
    assert len({result.pk for result in results}) == 1
    assert selectors.points_balance(user.pk) == 50
    assert PointsEntry.objects.count() == 1
    assert_ledger()


def test_parallel_checkouts_never_spend_more_points_than_the_balance() -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=5000, stock=100)
    give(buyer.pk, 1000, "k")
    # Each quote sees what is left then (1,000 at first) and uses up to 400; the commit hooks
    # take them one at a time, so a quote that saw points already spent is refused.
    results = run_together(
        10,
        lambda i: place(
            buyer, address, sku, options={"points": 400}, idempotency_key=f"checkout-{i}"
        ),
    )
    placed = [result for result in results if isinstance(result, Order)]
    refused = [result for result in results if isinstance(result, Conflict)]
    assert len(placed) + len(refused) == 10
    assert {result.code for result in refused} <= {"insufficient_points"}
    assert Order.objects.count() == len(placed)
    used = {
        order.number: sum(
            int(a["rule"].removeprefix("points:"))
            for a in order.adjustments
            if a["rule"].startswith("points:")
        )
        for order in Order.objects.all()
    }
    spends = dict(
        PointsEntry.objects.filter(kind=EntryKind.SPEND).values_list("reference", "amount")
    )
    assert spends == {number: points for number, points in used.items() if points}
    assert sum(spends.values()) == 1000 - selectors.points_balance(buyer.pk)
    assert sum(spends.values()) >= 800  # the first two always fit
    assert selectors.points_balance(buyer.pk) >= 0
    assert_ledger()


def test_parallel_expiry_and_warning_runs_touch_each_lot_once(monkeypatch, settings) -> None:
    settings.POINTS_EXPIRY_WARNING_DAYS = 10
    users = [UserFactory() for _ in range(6)]
    now = clock.now()
    for index, user in enumerate(users):
        give(user.pk, 100 + index, f"due-{index}", expires_at=now + timedelta(days=1))
        give(user.pk, 10, f"soon-{index}", expires_at=now + timedelta(days=5))
    warned = run_together(4, lambda _i: expiry.points_warn_expiring(batch_size=3))
    assert sum(warned) == 12
    assert Notification.objects.count() == 12  # one per lot
    monkeypatch.setattr(clock, "now", lambda: now + timedelta(days=2))
    expired = run_together(4, lambda _i: expiry.points_expire_due(batch_size=2))
    assert sum(expired) == 6
    assert PointsEntry.objects.filter(kind=EntryKind.EXPIRE).count() == 6
    assert [selectors.points_balance(user.pk) for user in users] == [10] * 6
    assert_ledger()
