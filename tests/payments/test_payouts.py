"""Payouts (money out, e.g. distributors' withdrawals) through the provider interface: the
test gateway pays at once, once per key, and fails on request for a payee; providers that
cannot pay out still are payment providers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from circlemart.core.errors import ValidationFailed
from circlemart.payments import gateway, services
from circlemart.payments.contracts import PayoutStatus
from circlemart.payments.models import GatewayPayout
from circlemart.payments.providers import load_provider, provider_path
from circlemart.payments.providers.base import PaymentProvider, PayoutProvider

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_messages() -> Iterator[None]:
    """The failure reason is stored as the service words it: compared in English here."""
    with translation.override("en"):
        yield


def send(key: str = "k1", amount: int = 1500, payee: str = "user:7") -> object:
    return services.payout_send(
        reference="withdrawal:1", payee=payee, amount=amount, currency="cny", idempotency_key=key
    )


def test_the_test_gateway_pays_out_once_per_key() -> None:
    first = send()
    again = send()
    assert first == again
    assert (first.provider, first.status, first.failure_reason) == (  # type: ignore[attr-defined]
        "test_gateway",
        PayoutStatus.SUCCEEDED,
        "",
    )
    payout = GatewayPayout.objects.get()
    assert (payout.amount, payout.currency, payout.payee, payout.merchant_reference) == (
        1500,
        "CNY",
        "user:7",
        "withdrawal:1",
    )
    assert first.provider_payout_id == payout.payout_id  # type: ignore[attr-defined]


def test_a_payee_set_to_fail_is_refused_for_good_and_can_be_paid_again_later() -> None:
    gateway.payee_set_behaviour(payee="user:7", fail_payouts=True)
    failed = send("k1")
    assert failed.status == PayoutStatus.FAILED  # type: ignore[attr-defined]
    assert failed.failure_reason == "The payee's account refused the transfer."  # type: ignore[attr-defined]
    gateway.payee_set_behaviour(payee="user:7", fail_payouts=False)
    assert send("k1").status == PayoutStatus.FAILED  # type: ignore[attr-defined]  # same key
    assert send("k2").status == PayoutStatus.SUCCEEDED  # type: ignore[attr-defined]
    assert list(GatewayPayout.objects.order_by("id").values_list("status", flat=True)) == [
        "failed",
        "succeeded",
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"amount": 0}, "amount"), ({"amount": -1}, "amount"), ({"payee": ""}, "payee")],
)
def test_bad_payouts_are_refused_before_the_provider_is_asked(changes, field) -> None:
    arguments = {
        "reference": "r",
        "payee": "user:1",
        "amount": 100,
        "currency": "CNY",
        "idempotency_key": "k",
    } | changes
    with pytest.raises(ValidationFailed) as refused:
        services.payout_send(**arguments)
    assert refused.value.field == field
    assert not GatewayPayout.objects.exists()


def test_only_the_test_gateway_implements_payouts_and_all_stay_payment_providers(
    settings,
) -> None:
    gateway_provider = load_provider(provider_path("test_gateway"))
    assert isinstance(gateway_provider, PayoutProvider)
    assert isinstance(gateway_provider, PaymentProvider)


def test_without_a_payout_provider_the_payout_waits(settings) -> None:
    settings.PAYMENT_PROVIDERS = []
    from circlemart.payments.providers.base import ProviderUnavailable

    with pytest.raises(ProviderUnavailable):
        services.payout_provider()
