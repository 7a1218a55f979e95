"""Races on real PostgreSQL with real threads: money is never refunded twice or beyond what
was captured, a payment is captured once, an order gets one charge."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from circlemart.core.errors import DomainError
from circlemart.payments import gateway, services
from circlemart.payments.contracts import PaymentStatus
from circlemart.payments.models import GatewayCharge, Payment, Refund, WebhookReceipt
from tests.payments.conftest import charge_event, events_of, post_webhook, sign

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Start `count` threads that call `work(i)` at the same instant; collect the results."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def runner(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # kept for the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def start(order_number: str = "CM2001", amount: int = 10000):
    return services.payment_start(
        order_number=order_number,
        buyer_id=7,
        amount=amount,
        currency="CNY",
        return_url=f"/orders/{order_number}/",
        idempotency_key=f"order:{order_number}",
    )


def captured(order_number: str = "CM2001", amount: int = 10000):
    payment = start(order_number, amount)
    token = GatewayCharge.objects.get(merchant_reference=str(payment.id)).token
    gateway.charge_complete(token=token, pay=True)  # commits; webhook delivered in-process
    assert Payment.objects.get(pk=payment.id).status == PaymentStatus.CAPTURED
    return payment


def test_parallel_refunds_never_exceed_the_capture():
    captured(amount=10000)

    def refund(index: int) -> Any:
        return services.payment_refund(
            order_number="CM2001", amount=3000, reason="race", reference=f"aftersales:{index}"
        )

    results = run_together(8, refund)

    refused = [result for result in results if isinstance(result, DomainError)]
    made = [result for result in results if not isinstance(result, Exception)]
    assert len(made) == 3
    assert len(refused) == 5
    assert {error.code for error in refused} == {"refund_exceeds_captured"}
    payment = Payment.objects.get()
    assert payment.refunded_amount == 9000
    assert Refund.objects.count() == 3
    assert sum(Refund.objects.values_list("amount", flat=True)) == 9000
    assert GatewayCharge.objects.get().refunded_amount == 9000
    assert len(events_of("RefundSucceeded")) == 3


def test_parallel_retries_of_one_refund_make_one_refund():
    captured(amount=10000)

    def refund(index: int) -> Any:
        return services.payment_refund(
            order_number="CM2001", amount=6000, reason="race", reference="order-cancelled:CM2001"
        )

    results = run_together(8, refund)

    assert not [result for result in results if isinstance(result, Exception)]
    assert len({result.id for result in results}) == 1
    assert Refund.objects.count() == 1
    assert Payment.objects.get().refunded_amount == 6000
    assert len(events_of("RefundSucceeded")) == 1


def test_duplicated_webhooks_in_parallel_capture_once():
    payment = start()
    charge = GatewayCharge.objects.get()
    GatewayCharge.objects.filter(pk=charge.pk).update(status=GatewayCharge.Status.SUCCEEDED)
    body = charge_event(charge, "payment.succeeded", event_id="evt_dup")
    signature = sign(body)

    def deliver(index: int) -> int:
        return post_webhook(Client(), body, signature=signature).status_code

    statuses = run_together(8, deliver)

    assert statuses == [200] * 8
    assert WebhookReceipt.objects.count() == 1
    assert Payment.objects.get(pk=payment.id).status == PaymentStatus.CAPTURED
    assert len(events_of("PaymentCaptured")) == 1


def test_webhooks_with_different_ids_and_the_return_path_capture_once():
    payment = start()
    charge = GatewayCharge.objects.get()
    GatewayCharge.objects.filter(pk=charge.pk).update(status=GatewayCharge.Status.SUCCEEDED)

    def converge(index: int) -> Any:
        if index % 2:
            return services.payment_confirm_from_provider(payment_id=payment.id).status
        body = charge_event(charge, "payment.succeeded", event_id=f"evt_{index}")
        return post_webhook(Client(), body).status_code

    results = run_together(8, converge)

    assert Counter(results) == Counter({200: 4, PaymentStatus.CAPTURED: 4})
    assert len(events_of("PaymentCaptured")) == 1
    outcomes = Counter(WebhookReceipt.objects.values_list("outcome", flat=True))
    # Either a webhook or a return captured it; every other arrival changed nothing.
    assert outcomes["captured"] in (0, 1)
    assert outcomes["captured"] + outcomes["ignored"] == 4


def test_parallel_starts_for_one_order_open_one_charge():
    results = run_together(8, lambda index: start("CM2002"))

    assert not [result for result in results if isinstance(result, Exception)]
    assert len({result.id for result in results}) == 1
    assert len({result.redirect_url for result in results}) == 1
    assert Payment.objects.count() == 1
    assert GatewayCharge.objects.count() == 1


def test_cancel_racing_the_capture_never_loses_the_money():
    payment = start()
    token = GatewayCharge.objects.get().token

    def act(index: int) -> Any:
        if index == 0:
            return services.payment_cancel_for_order(order_number="CM2001")
        return gateway.charge_complete(token=token, pay=True)

    results = run_together(2, act)

    assert not [result for result in results if isinstance(result, Exception)]
    charge = GatewayCharge.objects.get()
    row = Payment.objects.get(pk=payment.id)
    if charge.status == GatewayCharge.Status.SUCCEEDED:  # the buyer won: money recorded
        assert row.status == PaymentStatus.CAPTURED
        assert len(events_of("PaymentCaptured")) == 1
    else:  # the cancel won: nothing can be paid any more
        assert charge.status == GatewayCharge.Status.CANCELLED
        assert row.status == PaymentStatus.CANCELLED
        assert events_of("PaymentCaptured") == []
