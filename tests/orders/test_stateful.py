"""A hypothesis state machine drives checkout, payment, cancellation, expiry, shipping and
refunds in random order and checks after every step that stock and money are conserved and
that every order only ever moved along the legal state machine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
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
from circlemart.inventory import selectors as inventory_selectors
from circlemart.inventory.models import Reservation
from circlemart.orders import aftersales, services
from circlemart.orders.contracts import OrderStatus
from circlemart.orders.machine import ALLOWED
from circlemart.orders.models import Order, OrderTransition
from circlemart.payments import gateway
from circlemart.payments import selectors as payment_selectors
from tests.orders.conftest import make_buyer, make_sku, place, token_of
from tests.orders.test_aftersales import make_staff

pytestmark = pytest.mark.django_db
STOCK = 6


@contextmanager
def committed() -> Iterator[None]:
    """Run after-commit work (webhooks, refunds settling, the relay) as a real commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        yield
    for _round in range(10):
        with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
            delivered = relay_pending()
        if not delivered and not callbacks:
            break


class Shop(RuleBasedStateMachine):
    orders = Bundle("orders")

    @initialize()
    def open_shop(self) -> None:
        self.buyer, self.address = make_buyer()
        self.staff = make_staff()
        self.skus = [make_sku(price=1000 + 700 * index, stock=STOCK) for index in range(2)]
        self.numbers: list[str] = []
        self.refusals: list[str] = []

    @rule(target=orders, which=st.integers(0, 1), quantity=st.integers(1, 4))
    def place_order(self, which: int, quantity: int) -> str:
        try:
            with committed():
                order = place(self.buyer, self.address, self.skus[which], quantity=quantity)
        except DomainError as refusal:
            self.refusals.append(refusal.code)  # only "sold out" is a legal refusal here
            return ""
        self.numbers.append(order.number)
        return order.number

    @rule(number=orders, press_pay=st.booleans(), duplicate=st.booleans())
    def pay(self, number: str, press_pay: bool, duplicate: bool) -> None:
        if not number:
            return
        try:
            with committed():
                payment = services.order_pay(buyer_id=self.buyer.pk, number=number, return_url="/")
        except DomainError:
            return
        token = token_of(payment.redirect_url)
        charge = gateway.charge_by_token(token=token)
        gateway.charge_set_behaviour(
            charge_id=charge.charge_id,
            behaviour=gateway.Behaviour(duplicate_webhooks=duplicate, out_of_order=duplicate),
        )
        with committed():
            gateway.charge_complete(token=token, pay=press_pay)

    @rule(number=orders)
    def cancel(self, number: str) -> None:
        if number:
            try:
                with committed():
                    services.order_cancel(actor_id=self.buyer.pk, number=number)
            except DomainError:
                pass

    @rule(number=orders)
    def expire(self, number: str) -> None:
        if number:
            Order.objects.filter(number=number).update(
                payment_deadline=clock.now() - timedelta(seconds=1)
            )
            with committed():
                services.orders_cancel_unpaid()

    @rule(number=orders)
    def ship(self, number: str) -> None:
        if number:
            try:
                with committed():
                    services.order_ship(
                        staff_id=self.staff.pk, number=number, carrier="SF", tracking_number="SF9"
                    )
            except DomainError:
                pass

    @rule(number=orders, share=st.sampled_from([None, 1, 3]))
    def refund(self, number: str, share: int | None) -> None:
        if not number:
            return
        order = Order.objects.get(number=number)
        amount = None if share is None else max(order.total // share - 1, 1)
        try:
            with committed():
                request = aftersales.aftersales_request(
                    buyer_id=self.buyer.pk,
                    number=number,
                    kind="refund_only",
                    reason="changed_mind",
                    amount=amount,
                )
            with committed():
                aftersales.aftersales_approve(staff_id=self.staff.pk, request_id=request.pk)
        except DomainError:
            pass

    @invariant()
    def checkout_refuses_only_when_sold_out(self) -> None:
        assert set(getattr(self, "refusals", [])) <= {"out_of_stock"}

    @invariant()
    def stock_is_conserved(self) -> None:
        if not hasattr(self, "skus"):
            return
        for sku in self.skus:
            on_hand, reserved = inventory_selectors.stock_of(sku)
            mine = Reservation.objects.filter(sku_id=sku)
            held = sum(mine.filter(state="held").values_list("quantity", flat=True))
            committed_units = sum(mine.filter(state="committed").values_list("quantity", flat=True))
            assert reserved == held
            assert on_hand == STOCK - committed_units
            assert 0 <= reserved <= on_hand

    @invariant()
    def money_is_conserved(self) -> None:
        for number in getattr(self, "numbers", []):
            order = Order.objects.get(number=number)
            captured = payment_selectors.captured_total(number)
            refunded = payment_selectors.refunded_total(number)
            assert 0 <= order.refunded_amount <= order.paid_amount
            assert order.paid_amount - order.refunded_amount <= captured - refunded
            if order.status in {OrderStatus.PAID, OrderStatus.SHIPPED}:
                assert order.paid_amount == order.total
                assert captured - refunded == order.paid_amount - order.refunded_amount
            if order.status == OrderStatus.CANCELLED:
                assert captured == refunded  # money that arrived after the cancel went back
            if order.status == OrderStatus.REFUNDED:
                assert (order.refunded_amount, captured - refunded) == (order.paid_amount, 0)

    @invariant()
    def only_legal_moves(self) -> None:
        for number in getattr(self, "numbers", []):
            steps = list(
                OrderTransition.objects.filter(order__number=number)
                .order_by("id")
                .values_list("from_status", "to_status")
            )
            assert steps[0] == ("", "pending_payment")
            for before, after in steps[1:]:
                assert OrderStatus(after) in ALLOWED[OrderStatus(before)]


def test_random_shop_sessions_keep_every_invariant() -> None:
    run_state_machine_as_test(
        Shop,
        settings=settings(
            max_examples=12,
            stateful_step_count=14,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
