"""Reads of payments for orders, the API and the back office; reads by id are owner-scoped."""

from __future__ import annotations

from django.db.models import F, Sum

from circlemart.payments.contracts import PaymentStatus, PaymentView, RefundStatus, RefundView
from circlemart.payments.models import Payment, Refund


def payment_view(payment: Payment) -> PaymentView:
    return PaymentView(
        id=payment.pk,
        order_number=payment.order_number,
        amount=payment.amount,
        currency=payment.currency,
        status=PaymentStatus(payment.status),
        provider=payment.provider,
        redirect_url=payment.redirect_url,
        refunded_amount=payment.refunded_amount,
        is_late_capture=payment.is_late_capture,
    )


def refund_view(refund: Refund) -> RefundView:
    return RefundView(
        id=refund.pk,
        order_number=refund.order_number,
        amount=refund.amount,
        currency=refund.currency,
        status=RefundStatus(refund.status),
        reference=refund.reference,
        payment_id=refund.payment_id,
        reason=refund.reason,
    )


def payments_for_order(order_number: str) -> list[PaymentView]:
    """Every payment attempt of the order, oldest first."""
    rows = Payment.objects.filter(order_number=order_number).order_by("id")
    return [payment_view(payment) for payment in rows]


def live_payment_for_order(order_number: str) -> PaymentView | None:
    """The order's one created-or-captured payment (late captures aside), if any."""
    payment = Payment.objects.filter(
        order_number=order_number,
        status__in=[PaymentStatus.CREATED, PaymentStatus.CAPTURED],
        is_late_capture=False,
    ).first()
    return payment_view(payment) if payment is not None else None


def refunds_for_order(order_number: str) -> list[RefundView]:
    rows = Refund.objects.filter(order_number=order_number).order_by("id")
    return [refund_view(refund) for refund in rows]


def captured_total(order_number: str) -> int:
    """Minor units captured for the order (late captures included: that money was taken)."""
    total = Payment.objects.filter(
        order_number=order_number, status=PaymentStatus.CAPTURED
    ).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def refunded_total(order_number: str) -> int:
    """Minor units the provider confirmed as refunded (pending refunds not included)."""
    total = Refund.objects.filter(
        order_number=order_number, status=RefundStatus.SUCCEEDED
    ).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def refundable_total(order_number: str) -> int:
    """What a new refund may still take: captured minus refunded minus pending refunds."""
    total = Payment.objects.filter(
        order_number=order_number, status=PaymentStatus.CAPTURED
    ).aggregate(total=Sum(F("amount") - F("refunded_amount")))["total"]
    return int(total or 0)


def payment_by_id(payment_id: int, buyer_id: int) -> PaymentView | None:
    """The payment when it belongs to this buyer; None otherwise (someone else's is unknown)."""
    payment = Payment.objects.filter(pk=payment_id, buyer_id=buyer_id).first()
    return payment_view(payment) if payment is not None else None


def payment_return_url(payment_id: int) -> str | None:
    """Where the buyer goes after the provider (the merchant page stored at start)."""
    return Payment.objects.filter(pk=payment_id).values_list("return_url", flat=True).first()


def provider_payment_id(payment_id: int) -> str:
    """The provider's id of a payment ("" before the provider has it); for test controls."""
    found = Payment.objects.filter(pk=payment_id).values_list("provider_payment_id", flat=True)
    return found.first() or ""
