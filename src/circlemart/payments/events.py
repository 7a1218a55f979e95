"""Domain events of payments. Aggregate is the order (by number) so that every event about one
order is relayed in order, interleaved correctly with the order's own events."""

from __future__ import annotations

from dataclasses import dataclass

from circlemart.core.events import DomainEvent, register_event


@register_event
@dataclass(frozen=True)
class PaymentCaptured(DomainEvent):
    event_type = "payments.PaymentCaptured"
    aggregate_type = "order"

    payment_id: int
    order_number: str
    amount: int
    currency: str
    provider: str

    def aggregate_id(self) -> str:
        return self.order_number


@register_event
@dataclass(frozen=True)
class PaymentFailed(DomainEvent):
    event_type = "payments.PaymentFailed"
    aggregate_type = "order"

    payment_id: int
    order_number: str
    reason: str

    def aggregate_id(self) -> str:
        return self.order_number


@register_event
@dataclass(frozen=True)
class RefundSucceeded(DomainEvent):
    event_type = "payments.RefundSucceeded"
    aggregate_type = "order"

    refund_id: int
    order_number: str
    amount: int
    currency: str
    reference: str

    def aggregate_id(self) -> str:
        return self.order_number


@register_event
@dataclass(frozen=True)
class RefundFailed(DomainEvent):
    event_type = "payments.RefundFailed"
    aggregate_type = "order"

    refund_id: int
    order_number: str
    amount: int
    reference: str
    reason: str

    def aggregate_id(self) -> str:
        return self.order_number
