"""What orders does when payments report back. Idempotent: receipts per event, and every
step below is itself a conditional state move."""

from __future__ import annotations

from circlemart.core.events import DeliveredEvent, handles
from circlemart.orders import aftersales, services
from circlemart.payments.events import PaymentCaptured, RefundFailed, RefundSucceeded


@handles(PaymentCaptured)
def pay_order_on_capture(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, PaymentCaptured)
    services.order_record_payment(
        number=event.order_number, payment_id=event.payment_id, amount=event.amount
    )


@handles(RefundSucceeded)
def apply_refund(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, RefundSucceeded)
    if event.reference.startswith(services.SYSTEM_REFUND_PREFIX):
        services.order_system_refund_succeeded(
            number=event.order_number, reference=event.reference, amount=event.amount
        )
        return
    aftersales.aftersales_refund_succeeded(reference=event.reference, amount=event.amount)


@handles(RefundFailed)
def reopen_after_failed_refund(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, RefundFailed)
    if event.reference.startswith(services.SYSTEM_REFUND_PREFIX):
        services.order_system_refund_failed(
            number=event.order_number, reference=event.reference, reason=event.reason
        )
        return
    aftersales.aftersales_refund_failed(reference=event.reference, reason=event.reason)
