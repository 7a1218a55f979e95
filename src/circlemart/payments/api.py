"""Payments API (mounted by circlemart.config.api at /api/v1/payments).

Buyers read their own payments; in test mode (PAYMENTS_TEST_MODE) they can also steer the
test gateway for their payment: make it fail, answer late, twice or out of order, or press
Pay/Fail without the HTML page.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from circlemart.core.errors import NotFound
from circlemart.payments import errors, gateway, selectors
from circlemart.payments.contracts import PaymentView
from circlemart.payments.models import GatewayCharge
from circlemart.payments.schemas import (
    GatewayBehaviourIn,
    GatewayBehaviourOut,
    GatewayCompleteIn,
    PaymentMethodOut,
    PaymentOut,
)

router = Router(tags=["payments"])


def _own_payment(request: HttpRequest, payment_id: int) -> PaymentView:
    buyer_id = request.user.pk
    payment = selectors.payment_by_id(payment_id, buyer_id) if buyer_id is not None else None
    if payment is None:
        raise NotFound(_("Payment not found."), code=errors.UNKNOWN_PAYMENT, field="payment_id")
    return payment


def _test_charge_id(request: HttpRequest, payment_id: int) -> str:
    if not settings.PAYMENTS_TEST_MODE:
        raise NotFound(_("Test controls are off."), code=errors.TEST_MODE_OFF)
    payment = _own_payment(request, payment_id)
    provider_payment_id = selectors.provider_payment_id(payment.id)
    if payment.provider != gateway.PROVIDER_NAME or not provider_payment_id:
        raise NotFound(_("This payment is not at the test gateway."), code=errors.UNKNOWN_PAYMENT)
    return provider_payment_id


def _behaviour_out(charge: GatewayCharge) -> dict[str, Any]:
    return {
        "charge_id": charge.charge_id,
        "status": charge.status,
        "fail_payment": charge.fail_payment,
        "fail_refunds": charge.fail_refunds,
        "webhook_delay_seconds": charge.webhook_delay_seconds,
        "duplicate_webhooks": charge.duplicate_webhooks,
        "out_of_order": charge.out_of_order,
    }


@router.get(
    "/methods",
    response=list[PaymentMethodOut],
    auth=None,
    summary="The payment methods a buyer may choose from (first one preselected)",
)
def payment_methods(request: HttpRequest, currency: str = "CNY") -> list[dict[str, str]]:
    code = currency.upper()[:3]
    return [dataclasses.asdict(method) for method in selectors.payment_methods(code)]


@router.get("/{int:payment_id}", response=PaymentOut, summary="One of my payments")
def payment_detail(request: HttpRequest, payment_id: int) -> dict[str, Any]:
    return dataclasses.asdict(_own_payment(request, payment_id))


@router.post(
    "/{int:payment_id}/test-gateway/behaviour",
    response=GatewayBehaviourOut,
    summary="Test mode: make the test gateway misbehave for this payment",
)
def test_gateway_behaviour(
    request: HttpRequest, payment_id: int, payload: GatewayBehaviourIn
) -> dict[str, Any]:
    charge_id = _test_charge_id(request, payment_id)
    behaviour = gateway.Behaviour(**payload.model_dump())
    return _behaviour_out(gateway.charge_set_behaviour(charge_id=charge_id, behaviour=behaviour))


@router.post(
    "/{int:payment_id}/test-gateway/complete",
    response=GatewayBehaviourOut,
    summary="Test mode: press Pay or Fail on the test gateway's page",
)
def test_gateway_complete(
    request: HttpRequest, payment_id: int, payload: GatewayCompleteIn
) -> dict[str, Any]:
    charge = gateway.charge_get(charge_id=_test_charge_id(request, payment_id))
    completed = gateway.charge_complete(token=charge.token, pay=payload.outcome == "pay")
    return _behaviour_out(completed)
