"""Request and response shapes of the payments API."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema
from circlemart.payments.contracts import PaymentView


@derived_from(PaymentView)  # see core.contract_schemas
class PaymentOut(Schema): ...


class GatewayBehaviourIn(InputSchema):
    """Test mode only: how the payment's test gateway charge misbehaves. Omitted = unchanged."""

    fail_payment: bool | None = None
    fail_refunds: bool | None = None
    webhook_delay_seconds: int | None = Field(default=None, ge=0, le=3600)
    duplicate_webhooks: bool | None = None
    out_of_order: bool | None = None


class GatewayBehaviourOut(Schema):
    charge_id: str
    status: str
    fail_payment: bool
    fail_refunds: bool
    webhook_delay_seconds: int
    duplicate_webhooks: bool
    out_of_order: bool


class GatewayCompleteIn(InputSchema):
    """Test mode only: act as the buyer on the hosted page."""

    outcome: Literal["pay", "fail"]


class PaymentMethodOut(Schema):
    name: str = Field(description='What to send as "provider" when paying.')
    label: str
