"""Payment services called directly, the way orders calls them."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from circlemart.core.errors import Conflict, NotFound, ValidationFailed
from circlemart.payments import selectors, services
from circlemart.payments.contracts import PaymentStatus, RefundStatus
from circlemart.payments.models import (
    GatewayCharge,
    GatewayRefund,
    Payment,
    Refund,
    WebhookReceipt,
)
from circlemart.payments.providers.base import ProviderUnavailable
from circlemart.payments.providers.test_gateway import TestGatewayProvider
from tests.payments.conftest import Shop, events_of

pytestmark = pytest.mark.django_db


# --- payment_start ----------------------------------------------------------------------------


def test_start_opens_one_charge_at_the_gateway(shop: Shop):
    payment = shop.start("CM1001", amount=12345)

    row = Payment.objects.get()
    charge = GatewayCharge.objects.get()
    assert payment.id == row.pk
    assert payment.status == PaymentStatus.CREATED
    assert payment.provider == "test_gateway"
    assert (payment.amount, payment.currency, payment.order_number) == (12345, "CNY", "CM1001")
    assert row.provider_payment_id == charge.charge_id
    # A path on this site: right whatever host or port the buyer reached the shop by.
    assert payment.redirect_url == f"/payments/test-gateway/pay/{charge.token}/"
    assert (charge.amount, charge.currency, charge.merchant_reference) == (
        12345,
        "CNY",
        str(row.pk),
    )
    assert charge.return_url.startswith(f"http://testserver/payments/return/{row.pk}/?sig=")
    assert charge.idempotency_key == f"circlemart-payment-{row.pk}"


def test_start_again_returns_the_live_payment(shop: Shop):
    first = shop.start("CM1001")
    second = shop.start("CM1001")

    assert second == first
    assert Payment.objects.count() == 1
    assert GatewayCharge.objects.count() == 1


def test_start_for_a_different_amount_is_refused_and_changes_nothing(shop: Shop):
    shop.start("CM1001", amount=10000)

    with pytest.raises(Conflict) as caught:
        shop.start("CM1001", amount=9000)

    assert (caught.value.code, caught.value.field) == ("payment_mismatch", "amount")
    assert list(Payment.objects.values_list("amount", flat=True)) == [10000]
    assert GatewayCharge.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"amount": 0}, "invalid_amount", "amount"),
        ({"amount": -5}, "invalid_amount", "amount"),
        ({"currency": "yuan"}, "invalid_currency", "currency"),
        ({"return_url": "https://evil.example/"}, "invalid_return_url", "return_url"),
        ({"return_url": "//evil.example/orders/"}, "invalid_return_url", "return_url"),
        ({"return_url": "/\\evil.example"}, "invalid_return_url", "return_url"),
        ({"return_url": "orders/CM1/"}, "invalid_return_url", "return_url"),
    ],
)
def test_start_refuses_bad_input(shop: Shop, changes, code, field):
    with pytest.raises(ValidationFailed) as caught:
        shop.start("CM1001", **changes)

    assert (caught.value.code, caught.value.field) == (code, field)
    assert Payment.objects.count() == 0
    assert GatewayCharge.objects.count() == 0


def test_after_a_failed_payment_a_new_one_can_start(shop: Shop):
    failed = shop.start("CM1001")
    shop.press(failed, "fail")

    retried = shop.start("CM1001")

    assert retried.id != failed.id
    assert retried.status == PaymentStatus.CREATED
    assert Payment.objects.get(pk=failed.id).status == PaymentStatus.FAILED
    assert GatewayCharge.objects.count() == 2
    assert [p["payment_id"] for p in events_of("PaymentFailed")] == [failed.id]


def test_provider_outage_on_start_is_retried_with_the_same_key(shop: Shop, monkeypatch):
    def down(self, **kwargs):
        raise ProviderUnavailable("down")

    with monkeypatch.context() as patched:
        patched.setattr(TestGatewayProvider, "create_payment", down)
        with pytest.raises(ProviderUnavailable):
            shop.start("CM1001")
    row = Payment.objects.get()
    assert (row.status, row.provider_payment_id) == (PaymentStatus.CREATED, "")

    payment = shop.start("CM1001")

    assert payment.id == row.pk
    assert GatewayCharge.objects.get().idempotency_key == f"circlemart-payment-{row.pk}"


# --- confirm (the buyer's return path) --------------------------------------------------------


def test_confirm_before_paying_changes_nothing(shop: Shop):
    payment = shop.start()

    confirmed = services.payment_confirm_from_provider(payment_id=payment.id)

    assert confirmed.status == PaymentStatus.CREATED
    assert events_of("PaymentCaptured") == []


def test_confirm_captures_once_without_any_webhook(shop: Shop):
    payment = shop.start()
    with shop.capture(execute=False):  # the webhook never leaves the gateway
        shop.client.post(urlsplit(payment.redirect_url).path, {"outcome": "pay"})

    first = services.payment_confirm_from_provider(payment_id=payment.id)
    second = services.payment_confirm_from_provider(payment_id=payment.id)

    assert first.status == second.status == PaymentStatus.CAPTURED
    assert events_of("PaymentCaptured") == [
        {
            "payment_id": payment.id,
            "order_number": "CM1001",
            "amount": 10000,
            "currency": "CNY",
            "provider": "test_gateway",
        }
    ]
    assert WebhookReceipt.objects.count() == 0


def test_confirm_of_an_unknown_payment_is_not_found():
    with pytest.raises(NotFound):
        services.payment_confirm_from_provider(payment_id=424242)


# --- cancel -----------------------------------------------------------------------------------


def test_cancel_makes_the_charge_unpayable(shop: Shop):
    payment = shop.start()

    cancelled = services.payment_cancel_for_order(order_number="CM1001")
    response = shop.press(payment, "pay")

    assert cancelled is not None
    assert cancelled.status == PaymentStatus.CANCELLED
    assert shop.charge(payment).status == GatewayCharge.Status.CANCELLED
    assert response.status_code == 302
    assert Payment.objects.get().status == PaymentStatus.CANCELLED
    assert events_of("PaymentCaptured") == []


def test_cancel_without_a_live_payment_returns_none(shop: Shop):
    assert services.payment_cancel_for_order(order_number="CM404") is None
    shop.captured("CM1001")
    assert services.payment_cancel_for_order(order_number="CM1001") is None
    assert Payment.objects.get().status == PaymentStatus.CAPTURED


def test_cancel_after_the_buyer_paid_records_a_late_capture(shop: Shop):
    payment = shop.start()
    with shop.capture(execute=False) as held:  # paid at the gateway; webhook still in flight
        shop.client.post(urlsplit(payment.redirect_url).path, {"outcome": "pay"})

    result = services.payment_cancel_for_order(order_number="CM1001")
    for deliver in held:
        deliver()

    assert result is not None
    assert (result.status, result.is_late_capture) == (PaymentStatus.CAPTURED, True)
    assert [p["payment_id"] for p in events_of("PaymentCaptured")] == [payment.id]
    assert selectors.captured_total("CM1001") == 10000
    # The late webhook found the capture already recorded.
    assert list(WebhookReceipt.objects.values_list("outcome", flat=True)) == ["ignored"]


def test_capture_arriving_after_cancel_is_recorded_and_published(shop: Shop):
    payment = shop.start()
    Payment.objects.filter(pk=payment.id).update(status=PaymentStatus.CANCELLED)  # cancelled here…
    # …but the gateway did not hear of it and the buyer paid.
    shop.press(payment)

    row = Payment.objects.get()
    assert (row.status, row.is_late_capture) == (PaymentStatus.CAPTURED, True)
    assert [p["payment_id"] for p in events_of("PaymentCaptured")] == [payment.id]
    # A late capture is not the order's live payment: a new attempt may start beside it.
    assert selectors.live_payment_for_order("CM1001") is None


# --- refunds ----------------------------------------------------------------------------------


def test_partial_then_full_refund(shop: Shop):
    shop.captured()

    first = shop.refund(amount=3000, reference="aftersales:1")
    second = shop.refund(amount=7000, reference="aftersales:2")

    assert first.amount == 3000
    assert first.reference == "aftersales:1"
    assert Refund.objects.get(pk=first.id).status == RefundStatus.SUCCEEDED
    assert Refund.objects.get(pk=second.id).status == RefundStatus.SUCCEEDED
    assert selectors.refunded_total("CM1001") == 10000
    assert selectors.refundable_total("CM1001") == 0
    assert Payment.objects.get().refunded_amount == 10000
    assert GatewayCharge.objects.get().refunded_amount == 10000
    assert [(p["amount"], p["reference"]) for p in events_of("RefundSucceeded")] == [
        (3000, "aftersales:1"),
        (7000, "aftersales:2"),
    ]


def test_refund_is_pending_until_the_gateway_confirms(shop: Shop):
    shop.captured()

    with shop.capture(execute=False):
        refund = services.payment_refund(
            order_number="CM1001", amount=2500, reason="damaged", reference="aftersales:9"
        )

    assert refund.status == RefundStatus.PENDING
    assert Refund.objects.get().provider_refund_id == GatewayRefund.objects.get().refund_id
    assert selectors.refunded_total("CM1001") == 0
    assert selectors.refundable_total("CM1001") == 7500  # reserved already
    assert events_of("RefundSucceeded") == []


def test_over_refund_is_refused_and_nothing_changes(shop: Shop):
    shop.captured()
    shop.refund(amount=6000, reference="aftersales:1")

    with pytest.raises(Conflict) as caught:
        shop.refund(amount=4001, reference="aftersales:2")

    assert (caught.value.code, caught.value.field) == ("refund_exceeds_captured", "amount")
    assert list(Refund.objects.values_list("reference", flat=True)) == ["aftersales:1"]
    assert Payment.objects.get().refunded_amount == 6000
    assert GatewayRefund.objects.count() == 1
    assert len(events_of("RefundSucceeded")) == 1


@pytest.mark.parametrize("amount", [0, -100])
def test_refund_of_nothing_is_refused(shop: Shop, amount):
    shop.captured()

    with pytest.raises(ValidationFailed) as caught:
        shop.refund(amount=amount, reference="aftersales:1")

    assert (caught.value.code, caught.value.field) == ("invalid_amount", "amount")
    assert Refund.objects.count() == 0
    assert Payment.objects.get().refunded_amount == 0


def test_refund_without_a_capture_is_refused(shop: Shop):
    shop.start()

    with pytest.raises(Conflict) as caught:
        shop.refund(amount=100, reference="aftersales:1")

    assert (caught.value.code, caught.value.field) == ("not_captured", "amount")
    assert Refund.objects.count() == 0


def test_refund_retried_with_the_same_reference_is_the_same_refund(shop: Shop):
    shop.captured()

    first = shop.refund(amount=4000, reference="order-cancelled:CM1001")
    again = shop.refund(amount=4000, reference="order-cancelled:CM1001")

    assert again.id == first.id
    assert Refund.objects.count() == 1
    assert GatewayRefund.objects.count() == 1
    assert Payment.objects.get().refunded_amount == 4000
    assert len(events_of("RefundSucceeded")) == 1


def test_same_reference_for_another_amount_is_refused(shop: Shop):
    shop.captured()
    shop.refund(amount=4000, reference="aftersales:1")

    with pytest.raises(Conflict) as caught:
        shop.refund(amount=5000, reference="aftersales:1")

    assert (caught.value.code, caught.value.field) == ("refund_reference_reused", "reference")
    assert Payment.objects.get().refunded_amount == 4000


def test_failed_refund_at_the_gateway_releases_the_reservation(shop: Shop):
    payment = shop.captured()
    shop.set_behaviour(payment, fail_refunds=True)

    refund = shop.refund(amount=4000, reference="aftersales:1")

    row = Refund.objects.get(pk=refund.id)
    assert row.status == RefundStatus.FAILED
    assert row.failure_reason == "declined by the bank"
    assert Payment.objects.get().refunded_amount == 0
    assert GatewayCharge.objects.get().refunded_amount == 0
    assert events_of("RefundFailed") == [
        {
            "refund_id": refund.id,
            "order_number": "CM1001",
            "amount": 4000,
            "reference": "aftersales:1",
            "reason": "declined by the bank",
        }
    ]
    assert events_of("RefundSucceeded") == []
    # The released money can be refunded again under a new reference.
    shop.set_behaviour(payment, fail_refunds=False)
    assert shop.refund(amount=10000, reference="aftersales:2").amount == 10000
    assert selectors.refunded_total("CM1001") == 10000


def test_refund_rejected_by_the_gateway_fails_at_once(shop: Shop):
    shop.captured()
    # The gateway's own books say less is left than ours do (e.g. refunded in its dashboard).
    GatewayCharge.objects.update(refunded_amount=9000)

    refund = shop.refund(amount=2000, reference="aftersales:1")

    assert refund.status == RefundStatus.FAILED
    assert Payment.objects.get().refunded_amount == 0
    assert [p["reason"] for p in events_of("RefundFailed")] == [
        "rejected by the provider: amount_too_large"
    ]


def test_refund_not_acknowledged_is_resubmitted_by_the_sweep(shop: Shop, monkeypatch):
    shop.captured()

    def down(self, **kwargs):
        raise ProviderUnavailable("down")

    with monkeypatch.context() as patched:
        patched.setattr(TestGatewayProvider, "refund", down)
        pending = shop.refund(amount=1500, reference="aftersales:1")
    assert pending.status == RefundStatus.PENDING
    assert GatewayRefund.objects.count() == 0

    assert services.refunds_resubmit_stuck(older_than=timedelta(minutes=5)) == 0  # too recent
    with shop.capture(execute=True):
        resubmitted = services.refunds_resubmit_stuck(older_than=timedelta(0))

    assert resubmitted == 1
    row = Refund.objects.get()
    assert (row.status, row.submit_attempts) == (RefundStatus.SUCCEEDED, 2)
    assert GatewayRefund.objects.get().idempotency_key == f"circlemart-refund-{row.pk}"
    assert len(events_of("RefundSucceeded")) == 1


def test_refund_prefers_the_late_capture(shop: Shop):
    first = shop.start("CM1001")
    Payment.objects.filter(pk=first.id).update(status=PaymentStatus.CANCELLED)
    shop.press(first)  # late capture
    second = shop.captured("CM1001")

    refund = shop.refund(amount=10000, reference=f"unneeded-payment:{first.id}")

    assert refund.payment_id == first.id
    assert Payment.objects.get(pk=first.id).refunded_amount == 10000
    assert Payment.objects.get(pk=second.id).refunded_amount == 0
    assert selectors.captured_total("CM1001") == 20000


# --- selectors --------------------------------------------------------------------------------


def test_selectors_sum_per_order_and_scope_by_buyer(shop: Shop):
    shop.captured("CM1001", buyer_id=7)
    shop.start("CM1002", buyer_id=8, amount=500)
    shop.refund("CM1001", amount=1000, reference="a")

    assert [p.order_number for p in selectors.payments_for_order("CM1001")] == ["CM1001"]
    assert selectors.captured_total("CM1001") == 10000
    assert selectors.captured_total("CM1002") == 0
    assert selectors.refunded_total("CM1001") == 1000
    assert [r.reference for r in selectors.refunds_for_order("CM1001")] == ["a"]
    mine = Payment.objects.get(order_number="CM1001").pk
    assert selectors.payment_by_id(mine, 7) is not None
    assert selectors.payment_by_id(mine, 8) is None


def test_the_gateway_sweep_settles_refunds_and_resends_webhooks_a_lost_task_left(
    django_capture_on_commit_callbacks,
) -> None:
    from datetime import timedelta

    from circlemart.payments import gateway
    from circlemart.payments.models import GatewayRefund, GatewayWebhook

    charge = gateway.charge_create(
        merchant_reference="CM-SWEEP",
        description="sweep",
        amount=1000,
        currency="CNY",
        return_url="/",
        idempotency_key="sweep-1",
    )
    with django_capture_on_commit_callbacks(execute=False):  # the tasks are "lost"
        gateway.charge_complete(token=charge.token, pay=True)
        refund = gateway.refund_create(
            charge_id=charge.charge_id,
            amount=400,
            reason="lost",
            merchant_reference="r-1",
            idempotency_key="sweep-r-1",
        )
    assert GatewayRefund.objects.get(pk=refund.pk).status == "pending"
    assert gateway.sweep_pending(older_than=timedelta(minutes=5)) == (0, 0)  # too young
    with django_capture_on_commit_callbacks(execute=False):
        settled, resent = gateway.sweep_pending(older_than=timedelta(seconds=-1))
    assert settled == 1
    assert resent >= 1
    assert GatewayRefund.objects.get(pk=refund.pk).status == "succeeded"
    assert GatewayWebhook.objects.filter(event_type="payment.succeeded", attempts__gte=1).exists()
