"""Stripe: the adapter against a local fake of Stripe's API (Checkout Sessions, refunds,
Idempotency-Key, errors), Stripe-Signature webhooks, and the whole app flow through HTTP with
the fake paying, notifying (also twice, out of order, forged) and refunding."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from circlemart.core import clock
from circlemart.core.errors import Conflict, ValidationFailed
from circlemart.core.events import relay_pending
from circlemart.orders.models import Order
from circlemart.payments import links, services
from circlemart.payments.contracts import PaymentStatus, RefundStatus
from circlemart.payments.models import Payment, Refund, WebhookReceipt
from circlemart.payments.providers.base import (
    ProviderPaymentStatus,
    ProviderRefund,
    ProviderRefundStatus,
    ProviderUnavailable,
    RefundRejected,
    WebhookEventType,
    WebhookRejected,
)
from circlemart.payments.providers.stripe import StripeProvider, stripe_amount
from tests.orders.conftest import make_buyer, make_sku, place
from tests.payments.conftest import events_of
from tests.payments.fakes.stripe_fake import StripeFake

RETURN_URL = "http://shop.test/payments/return/42/?sig=abc"
NOTIFY_URL = "http://shop.test/payments/webhooks/stripe/"


@pytest.fixture
def fake(settings: Any) -> Iterator[StripeFake]:
    secret_key = f"sk_test_{secrets.token_hex(16)}"
    webhook_secret = f"whsec_{secrets.token_hex(24)}"
    with StripeFake(secret_key=secret_key, webhook_secret=webhook_secret) as stripe_fake:
        settings.STRIPE_SECRET_KEY = secret_key
        settings.STRIPE_SECRET_KEY_FILE = ""
        settings.STRIPE_WEBHOOK_SECRET = webhook_secret
        settings.STRIPE_WEBHOOK_SECRET_FILE = ""
        settings.STRIPE_API_BASE = stripe_fake.base_url
        settings.STRIPE_CURRENCIES = ["CNY", "USD", "JPY", "KWD", "ISK"]
        settings.STRIPE_MAX_NETWORK_RETRIES = 0
        settings.STRIPE_CONNECT_TIMEOUT_SECONDS = 2
        settings.STRIPE_TIMEOUT_SECONDS = 2
        settings.ORDER_PAYMENT_WINDOW_MINUTES = 30
        settings.PAYMENT_PROVIDERS = ["stripe"]
        yield stripe_fake
        assert stripe_fake.crashes == []


@pytest.fixture
def provider(fake: StripeFake) -> StripeProvider:
    return StripeProvider()


def create(provider: StripeProvider, **changes: Any) -> str:
    arguments: dict[str, Any] = {
        "reference": "42",
        "description": "Circlemart CM1001",
        "amount": 12345,
        "currency": "CNY",
        "return_url": RETURN_URL,
        "notify_url": NOTIFY_URL,
        "idempotency_key": "circlemart-payment-42",
        **changes,
    }
    return provider.create_payment(**arguments).provider_payment_id


def paid_session(provider: StripeProvider, fake: StripeFake, **changes: Any) -> str:
    session_id = create(provider, **changes)
    fake.pay(session_id)
    return session_id


def refund(provider: StripeProvider, session_id: str, **changes: Any) -> ProviderRefund:
    arguments: dict[str, Any] = {
        "provider_payment_id": session_id,
        "amount": 5000,
        "currency": "CNY",
        "reason": "damaged in transit",
        "reference": "7",
        "notify_url": NOTIFY_URL,
        "idempotency_key": "circlemart-refund-7",
        **changes,
    }
    return provider.refund(**arguments)


def posts(fake: StripeFake, path: str) -> list[Any]:
    return list(fake.requests_to("POST", path))


# --- Creating a payment: a Checkout Session ---------------------------------------------------


def test_create_opens_a_checkout_session_and_sends_the_buyer_to_it(
    provider: StripeProvider, fake: StripeFake
):
    before = int(time.time())

    created = provider.create_payment(
        reference="42",
        description="Circlemart CM1001",
        amount=12345,
        currency="CNY",
        return_url=RETURN_URL,
        notify_url=NOTIFY_URL,
        idempotency_key="circlemart-payment-42",
    )

    session = fake.sessions[created.provider_payment_id]
    assert created.redirect_url == session["url"] == f"{fake.base_url}/c/pay/{session['id']}"
    assert created.qr_code == ""
    [request] = posts(fake, "/v1/checkout/sessions")
    assert request.headers["authorization"] == f"Bearer {fake.secret_key}"
    assert request.headers["idempotency-key"] == "circlemart-payment-42"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    expires_at = int(request.params.pop("expires_at"))
    assert request.params == {
        "mode": "payment",
        "line_items": [
            {
                "quantity": "1",
                "price_data": {
                    "currency": "cny",
                    "unit_amount": "12345",
                    "product_data": {"name": "Circlemart CM1001"},
                },
            }
        ],
        "client_reference_id": "42",
        "metadata": {"circlemart_reference": "42"},
        "payment_intent_data": {"metadata": {"circlemart_reference": "42"}},
        "success_url": RETURN_URL,
        "cancel_url": RETURN_URL,
    }
    # A 30-minute window is below Stripe's minimum: 31 minutes leaves a margin for skew.
    assert before + 31 * 60 <= expires_at <= int(time.time()) + 31 * 60


@pytest.mark.parametrize(
    ("window_minutes", "lifetime_minutes"),
    [(5, 31), (30, 31), (45, 45), (120, 120), (24 * 60, 24 * 60 - 1), (3 * 24 * 60, 24 * 60 - 1)],
)
def test_the_session_lives_as_long_as_the_payment_window_within_stripe_limits(
    provider: StripeProvider,
    fake: StripeFake,
    settings: Any,
    window_minutes: int,
    lifetime_minutes: int,
):
    settings.ORDER_PAYMENT_WINDOW_MINUTES = window_minutes

    session = fake.sessions[create(provider)]

    assert abs(session["expires_at"] - session["created"] - lifetime_minutes * 60) <= 2


def test_the_same_idempotency_key_gives_the_same_session(
    provider: StripeProvider, fake: StripeFake
):
    first = create(provider)
    second = create(provider)

    assert first == second
    assert len(fake.sessions) == 1
    assert [r.headers["idempotency-key"] for r in posts(fake, "/v1/checkout/sessions")] == [
        "circlemart-payment-42",
        "circlemart-payment-42",
    ]


def test_a_retry_whose_parameters_moved_opens_a_session_under_a_derived_key(
    provider: StripeProvider, fake: StripeFake
):
    first = create(provider)

    moved = create(provider, return_url="http://other.test/payments/return/42/?sig=abc")
    again = create(provider, return_url="http://other.test/payments/return/42/?sig=abc")

    keys = [r.headers["idempotency-key"] for r in posts(fake, "/v1/checkout/sessions")]
    assert moved != first
    assert again == moved
    assert len(fake.sessions) == 2
    assert keys[:2] == ["circlemart-payment-42", "circlemart-payment-42"]
    assert keys[2].startswith("circlemart-payment-42-")
    assert keys[3:] == ["circlemart-payment-42", keys[2]]


@pytest.mark.parametrize(
    ("currency", "amount", "sent"),
    [
        ("USD", 199, "199"),  # two decimals both sides: cents as they are
        ("JPY", 500, "500"),  # zero-decimal both sides: yen as they are
        ("ISK", 500, "50000"),  # ISO 0 digits, Stripe's API 2 (whole krónur only)
        ("KWD", 1230, "1230"),  # three decimals, last digit 0 as Stripe needs
        ("usd", 10**15 + 1, str(10**15 + 1)),  # exact, however large: no floats
    ],
)
def test_amounts_are_converted_exactly_to_stripe_units(
    provider: StripeProvider, fake: StripeFake, currency: str, amount: int, sent: str
):
    create(provider, currency=currency, amount=amount)

    [request] = posts(fake, "/v1/checkout/sessions")
    price = request.params["line_items"][0]["price_data"]
    assert (price["currency"], price["unit_amount"]) == (currency.lower(), sent)


@pytest.mark.parametrize(("currency", "amount"), [("KWD", 1234), ("USD", 0), ("USD", -100)])
def test_amounts_stripe_cannot_charge_are_refused_before_calling_it(
    provider: StripeProvider, fake: StripeFake, currency: str, amount: int
):
    with pytest.raises(ValidationFailed) as refused:
        create(provider, currency=currency, amount=amount)

    assert (refused.value.code, refused.value.field) == ("amount_not_chargeable", "amount")
    assert fake.requests == []


def test_stripe_amount_of_a_currency_with_fewer_stripe_digits_must_be_whole(
    monkeypatch: pytest.MonkeyPatch,
):
    # No currency is like this today (ISO has more digits than Stripe): the rule is still exact.
    monkeypatch.setattr("circlemart.payments.providers.stripe.minor_unit_exponent", lambda c: 2)

    assert stripe_amount(12300, "JPY") == 123
    with pytest.raises(ValidationFailed):
        stripe_amount(12345, "JPY")


def test_currencies_come_from_the_setting(provider: StripeProvider, fake: StripeFake):
    assert [provider.supports_currency(code) for code in ("CNY", "usd", "EUR", "GBP")] == [
        True,
        True,
        False,
        False,
    ]
    with pytest.raises(ValidationFailed) as refused:
        create(provider, currency="EUR")

    assert (refused.value.code, refused.value.field) == ("unsupported_currency", "currency")
    assert fake.requests == []


def test_a_session_stripe_refuses_is_a_conflict_not_an_outage(
    provider: StripeProvider, fake: StripeFake
):
    with pytest.raises(Conflict) as refused:
        create(provider, return_url="/not/absolute/")

    assert (refused.value.code, refused.value.field) == ("payment_refused_by_provider", "provider")
    assert fake.sessions == {}


# --- Outages: every failure worth retrying is ProviderUnavailable -----------------------------


def test_a_server_error_is_provider_unavailable(provider: StripeProvider, fake: StripeFake):
    fake.faults.statuses = [500]

    with pytest.raises(ProviderUnavailable):
        create(provider)

    assert fake.sessions == {}


def test_the_sdk_retries_a_server_error_with_the_same_key(fake: StripeFake, settings: Any):
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    fake.faults.statuses = [503]

    session_id = create(StripeProvider())

    assert list(fake.sessions) == [session_id]
    keys = [r.headers["idempotency-key"] for r in posts(fake, "/v1/checkout/sessions")]
    assert keys == ["circlemart-payment-42", "circlemart-payment-42"]


def test_an_answer_lost_on_the_way_is_replayed_by_stripe_on_retry(fake: StripeFake, settings: Any):
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    fake.faults.lost_answers = 1

    session_id = create(StripeProvider())

    assert list(fake.sessions) == [session_id]
    assert len(posts(fake, "/v1/checkout/sessions")) == 2


def test_a_lost_answer_without_retries_is_unavailable_and_the_next_try_gets_the_session(
    provider: StripeProvider, fake: StripeFake
):
    fake.faults.lost_answers = 1

    with pytest.raises(ProviderUnavailable):
        create(provider)
    session_id = create(provider)

    assert list(fake.sessions) == [session_id]


def test_a_slow_stripe_times_out(fake: StripeFake, settings: Any):
    settings.STRIPE_TIMEOUT_SECONDS = 0.3
    fake.faults.delay_seconds = 1.0
    provider = StripeProvider()
    started = time.monotonic()

    with pytest.raises(ProviderUnavailable):
        provider.fetch_status(provider_payment_id="cs_test_slow")

    assert time.monotonic() - started < 1.0


def test_stripe_down_is_provider_unavailable(provider: StripeProvider, fake: StripeFake):
    fake.stop()

    with pytest.raises(ProviderUnavailable):
        create(provider)


def test_a_wrong_secret_key_is_provider_unavailable(fake: StripeFake, settings: Any):
    settings.STRIPE_SECRET_KEY = "sk_test_wrong"

    with pytest.raises(ProviderUnavailable):
        create(StripeProvider())

    assert fake.sessions == {}


# --- Status, cancel ---------------------------------------------------------------------------


def test_status_follows_the_session(provider: StripeProvider, fake: StripeFake):
    session_id = create(provider)
    open_status = provider.fetch_status(provider_payment_id=session_id)
    fake.pay(session_id)

    assert open_status == ProviderPaymentStatus.PENDING
    assert provider.fetch_status(provider_payment_id=session_id) == ProviderPaymentStatus.SUCCEEDED
    [_create, _open, paid] = fake.requests
    assert (paid.method, paid.path, paid.params) == (
        "GET",
        f"/v1/checkout/sessions/{session_id}",
        {"expand": ["payment_intent"]},
    )


def test_a_delayed_method_is_pending_until_it_settles(provider: StripeProvider, fake: StripeFake):
    succeeding, failing = create(provider), create(provider, idempotency_key="k2")
    fake.pay_delayed(succeeding)
    fake.pay_delayed(failing)
    pending = [provider.fetch_status(provider_payment_id=s) for s in (succeeding, failing)]
    fake.settle_delayed(succeeding, succeeded=True)
    fake.settle_delayed(failing, succeeded=False)

    assert pending == [ProviderPaymentStatus.PENDING, ProviderPaymentStatus.PENDING]
    assert provider.fetch_status(provider_payment_id=succeeding) == ProviderPaymentStatus.SUCCEEDED
    assert provider.fetch_status(provider_payment_id=failing) == ProviderPaymentStatus.FAILED


def test_an_expired_session_is_cancelled(provider: StripeProvider, fake: StripeFake):
    session_id = create(provider)
    fake.expire_now(session_id)

    assert provider.fetch_status(provider_payment_id=session_id) == ProviderPaymentStatus.CANCELLED


def test_an_unknown_session_is_provider_unavailable(provider: StripeProvider):
    with pytest.raises(ProviderUnavailable):
        provider.fetch_status(provider_payment_id="cs_test_unknown")


def test_cancel_expires_an_open_session(provider: StripeProvider, fake: StripeFake):
    session_id = create(provider)

    status = provider.cancel_payment(provider_payment_id=session_id)

    assert status == ProviderPaymentStatus.CANCELLED
    assert (fake.sessions[session_id]["status"], fake.sessions[session_id]["url"]) == (
        "expired",
        None,
    )
    assert len(posts(fake, f"/v1/checkout/sessions/{session_id}/expire")) == 1


def test_cancel_after_the_buyer_paid_reports_the_payment(
    provider: StripeProvider, fake: StripeFake
):
    session_id = paid_session(provider, fake)

    status = provider.cancel_payment(provider_payment_id=session_id)

    assert status == ProviderPaymentStatus.SUCCEEDED
    assert fake.sessions[session_id]["status"] == "complete"


def test_cancel_twice_stays_cancelled(provider: StripeProvider, fake: StripeFake):
    session_id = create(provider)
    provider.cancel_payment(provider_payment_id=session_id)

    assert (
        provider.cancel_payment(provider_payment_id=session_id) == ProviderPaymentStatus.CANCELLED
    )


def test_cancel_of_an_unknown_session_is_provider_unavailable(provider: StripeProvider):
    with pytest.raises(ProviderUnavailable):
        provider.cancel_payment(provider_payment_id="cs_test_unknown")


# --- Refunds ----------------------------------------------------------------------------------


def test_refund_refunds_the_sessions_payment_intent(provider: StripeProvider, fake: StripeFake):
    session_id = paid_session(provider, fake)
    intent_id = fake.sessions[session_id]["payment_intent"]

    result = refund(provider, session_id)

    assert result == ProviderRefund(
        provider_refund_id=next(iter(fake.refunds)), status=ProviderRefundStatus.PENDING
    )
    [request] = posts(fake, "/v1/refunds")
    assert request.headers["idempotency-key"] == "circlemart-refund-7"
    assert request.params == {
        "payment_intent": intent_id,
        "amount": "5000",
        "metadata": {"circlemart_reference": "7", "circlemart_reason": "damaged in transit"},
    }
    assert fake.intents[intent_id]["amount_refunded"] == 5000


def test_the_same_refund_key_refunds_once(provider: StripeProvider, fake: StripeFake):
    session_id = paid_session(provider, fake)

    first, second = refund(provider, session_id), refund(provider, session_id)

    assert first == second
    assert len(fake.refunds) == 1
    assert fake.intents[fake.sessions[session_id]["payment_intent"]]["amount_refunded"] == 5000


def test_a_refund_stripe_settles_at_once_is_succeeded(provider: StripeProvider, fake: StripeFake):
    fake.refund_initial_status = "succeeded"

    result = refund(provider, paid_session(provider, fake))

    assert result.status == ProviderRefundStatus.SUCCEEDED


def test_refunding_more_than_is_left_is_rejected_for_good(
    provider: StripeProvider, fake: StripeFake
):
    session_id = paid_session(provider, fake)
    intent_id = fake.sessions[session_id]["payment_intent"]

    with pytest.raises(RefundRejected) as too_large:
        refund(provider, session_id, amount=12346)
    refund(provider, session_id, amount=12345, idempotency_key="circlemart-refund-8")
    with pytest.raises(RefundRejected) as already:
        refund(provider, session_id, amount=1, idempotency_key="circlemart-refund-9")

    assert too_large.value.code == "amount_too_large"
    assert already.value.code == "charge_already_refunded"
    assert len(fake.refunds) == 1
    assert fake.intents[intent_id]["amount_refunded"] == 12345


def test_refunding_an_unpaid_session_is_rejected_without_asking(
    provider: StripeProvider, fake: StripeFake
):
    session_id = create(provider)

    with pytest.raises(RefundRejected) as refused:
        refund(provider, session_id)

    assert refused.value.code == "not_paid"
    assert posts(fake, "/v1/refunds") == []


def test_refunding_in_another_currency_is_rejected(provider: StripeProvider, fake: StripeFake):
    session_id = paid_session(provider, fake)

    with pytest.raises(RefundRejected) as refused:
        refund(provider, session_id, currency="USD")

    assert refused.value.code == "currency_mismatch"
    assert posts(fake, "/v1/refunds") == []


def test_refunding_when_stripe_is_down_is_unavailable(provider: StripeProvider, fake: StripeFake):
    session_id = paid_session(provider, fake)
    fake.faults.only_path = "/v1/refunds"  # the session lookup answers, the refund does not
    fake.faults.statuses = [502]

    with pytest.raises(ProviderUnavailable):
        refund(provider, session_id)
    retried = refund(provider, session_id)

    assert list(fake.refunds) == [retried.provider_refund_id]


def test_fetch_refund_follows_the_refund(provider: StripeProvider, fake: StripeFake):
    session_id = paid_session(provider, fake)
    refund_id = refund(provider, session_id).provider_refund_id

    pending = provider.fetch_refund(
        provider_payment_id=session_id, provider_refund_id=refund_id, reference="7"
    )
    fake.settle_refund(refund_id, "succeeded")
    settled = provider.fetch_refund(
        provider_payment_id=session_id, provider_refund_id=refund_id, reference="7"
    )

    assert pending == ProviderRefund(refund_id, ProviderRefundStatus.PENDING)
    assert settled == ProviderRefund(refund_id, ProviderRefundStatus.SUCCEEDED)


@pytest.mark.parametrize("stripe_status", ["failed", "canceled"])
def test_a_failed_refund_is_failed(provider: StripeProvider, fake: StripeFake, stripe_status: str):
    session_id = paid_session(provider, fake)
    refund_id = refund(provider, session_id).provider_refund_id
    fake.settle_refund(refund_id, stripe_status)

    result = provider.fetch_refund(
        provider_payment_id=session_id, provider_refund_id=refund_id, reference="7"
    )

    assert result.status == ProviderRefundStatus.FAILED


def test_fetch_refund_of_someone_elses_refund_is_unavailable(
    provider: StripeProvider, fake: StripeFake
):
    session_id = paid_session(provider, fake)
    refund_id = refund(provider, session_id).provider_refund_id

    with pytest.raises(ProviderUnavailable):
        provider.fetch_refund(
            provider_payment_id=session_id, provider_refund_id=refund_id, reference="8"
        )
    with pytest.raises(ProviderUnavailable):
        provider.fetch_refund(
            provider_payment_id=session_id, provider_refund_id="re_test_unknown", reference="7"
        )


# --- Webhook signatures -----------------------------------------------------------------------


def signed(fake: StripeFake, event: dict[str, Any], **kwargs: Any) -> tuple[dict[str, str], bytes]:
    body = json.dumps(event).encode()
    return {"Stripe-Signature": fake.signature(body, **kwargs)}, body


def test_a_signed_event_is_read(provider: StripeProvider, fake: StripeFake):
    session_id = create(provider)
    event = fake.pay(session_id)
    headers, body = signed(fake, event)

    verified = provider.verify_webhook(headers=headers, body=body)

    assert verified.event_id == event["id"]
    assert verified.event_type == WebhookEventType.PAYMENT_SUCCEEDED
    assert verified.occurred_at == datetime.fromtimestamp(event["created"], tz=UTC)
    assert (verified.provider_payment_id, verified.merchant_reference) == (session_id, "42")
    assert verified.provider_refund_id == ""


def test_several_signatures_are_accepted_while_the_secret_is_rolled(
    provider: StripeProvider, fake: StripeFake
):
    headers, body = signed(
        fake, fake.pay(create(provider)), keys=["whsec_old", fake.webhook_secret]
    )

    assert provider.verify_webhook(headers=headers, body=body).event_type == (
        WebhookEventType.PAYMENT_SUCCEEDED
    )


def reject(provider: StripeProvider, headers: dict[str, str], body: bytes) -> tuple[str, str]:
    with pytest.raises(WebhookRejected) as rejected:
        provider.verify_webhook(headers=headers, body=body)
    assert rejected.value.status == 400
    return rejected.value.code, str(rejected.value.field)


def test_forged_tampered_and_unsigned_events_are_rejected(
    provider: StripeProvider, fake: StripeFake
):
    event = fake.pay(create(provider))
    body = json.dumps(event).encode()
    good = fake.signature(body)
    tampered = body.replace(b'"paid"', b'"PAID"')

    assert reject(provider, {"Stripe-Signature": fake.signature(body, keys=["whsec_x"])}, body) == (
        "bad_signature",
        "signature",
    )
    assert reject(provider, {"Stripe-Signature": good}, tampered)[0] == "bad_signature"
    assert reject(provider, {}, body)[0] == "bad_signature"
    assert reject(provider, {"Stripe-Signature": good.replace("v1=", "v0=")}, body)[0] == (
        "bad_signature"
    )
    assert reject(provider, {"Stripe-Signature": "t=abc," + good.split(",")[1]}, body)[0] == (
        "bad_signature"
    )
    assert reject(provider, {"Stripe-Signature": good}, b"\xff" + body)[0] == "bad_signature"


def test_stale_and_future_events_are_rejected(
    provider: StripeProvider, fake: StripeFake, settings: Any
):
    settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS = 300
    event = fake.pay(create(provider))
    now = int(time.time())

    for timestamp in (now - 310, now + 310):
        headers, body = signed(fake, event, timestamp=timestamp)
        assert reject(provider, headers, body) == ("stale_webhook", "signature")
    headers, body = signed(fake, event, timestamp=now - 290)
    assert provider.verify_webhook(headers=headers, body=body).event_id == event["id"]


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"id": "evt_1", "type": "x", "created": 1}', b'{"data": {}}']
)
def test_signed_nonsense_is_malformed(provider: StripeProvider, fake: StripeFake, body: bytes):
    headers = {"Stripe-Signature": fake.signature(body)}

    assert reject(provider, headers, body) == ("malformed_webhook", "body")


SESSION = {
    "id": "cs_test_1",
    "object": "checkout.session",
    "metadata": {"circlemart_reference": "42"},
}
REFUND = {"id": "re_test_1", "object": "refund", "metadata": {"circlemart_reference": "7"}}


@pytest.mark.parametrize(
    ("stripe_type", "data_object", "expected"),
    [
        ("checkout.session.completed", {**SESSION, "payment_status": "paid"}, "payment.succeeded"),
        (
            "checkout.session.completed",
            {**SESSION, "payment_status": "unpaid"},
            "payment.processing",
        ),
        ("checkout.session.async_payment_succeeded", SESSION, "payment.succeeded"),
        ("checkout.session.async_payment_failed", SESSION, "payment.failed"),
        ("checkout.session.expired", SESSION, "payment.cancelled"),
        ("refund.created", {**REFUND, "status": "pending"}, "other"),
        ("refund.created", {**REFUND, "status": "succeeded"}, "refund.succeeded"),
        ("refund.updated", {**REFUND, "status": "succeeded"}, "refund.succeeded"),
        ("refund.updated", {**REFUND, "status": "failed"}, "refund.failed"),
        ("refund.updated", {**REFUND, "status": "canceled"}, "refund.failed"),
        ("charge.refund.updated", {**REFUND, "status": "succeeded"}, "refund.succeeded"),
        ("charge.refunded", {"id": "ch_1", "metadata": {"circlemart_reference": "42"}}, "other"),
        (
            "payment_intent.succeeded",
            {"id": "pi_1", "metadata": {"circlemart_reference": "42"}},
            "other",
        ),
        # Not ours: another integration on the same Stripe account.
        (
            "checkout.session.completed",
            {"id": "cs_x", "payment_status": "paid", "metadata": {}},
            "other",
        ),
        ("refund.updated", {"id": "re_x", "status": "succeeded"}, "other"),
    ],
)
def test_stripe_events_map_to_the_apps_events(
    provider: StripeProvider,
    fake: StripeFake,
    stripe_type: str,
    data_object: dict[str, Any],
    expected: str,
):
    event = {
        "id": "evt_test_1",
        "object": "event",
        "type": stripe_type,
        "created": int(time.time()),
    }
    headers, body = signed(fake, {**event, "data": {"object": data_object}})

    verified = provider.verify_webhook(headers=headers, body=body)

    assert verified.event_type == WebhookEventType(expected)
    if expected.startswith("refund."):
        assert (verified.provider_refund_id, verified.merchant_reference) == ("re_test_1", "7")
        assert verified.provider_payment_id == ""


def test_acknowledgements_are_json(provider: StripeProvider):
    ok = provider.acknowledge_webhook(error=None)
    refused = provider.acknowledge_webhook(
        error=WebhookRejected("bad", code="bad_signature", field="signature")
    )

    assert (ok.status, json.loads(ok.body), ok.content_type) == (
        200,
        {"received": True},
        "application/json",
    )
    assert (refused.status, json.loads(refused.body)) == (
        400,
        {"error": {"code": "bad_signature", "message": "bad", "field": "signature"}},
    )


# --- Configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"STRIPE_SECRET_KEY": ""}, "STRIPE_SECRET_KEY"),
        ({"STRIPE_SECRET_KEY": "pk_test_publishable"}, "STRIPE_SECRET_KEY"),
        ({"STRIPE_WEBHOOK_SECRET": ""}, "STRIPE_WEBHOOK_SECRET"),
        ({"STRIPE_API_BASE": "http://api.stripe.com"}, "STRIPE_API_BASE"),
        ({"STRIPE_API_BASE": "https://api.stripe.com/v1"}, "STRIPE_API_BASE"),
        ({"STRIPE_CURRENCIES": ["CNY", "dollars"]}, "STRIPE_CURRENCIES"),
        ({"STRIPE_TIMEOUT_SECONDS": 0}, "STRIPE_TIMEOUT_SECONDS"),
        ({"STRIPE_MAX_NETWORK_RETRIES": -1}, "STRIPE_MAX_NETWORK_RETRIES"),
        ({"STRIPE_SECRET_KEY_FILE": "/nonexistent/stripe-key"}, "STRIPE_SECRET_KEY_FILE"),
    ],
)
def test_misconfiguration_names_the_setting(
    fake: StripeFake, settings: Any, changes: dict[str, Any], named: str
):
    for name, value in changes.items():
        setattr(settings, name, value)

    with pytest.raises(ImproperlyConfigured, match=named):
        StripeProvider()


def test_secrets_may_come_from_files(fake: StripeFake, settings: Any, tmp_path: Path):
    (tmp_path / "key").write_text(fake.secret_key + "\n")
    (tmp_path / "whsec").write_text(fake.webhook_secret + "\n")
    settings.STRIPE_SECRET_KEY, settings.STRIPE_SECRET_KEY_FILE = "", str(tmp_path / "key")
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_WEBHOOK_SECRET_FILE = str(tmp_path / "whsec")
    provider = StripeProvider()

    session_id = create(provider)
    headers, body = signed(fake, fake.pay(session_id))

    assert provider.verify_webhook(headers=headers, body=body).provider_payment_id == session_id


def test_a_secret_given_twice_is_refused(fake: StripeFake, settings: Any, tmp_path: Path):
    (tmp_path / "key").write_text(fake.secret_key)
    settings.STRIPE_SECRET_KEY_FILE = str(tmp_path / "key")

    with pytest.raises(ImproperlyConfigured, match="STRIPE_SECRET_KEY"):
        StripeProvider()


# --- The app through HTTP ---------------------------------------------------------------------


@pytest.fixture
def run_after_commit(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[..., Any]:
    """Run a step as its own committed request would, then drain the outbox as the worker
    does (PaymentCaptured → the order is paid, …)."""

    def _run(step: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            result = step()
        for _round in range(10):
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                delivered = relay_pending()
            if not delivered and not callbacks:
                break
        return result

    return _run


def bearer(user: object) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user).access_token}"}  # type: ignore[arg-type]


def start_order_payment(client: Client) -> tuple[Order, dict[str, Any], dict[str, str]]:
    buyer, address = make_buyer()
    order = place(buyer, address, make_sku(price=5000))
    auth = bearer(buyer)
    started = client.post(
        f"/api/v1/orders/{order.number}/pay",
        json.dumps({"provider": "stripe"}),
        content_type="application/json",
        **auth,
    )
    assert started.status_code == 200, started.content
    return order, started.json(), auth


def start_payment(order_number: str = "CM3001", amount: int = 4200) -> Payment:
    view = services.payment_start(
        order_number=order_number,
        buyer_id=7,
        amount=amount,
        currency="CNY",
        return_url=f"/orders/{order_number}/",
        idempotency_key=f"order:{order_number}",
        site_url="http://testserver",
        provider="stripe",
    )
    return Payment.objects.get(pk=view.id)


def nothing_happened(payment: Payment) -> bool:
    payment.refresh_from_db()
    return (
        payment.status == PaymentStatus.CREATED
        and WebhookReceipt.objects.count() == 0
        and events_of("PaymentCaptured") == []
        and events_of("PaymentFailed") == []
    )


@pytest.mark.django_db
def test_an_order_paid_by_card_is_captured_once_by_the_webhook(
    fake: StripeFake, run_after_commit: Callable[..., Any]
):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    order, started, auth = run_after_commit(lambda: start_order_payment(client))
    payment = Payment.objects.get(pk=started["payment_id"])
    session = fake.sessions[payment.provider_payment_id]
    checkout_url = session["url"]

    event = fake.pay(session["id"])
    answer = run_after_commit(lambda: fake.deliver(client, event))
    again = run_after_commit(lambda: fake.deliver(client, event))

    assert (started["provider"], started["redirect_url"]) == ("stripe", checkout_url)
    assert checkout_url == f"{fake.base_url}/c/pay/{session['id']}"
    assert (session["amount_total"], session["currency"]) == (order.total, "cny")
    assert session["client_reference_id"] == str(payment.pk)
    assert session["success_url"] == links.provider_return_url(
        payment.pk, site_url="http://testserver"
    )
    assert (answer.status_code, answer.json()) == (200, {"received": True})
    assert (again.status_code, again.json()) == (200, {"received": True})
    assert WebhookReceipt.objects.get().outcome == "captured"
    assert [e["payment_id"] for e in events_of("PaymentCaptured")] == [payment.pk]
    body = client.get(f"/api/v1/orders/{order.number}", **auth).json()
    assert (body["status"], body["paid_amount"]) == ("paid", order.total)


@pytest.mark.django_db
def test_the_buyers_return_asks_stripe_when_the_webhook_is_late(fake: StripeFake, client: Client):
    payment = start_payment()
    fake.pay(payment.provider_payment_id)

    back = client.get(links.provider_return_url(payment.pk, site_url="http://testserver"))

    assert (back.status_code, back["Location"]) == (302, "/orders/CM3001/")
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.CAPTURED
    assert len(events_of("PaymentCaptured")) == 1


@pytest.mark.django_db
def test_out_of_order_and_stale_events_change_nothing(fake: StripeFake, client: Client):
    payment = start_payment()
    session_id = payment.provider_payment_id
    completed_unpaid = fake.pay_delayed(session_id)
    succeeded = fake.settle_delayed(session_id, succeeded=True)

    first = fake.deliver(client, succeeded)
    late = fake.deliver(client, completed_unpaid)
    stale_cancel = fake.deliver(
        client, {**succeeded, "id": "evt_test_expired_late", "type": "checkout.session.expired"}
    )

    assert [first.status_code, late.status_code, stale_cancel.status_code] == [200, 200, 200]
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.CAPTURED
    assert list(WebhookReceipt.objects.order_by("id").values_list("outcome", flat=True)) == [
        "captured",
        "ignored",
        "ignored",
    ]
    assert len(events_of("PaymentCaptured")) == 1
    assert events_of("PaymentFailed") == []


@pytest.mark.django_db
def test_a_delayed_payment_that_fails_fails_the_payment(fake: StripeFake, client: Client):
    payment = start_payment()
    fake.deliver(client, fake.pay_delayed(payment.provider_payment_id))
    failed = fake.deliver(client, fake.settle_delayed(payment.provider_payment_id, succeeded=False))

    assert failed.status_code == 200
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.FAILED
    assert events_of("PaymentFailed") == [
        {
            "payment_id": payment.pk,
            "order_number": "CM3001",
            "reason": "checkout.session.async_payment_failed",
        }
    ]


@pytest.mark.django_db
def test_forged_tampered_and_stale_notifications_are_refused_and_change_nothing(
    fake: StripeFake, client: Client
):
    payment = start_payment()
    event = fake.pay(payment.provider_payment_id)
    body = json.dumps(event).encode()

    forged = fake.deliver(client, event, keys=["whsec_" + secrets.token_hex(24)])
    tampered = fake.deliver(
        client,
        event,
        body=body.replace(b'"amount_total": 4200', b'"amount_total": 1'),
        signature=fake.signature(body),
    )
    stale = fake.deliver(client, event, timestamp=int(time.time()) - 3600)
    unsigned = client.post("/payments/webhooks/stripe/", data=body, content_type="application/json")

    assert [r.status_code for r in (forged, tampered, stale, unsigned)] == [400, 400, 400, 400]
    assert [r.json()["error"]["code"] for r in (forged, tampered, stale, unsigned)] == [
        "bad_signature",
        "bad_signature",
        "stale_webhook",
        "bad_signature",
    ]
    assert forged.json()["error"]["field"] == "signature"
    assert nothing_happened(payment)


@pytest.mark.django_db
def test_an_event_about_a_payment_we_do_not_know_is_retried_later(fake: StripeFake, client: Client):
    session = fake.sessions[create(StripeProvider(), reference="999999")]
    answer = fake.deliver(client, fake.pay(session["id"]))

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "unknown_payment"
    assert WebhookReceipt.objects.count() == 0


@pytest.mark.django_db
def test_an_event_of_another_integration_is_acknowledged_and_ignored(
    fake: StripeFake, client: Client
):
    foreign = {
        "id": "evt_test_foreign",
        "object": "event",
        "type": "checkout.session.completed",
        "created": int(time.time()),
        "data": {"object": {"id": "cs_live_other", "payment_status": "paid", "metadata": {}}},
    }

    answer = fake.deliver(client, foreign)

    assert (answer.status_code, answer.json()) == (200, {"received": True})
    assert WebhookReceipt.objects.get().outcome == "ignored"


@pytest.mark.django_db
def test_a_refund_and_its_notifications_settle_it_once(fake: StripeFake, client: Client):
    payment = start_payment()
    fake.deliver(client, fake.pay(payment.provider_payment_id))

    view = services.payment_refund(
        order_number="CM3001", amount=1500, reason="damaged", reference="aftersales:1"
    )
    refund_row = Refund.objects.get(pk=view.id)
    created_event = fake.events_of("refund.created")[0]
    updated, charge_updated = fake.settle_refund(refund_row.provider_refund_id, "succeeded")
    answers = [fake.deliver(client, e) for e in (updated, charge_updated, created_event, updated)]

    assert view.status == RefundStatus.PENDING
    assert refund_row.provider_refund_id == next(iter(fake.refunds))
    assert fake.refunds[refund_row.provider_refund_id]["metadata"] == {
        "circlemart_reference": str(refund_row.pk),
        "circlemart_reason": "damaged",
    }
    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert Refund.objects.get(pk=view.id).status == RefundStatus.SUCCEEDED
    assert [e["refund_id"] for e in events_of("RefundSucceeded")] == [view.id]
    assert WebhookReceipt.objects.filter(outcome="refund_succeeded").count() == 1


@pytest.mark.django_db
def test_a_refund_stripe_fails_releases_its_amount(fake: StripeFake, client: Client):
    payment = start_payment()
    fake.deliver(client, fake.pay(payment.provider_payment_id))
    view = services.payment_refund(
        order_number="CM3001", amount=1500, reason="damaged", reference="aftersales:1"
    )

    failed, _charge_event = fake.settle_refund(
        Refund.objects.get(pk=view.id).provider_refund_id, "failed"
    )
    fake.deliver(client, failed)

    assert Refund.objects.get(pk=view.id).status == RefundStatus.FAILED
    assert Payment.objects.get(pk=payment.pk).refunded_amount == 0
    assert len(events_of("RefundFailed")) == 1


@pytest.mark.django_db
def test_a_refund_stripe_refuses_fails_with_its_code(fake: StripeFake, client: Client):
    payment = start_payment()
    fake.deliver(client, fake.pay(payment.provider_payment_id))
    intent = fake.intents[fake.sessions[payment.provider_payment_id]["payment_intent"]]
    intent["amount_refunded"] = intent["amount"]  # refunded from the Dashboard meanwhile

    view = services.payment_refund(
        order_number="CM3001", amount=1500, reason="damaged", reference="aftersales:1"
    )

    refund_row = Refund.objects.get(pk=view.id)
    assert refund_row.status == RefundStatus.FAILED
    assert refund_row.failure_reason == "rejected by the provider: charge_already_refunded"
    assert Payment.objects.get(pk=payment.pk).refunded_amount == 0
    assert fake.refunds == {}


@pytest.mark.django_db
def test_reconciliation_catches_a_lost_payment_and_refund_notification(fake: StripeFake):
    payment = start_payment()
    fake.pay(payment.provider_payment_id)  # its notification never arrives
    Payment.objects.filter(pk=payment.pk).update(created_at=clock.now() - timedelta(hours=1))

    captured = services.payments_reconcile(older_than=timedelta(minutes=15))
    view = services.payment_refund(
        order_number="CM3001", amount=1000, reason="r", reference="aftersales:1"
    )
    Refund.objects.filter(pk=view.id).update(created_at=clock.now() - timedelta(hours=1))
    still_pending = services.payments_reconcile(older_than=timedelta(minutes=15))
    fake.settle_refund(Refund.objects.get(pk=view.id).provider_refund_id, "succeeded")
    settled = services.payments_reconcile(older_than=timedelta(minutes=15))

    assert captured == {"captured": 1}
    assert still_pending == {"pending": 1}
    assert settled == {"refund_succeeded": 1}
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.CAPTURED
    assert Refund.objects.get(pk=view.id).status == RefundStatus.SUCCEEDED
    assert len(events_of("PaymentCaptured")) == 1
    assert len(events_of("RefundSucceeded")) == 1


@pytest.mark.django_db
def test_reconciliation_closes_a_session_stripe_expired(fake: StripeFake, client: Client):
    payment = start_payment()
    fake.expire_now(payment.provider_payment_id)
    Payment.objects.filter(pk=payment.pk).update(created_at=clock.now() - timedelta(hours=1))

    outcomes = services.payments_reconcile(older_than=timedelta(minutes=15))

    assert outcomes == {"failed": 1}
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.FAILED


@pytest.mark.django_db
def test_cancelling_the_order_expires_the_session_at_stripe(fake: StripeFake, client: Client):
    payment = start_payment()

    services.payment_cancel_for_order(order_number="CM3001")
    late = fake.deliver(client, fake.events_of("checkout.session.expired")[0])

    assert fake.sessions[payment.provider_payment_id]["status"] == "expired"
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.CANCELLED
    assert late.status_code == 200
    assert events_of("PaymentCaptured") == []


@pytest.mark.django_db
def test_cancelling_after_the_buyer_paid_records_a_late_capture(fake: StripeFake):
    payment = start_payment()
    fake.pay(payment.provider_payment_id)

    services.payment_cancel_for_order(order_number="CM3001")

    payment.refresh_from_db()
    assert (payment.status, payment.is_late_capture) == (PaymentStatus.CAPTURED, True)
    assert len(events_of("PaymentCaptured")) == 1
