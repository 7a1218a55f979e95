"""A hypothesis state machine drives the points ledger through earning, spending at checkout
(the pricing rule and its commit hook inside order_place), cancelling and refunding orders
(the outbox handlers give points back), taking earned points back (owing what is missing),
redeeming, and expiring lots as the clock moves, and checks after every step that:
- every entry's postings sum to zero;
- for every user, the balance row = the sum of their USER postings = the sum of their lots;
- no balance is negative, and no spend has more returned than it took."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.db.models import F, Sum
from django.test import TestCase
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from circlemart.core import clock
from circlemart.core.errors import DomainError
from circlemart.core.events import relay_pending
from circlemart.growth.points import expiry, services
from circlemart.growth.points.models import PointsBalance, PointsLotUse
from circlemart.orders import services as order_services
from circlemart.orders.models import Order
from tests.growth.points.conftest import assert_ledger
from tests.orders.conftest import make_buyer, make_sku, place

pytestmark = pytest.mark.django_db


@contextmanager
def committed() -> Iterator[None]:
    """Run after-commit work and the outbox relay as a real commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        yield
    for _round in range(10):
        with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
            delivered = relay_pending()
        if not delivered and not callbacks:
            break


class Ledger(RuleBasedStateMachine):
    orders = Bundle("orders")

    def __init__(self) -> None:
        super().__init__()
        self.offset = timedelta()
        self.keys = 0
        self.refusals: list[str] = []

    @initialize()
    def open_shop(self) -> None:
        self.start = clock.now()
        self.users = [make_buyer() for _ in range(2)]
        self.sku = make_sku(price=3000, stock=10_000)
        for buyer, _address in self.users:
            services.points_earn(
                user_id=buyer.pk, amount=5000, reason="campaign", idempotency_key=self.key()
            )

    def key(self) -> str:
        self.keys += 1
        return f"{id(self)}-{self.keys}"

    @rule(who=st.integers(0, 1), amount=st.integers(1, 3000), days=st.sampled_from([None, 1, 9]))
    def earn(self, who: int, amount: int, days: int | None) -> None:
        expires: datetime | None = None if days is None else clock.now() + timedelta(days=days)
        services.points_earn(
            user_id=self.users[who][0].pk,
            amount=amount,
            reason="campaign",
            idempotency_key=self.key(),
            expires_at=expires,
        )

    @rule(target=orders, who=st.integers(0, 1), asked=st.integers(0, 5000), qty=st.integers(1, 3))
    def checkout(self, who: int, asked: int, qty: int) -> str:
        buyer, address = self.users[who]
        try:
            with committed():
                order = place(buyer, address, self.sku, quantity=qty, options={"points": asked})
        except DomainError:
            return ""
        return order.number

    @rule(number=orders)
    def cancel(self, number: str) -> None:
        order = Order.objects.filter(number=number).first()
        if order is None:
            return
        try:
            with committed():
                order_services.order_cancel(actor_id=order.buyer_id, number=number)
        except DomainError:
            pass

    @rule(number=orders, part=st.sampled_from([1, 2, 3]))
    def pay_and_refund(self, number: str, part: int) -> None:
        order = Order.objects.filter(number=number).first()
        if order is None or order.status not in ("pending_payment", "paid"):
            return
        with committed():
            if order.status == "pending_payment":
                order_services.order_record_payment(number=number, payment_id=0, amount=order.total)
        order.refresh_from_db()
        line = order.lines.get()
        left = line.total - line.refunded_amount
        amount = left if part == 1 else left // part
        if amount <= 0 or order.status != "paid":
            return
        with committed(), transaction.atomic():
            order_services.order_refund_applied(
                number=number, amount=amount, line_refunds={line.pk: (0, amount)}
            )

    @rule(who=st.integers(0, 1), amount=st.integers(1, 4000))
    def take_back(self, who: int, amount: int) -> None:
        user_id = self.users[who][0].pk
        with transaction.atomic():
            services.lock_balance(user_id)
            services.take_back_locked(
                user_id=user_id, amount=amount, reason="order_refunded", idempotency_key=self.key()
            )

    @rule(who=st.integers(0, 1), amount=st.integers(1, 4000))
    def redeem(self, who: int, amount: int) -> None:
        try:
            services.points_spend(
                user_id=self.users[who][0].pk,
                amount=amount,
                reason="redeem",
                idempotency_key=self.key(),
            )
        except DomainError as refusal:
            self.refusals.append(refusal.code)

    @rule(days=st.sampled_from([1, 5, 10]))
    def time_passes_and_lots_expire(self, days: int) -> None:
        self.offset += timedelta(days=days)
        expiry.points_expire_due()

    @invariant()
    def ledger_balances(self) -> None:
        if not hasattr(self, "users"):
            return
        assert set(self.refusals) <= {"insufficient_points"}
        assert_ledger()
        assert not PointsBalance.objects.filter(balance__lt=0).exists()
        assert not PointsLotUse.objects.filter(returned__gt=F("amount")).exists()
        for use in PointsLotUse.objects.values("entry_id").annotate(
            returned=Sum("returned"), used=Sum("amount")
        ):
            assert use["returned"] <= use["used"]


def _run(monkeypatch: pytest.MonkeyPatch, examples: int) -> None:
    real_now = clock.now
    machines: list[Ledger] = []

    def factory() -> Ledger:
        machine = Ledger()
        machines.append(machine)
        return machine

    monkeypatch.setattr(
        clock, "now", lambda: real_now() + (machines[-1].offset if machines else timedelta())
    )
    run_state_machine_as_test(
        factory,
        settings=settings(
            max_examples=examples,
            stateful_step_count=16,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )


def test_random_points_sessions_keep_the_ledger_balanced(monkeypatch: Any) -> None:
    _run(monkeypatch, examples=15)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_random_points_sessions_keep_the_ledger_balanced_on_postgresql(monkeypatch: Any) -> None:
    _run(monkeypatch, examples=10)
