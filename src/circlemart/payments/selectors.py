"""Reads of payments for orders, the API and the back office; reads by id are owner-scoped."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Sum

from circlemart.payments import links
from circlemart.payments.contracts import PaymentStatus, PaymentView, RefundStatus, RefundView
from circlemart.payments.models import Payment, Refund
from circlemart.payments.providers import provider_label, providers_for_currency


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
        qr_code=payment.qr_code,
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


@dataclass(frozen=True)
class PaymentMethod:
    name: str
    label: str


def payment_methods(currency: str) -> list[PaymentMethod]:
    """The providers a buyer may pay `currency` with, in the order offered (first preselected);
    a provider whose configuration is broken is left out (the start-up check reports it)."""
    return [
        PaymentMethod(name=provider.name, label=provider_label(provider.name))
        for provider in providers_for_currency(currency)
    ]


def payment_view_by_id(payment_id: int) -> PaymentView | None:
    """Any payment by id: only for callers that checked the buyer's right to it (a signed
    link, or ownership)."""
    payment = Payment.objects.filter(pk=payment_id).first()
    return payment_view(payment) if payment is not None else None


def buyer_pay_path(payment: PaymentView) -> str:
    """Where on this site to send a buyer who pressed Pay: the payment's own page when it is
    on this site (QR code, test gateway), else the page that hands over to the provider."""
    if payment.redirect_url.startswith("/") and not payment.redirect_url.startswith("//"):
        return payment.redirect_url
    return links.leave_path(payment.id)


def payment_return_url(payment_id: int) -> str | None:
    """Where the buyer goes after the provider (the merchant page stored at start)."""
    return Payment.objects.filter(pk=payment_id).values_list("return_url", flat=True).first()


def provider_payment_id(payment_id: int) -> str:
    """The provider's id of a payment ("" before the provider has it); for test controls."""
    found = Payment.objects.filter(pk=payment_id).values_list("provider_payment_id", flat=True)
    return found.first() or ""
