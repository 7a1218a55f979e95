"""What crosses the payments boundary. orders calls services.payment_start / payment_refund
and reacts to PaymentCaptured / RefundSucceeded (events.py); it never sees provider details."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PaymentStatus(StrEnum):
    CREATED = "created"  # the provider has it; the buyer has not paid yet
    CAPTURED = "captured"  # money taken (final unless refunded)
    FAILED = "failed"
    CANCELLED = "cancelled"


class PayoutStatus(StrEnum):
    PENDING = "pending"  # the provider has not decided yet: ask again later
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # refused for good (payee account closed, limits): nothing moved


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class PaymentView:
    id: int
    order_number: str
    amount: int  # minor units
    currency: str
    status: PaymentStatus
    provider: str
    redirect_url: str  # where the buyer goes to pay (the provider's page, or the shop's QR page)
    refunded_amount: int = 0  # reserved by pending refunds plus refunded by succeeded ones
    is_late_capture: bool = False  # captured after it was cancelled or failed: refund it
    qr_code: str = ""  # scanned with the provider's app (WeChat Pay Native); "" otherwise


@dataclass(frozen=True)
class RefundView:
    id: int
    order_number: str
    amount: int
    currency: str
    status: RefundStatus
    reference: str  # the caller's reference, e.g. "aftersales:12" or "order-cancelled:CM…"
    payment_id: int = 0
    reason: str = ""


@dataclass(frozen=True)
class PayoutResult:
    """What a payout (a transfer to a payee, e.g. a distributor's withdrawal) came to."""

    provider: str
    provider_payout_id: str
    status: PayoutStatus
    failure_reason: str = ""
