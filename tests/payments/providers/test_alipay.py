"""The Alipay adapter against a local fake of Alipay's gateway (tests/payments/fakes): the
signed cashier URL, trade query, close, refund and refund query with signed answers, the
asynchronous notifications (valid, duplicate, out of order, forged, tampered), and the whole
shop flow through HTTP with PAYMENT_PROVIDERS = ["alipay"]."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from circlemart.core.errors import ValidationFailed
from circlemart.core.events import relay_pending
from circlemart.orders.models import Order
from circlemart.payments import checks, services
from circlemart.payments.contracts import PaymentStatus, RefundStatus
from circlemart.payments.models import Payment, Refund, WebhookReceipt
from circlemart.payments.providers import provider_named
from circlemart.payments.providers.alipay import (
    PRODUCTION_GATEWAY,
    SANDBOX_GATEWAY,
    AlipayProvider,
)
from circlemart.payments.providers.base import (
    CreatedPayment,
    ProviderPaymentStatus,
    ProviderRefundStatus,
    ProviderUnavailable,
    RefundRejected,
    WebhookEventType,
    WebhookRejected,
)
from tests.orders.conftest import make_buyer, make_sku, place
from tests.payments.conftest import events_of
from tests.payments.fakes.alipay_fake import (
    BEIJING,
    TIME_FORMAT,
    FakeAlipay,
    Notification,
    bare_base64_public_key,
    deliver,
    new_rsa_key,
    private_pem,
    public_pem,
    signing_text,
)

APP_ID = "2021000122600001"
PREFIX = "test_"
NOTIFY_URL = "http://testserver/payments/webhooks/alipay/"
RETURN_URL = "http://testserver/payments/return/42/?sig=abc"


@dataclass(frozen=True)
class Keys:
    merchant: rsa.RSAPrivateKey  # the app's key pair: signs requests
    alipay: rsa.RSAPrivateKey  # Alipay's key pair: signs answers and notifications


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(merchant=new_rsa_key(), alipay=new_rsa_key())


@pytest.fixture
def fake(keys: Keys) -> Iterator[FakeAlipay]:
    with FakeAlipay(
        app_id=APP_ID, merchant_public_key=keys.merchant.public_key(), alipay_key=keys.alipay
    ) as server:
        yield server


@pytest.fixture
def alipay_settings(settings: Any, keys: Keys, fake: FakeAlipay) -> Any:
    settings.PAYMENT_PROVIDERS = ["alipay"]
    settings.ALIPAY_APP_ID = APP_ID
    settings.ALIPAY_APP_PRIVATE_KEY = private_pem(keys.merchant)
    settings.ALIPAY_APP_PRIVATE_KEY_FILE = ""
    settings.ALIPAY_PUBLIC_KEY = public_pem(keys.alipay)
    settings.ALIPAY_PUBLIC_KEY_FILE = ""
    settings.ALIPAY_SANDBOX = False
    settings.ALIPAY_GATEWAY_URL = fake.gateway_url
    settings.ALIPAY_PAY_PRODUCT = "page"
    settings.ALIPAY_TRADE_PREFIX = PREFIX
    settings.ALIPAY_TIMEOUT_SECONDS = 2
    settings.ORDER_PAYMENT_WINDOW_MINUTES = 30
    settings.SITE_URL = "http://testserver"
    return settings


@pytest.fixture
def alipay(alipay_settings: Any) -> AlipayProvider:
    return AlipayProvider()


def create(alipay: AlipayProvider, *, reference: str = "42", amount: int = 12345) -> CreatedPayment:
    return alipay.create_payment(
        reference=reference,
        description="Circlemart CM1001",
        amount=amount,
        currency="CNY",
        return_url=RETURN_URL,
        notify_url=NOTIFY_URL,
        idempotency_key=f"circlemart-payment-{reference}",
    )


def opened(alipay: AlipayProvider, fake: FakeAlipay, **kwargs: Any) -> str:
    """A payment whose cashier the buyer has opened (Alipay then holds the trade); returns
    its out_trade_no."""
    created = create(alipay, **kwargs)
    status, _page = fake.open_cashier(created.redirect_url)
    assert status == 200
    return created.provider_payment_id


def paid(alipay: AlipayProvider, fake: FakeAlipay, **kwargs: Any) -> tuple[str, Notification]:
    out_trade_no = opened(alipay, fake, **kwargs)
    return out_trade_no, fake.pay(out_trade_no)


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def beijing(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=BEIJING)


def verify(alipay: AlipayProvider, notification: Notification) -> Any:
    return alipay.verify_webhook(headers={}, body=notification.body)


# --- Creating a payment: the signed cashier URL -----------------------------------------------


def test_create_payment_signs_a_page_pay_url_the_gateway_accepts(alipay, fake):
    before = datetime.now(BEIJING).replace(microsecond=0)

    created = alipay.create_payment(
        reference="42",
        description="Circlemart CM1001",
        amount=12345,
        currency="CNY",
        return_url=RETURN_URL,
        notify_url=NOTIFY_URL,
        idempotency_key="circlemart-payment-42",
    )

    params = query_of(created.redirect_url)
    biz = json.loads(params["biz_content"])
    assert created.provider_payment_id == "test_42"
    assert created.qr_code == ""
    assert created.redirect_url.startswith(f"{fake.gateway_url}?")
    assert params["method"] == "alipay.trade.page.pay"
    assert params["app_id"] == APP_ID
    assert params["sign_type"] == "RSA2"
    assert params["charset"] == "utf-8"
    assert params["version"] == "1.0"
    assert params["notify_url"] == NOTIFY_URL
    assert params["return_url"] == RETURN_URL
    assert before <= beijing(params["timestamp"]) <= before + timedelta(seconds=5)
    assert biz["out_trade_no"] == "test_42"
    assert biz["total_amount"] == "123.45"
    assert biz["subject"] == "Circlemart CM1001"
    assert biz["product_code"] == "FAST_INSTANT_TRADE_PAY"
    expires = beijing(biz["time_expire"])
    assert before + timedelta(minutes=30) <= expires <= before + timedelta(minutes=30, seconds=5)
    # Building the URL calls nothing; Alipay creates the trade when the buyer opens it.
    assert fake.calls == []
    assert fake.trades == {}


def test_the_signature_of_the_cashier_url_is_rsa2_over_the_sorted_parameters(alipay, keys):
    created = alipay.create_payment(
        reference="42",
        description="Circlemart CM1001",
        amount=12345,
        currency="CNY",
        return_url=RETURN_URL,
        notify_url=NOTIFY_URL,
        idempotency_key="k",
    )

    params = query_of(created.redirect_url)
    signature = params.pop("sign")
    text = signing_text(params, leave_out=(), keep_empty=False)
    assert text.startswith("app_id=2021000122600001&biz_content={")
    # Raises InvalidSignature when it does not match.
    keys.merchant.public_key().verify(
        base64.b64decode(signature), text.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_requests_are_stamped_in_beijing_time_whatever_the_servers_zone(alipay_settings, fake):
    alipay_settings.TIME_ZONE = "UTC"  # the SDK alone would stamp UTC: 8 hours off for Alipay
    provider = AlipayProvider()

    out_trade_no = opened(provider, fake)

    assert provider.fetch_status(provider_payment_id=out_trade_no) == ProviderPaymentStatus.PENDING
    assert fake.refused == []


def test_opening_the_cashier_creates_the_trade_at_alipay(alipay, fake):
    out_trade_no = opened(alipay, fake)

    trade = fake.trades[out_trade_no]
    assert trade.total_amount == 12345
    assert trade.total_amount_text == "123.45"
    assert trade.status == "WAIT_BUYER_PAY"
    assert trade.notify_url == NOTIFY_URL
    assert trade.return_url == RETURN_URL
    assert fake.refused == []


@pytest.mark.parametrize(
    ("amount", "total_amount"),
    [(1, "0.01"), (10, "0.10"), (100, "1.00"), (123456789, "1234567.89"), (10**10, "100000000.00")],
)
def test_amounts_are_exact_yuan_strings(alipay, amount, total_amount):
    created = alipay.create_payment(
        reference="7",
        description="d",
        amount=amount,
        currency="CNY",
        return_url=RETURN_URL,
        notify_url=NOTIFY_URL,
        idempotency_key="k",
    )

    assert json.loads(query_of(created.redirect_url)["biz_content"])["total_amount"] == total_amount


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"currency": "USD"}, "currency"),
        ({"amount": 0}, "amount"),
        ({"amount": 10**10 + 1}, "amount"),
        ({"reference": "42-a"}, "reference"),
        ({"reference": "9" * 60}, "reference"),
    ],
)
def test_create_payment_refuses_what_alipay_cannot_take(alipay, fake, changes, field):
    arguments = {
        "reference": "42",
        "description": "d",
        "amount": 100,
        "currency": "CNY",
        "return_url": RETURN_URL,
        "notify_url": NOTIFY_URL,
        "idempotency_key": "k",
    } | changes

    with pytest.raises(ValidationFailed) as refused:
        alipay.create_payment(**arguments)

    assert refused.value.field == field
    assert fake.calls == []


def test_only_cny_is_supported(alipay):
    assert alipay.supports_currency("CNY")
    assert alipay.supports_currency("cny")
    assert not alipay.supports_currency("USD")
    assert not alipay.supports_currency("HKD")


def test_wap_pay_for_phones(alipay_settings, fake):
    alipay_settings.ALIPAY_PAY_PRODUCT = "wap"

    created = create(AlipayProvider(), amount=500)

    params = query_of(created.redirect_url)
    biz = json.loads(params["biz_content"])
    assert created.provider_payment_id == "test_42"
    assert params["method"] == "alipay.trade.wap.pay"
    assert biz["product_code"] == "QUICK_WAP_WAY"
    assert biz["quit_url"] == RETURN_URL
    assert fake.open_cashier(created.redirect_url)[0] == 200
    assert fake.trades["test_42"].product_code == "QUICK_WAP_WAY"


@pytest.mark.parametrize("window", [0, 15 * 24 * 60 + 1])
def test_no_deadline_when_the_payment_window_is_outside_what_alipay_takes(alipay_settings, window):
    alipay_settings.ORDER_PAYMENT_WINDOW_MINUTES = window

    created = AlipayProvider().create_payment(
        reference="42",
        description="d",
        amount=100,
        currency="CNY",
        return_url=RETURN_URL,
        notify_url=NOTIFY_URL,
        idempotency_key="k",
    )

    assert "time_expire" not in json.loads(query_of(created.redirect_url)["biz_content"])


def test_special_characters_are_kept_out_of_the_subject(alipay):
    created = alipay.create_payment(
        reference="42",
        description="Circlemart A/B=C&D",
        amount=100,
        currency="CNY",
        return_url=RETURN_URL,
        notify_url=NOTIFY_URL,
        idempotency_key="k",
    )

    assert json.loads(query_of(created.redirect_url)["biz_content"])["subject"] == (
        "Circlemart A B C D"
    )


# --- Configuration ----------------------------------------------------------------------------


def test_gateway_is_production_by_default_and_the_sandbox_on_request(alipay_settings):
    alipay_settings.ALIPAY_GATEWAY_URL = ""
    production = AlipayProvider()
    alipay_settings.ALIPAY_SANDBOX = True
    sandbox = AlipayProvider()

    assert production.gateway_url == PRODUCTION_GATEWAY == "https://openapi.alipay.com/gateway.do"
    assert sandbox.gateway_url == SANDBOX_GATEWAY
    assert SANDBOX_GATEWAY == "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
    assert sandbox.create_payment(
        reference="1",
        description="d",
        amount=1,
        currency="CNY",
        return_url=RETURN_URL,
        notify_url=NOTIFY_URL,
        idempotency_key="k",
    ).redirect_url.startswith(f"{SANDBOX_GATEWAY}?")


def test_keys_from_files_and_alipays_bare_base64(alipay_settings, keys, fake, tmp_path: Path):
    key_file = tmp_path / "app_private_key.pem"
    key_file.write_text(private_pem(keys.merchant))
    alipay_settings.ALIPAY_APP_PRIVATE_KEY = ""
    alipay_settings.ALIPAY_APP_PRIVATE_KEY_FILE = str(key_file)
    alipay_settings.ALIPAY_PUBLIC_KEY = bare_base64_public_key(keys.alipay)
    provider = AlipayProvider()

    out_trade_no = opened(provider, fake)

    assert provider.fetch_status(provider_payment_id=out_trade_no) == ProviderPaymentStatus.PENDING
    assert fake.refused == []


def _ec_private_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ALIPAY_APP_ID": ""}, "Alipay needs ALIPAY_APP_ID"),
        ({"ALIPAY_APP_PRIVATE_KEY": ""}, "Alipay needs ALIPAY_APP_PRIVATE_KEY (or "),
        ({"ALIPAY_PUBLIC_KEY": ""}, "Alipay needs ALIPAY_PUBLIC_KEY (or ALIPAY_PUBLIC_KEY_FILE)"),
        ({"ALIPAY_APP_PRIVATE_KEY": "not a key"}, "ALIPAY_APP_PRIVATE_KEY is neither PEM nor"),
        ({"ALIPAY_PUBLIC_KEY": "bm90IGEga2V5"}, "ALIPAY_PUBLIC_KEY is not a readable public key"),
        ({"ALIPAY_APP_PRIVATE_KEY": "EC"}, "ALIPAY_APP_PRIVATE_KEY must be an RSA key"),
        (
            {"ALIPAY_APP_PRIVATE_KEY_FILE": "/nonexistent/key.pem"},
            "set ALIPAY_APP_PRIVATE_KEY or ALIPAY_APP_PRIVATE_KEY_FILE, not both",
        ),
        (
            {"ALIPAY_PUBLIC_KEY": "", "ALIPAY_PUBLIC_KEY_FILE": "/nonexistent/alipay.pem"},
            "ALIPAY_PUBLIC_KEY_FILE '/nonexistent/alipay.pem'",
        ),
        ({"ALIPAY_PAY_PRODUCT": "app"}, "ALIPAY_PAY_PRODUCT must be 'page' or 'wap'"),
        ({"ALIPAY_TRADE_PREFIX": "prod-"}, "ALIPAY_TRADE_PREFIX may hold at most 32"),
        ({"ALIPAY_GATEWAY_URL": "openapi.alipay.com"}, "ALIPAY_GATEWAY_URL must be an http(s)"),
        ({"ALIPAY_TIMEOUT_SECONDS": 0}, "ALIPAY_TIMEOUT_SECONDS must be positive"),
    ],
)
def test_misconfiguration_names_the_setting(alipay_settings, changes, message):
    for setting, value in changes.items():
        setattr(alipay_settings, setting, _ec_private_pem() if value == "EC" else value)

    with pytest.raises(ImproperlyConfigured) as refused:
        AlipayProvider()

    assert message in str(refused.value)


def test_a_misconfigured_alipay_is_reported_by_the_start_up_check(alipay_settings):
    alipay_settings.ALIPAY_APP_ID = ""

    messages = [message.msg for message in checks.check_payment_settings()]

    assert "PAYMENT_PROVIDERS entry 'alipay': Alipay needs ALIPAY_APP_ID (the app's APPID)." in (
        messages
    )


def test_the_registry_loads_alipay_by_name(alipay_settings):
    provider = provider_named("alipay")

    assert isinstance(provider, AlipayProvider)
    assert provider.name == "alipay"


# --- Query and close --------------------------------------------------------------------------


def test_fetch_status_follows_the_trade(alipay, fake):
    out_trade_no = create(alipay).provider_payment_id
    unopened = alipay.fetch_status(provider_payment_id=out_trade_no)
    opened(alipay, fake)
    waiting = alipay.fetch_status(provider_payment_id=out_trade_no)
    fake.pay(out_trade_no)
    succeeded = alipay.fetch_status(provider_payment_id=out_trade_no)
    fake.finish(out_trade_no)
    finished = alipay.fetch_status(provider_payment_id=out_trade_no)

    assert unopened == ProviderPaymentStatus.PENDING  # no trade until the cashier is opened
    assert waiting == ProviderPaymentStatus.PENDING
    assert succeeded == ProviderPaymentStatus.SUCCEEDED
    assert finished == ProviderPaymentStatus.SUCCEEDED
    queries = [biz for method, biz in fake.calls if method == "alipay.trade.query"]
    assert queries == [{"out_trade_no": "test_42"}] * 4


def test_a_trade_past_its_deadline_is_cancelled(alipay, fake):
    out_trade_no = opened(alipay, fake)
    fake.clock_offset = timedelta(minutes=31)

    assert alipay.fetch_status(provider_payment_id=out_trade_no) == ProviderPaymentStatus.CANCELLED
    assert fake.trades[out_trade_no].status == "TRADE_CLOSED"


def test_cancel_closes_an_open_trade(alipay, fake):
    out_trade_no = opened(alipay, fake)

    status = alipay.cancel_payment(provider_payment_id=out_trade_no)

    assert status == ProviderPaymentStatus.CANCELLED
    assert fake.trades[out_trade_no].status == "TRADE_CLOSED"
    assert fake.calls[-1] == ("alipay.trade.close", {"out_trade_no": "test_42"})


def test_cancel_of_a_cashier_never_opened_counts_as_closed(alipay, fake):
    out_trade_no = create(alipay).provider_payment_id

    status = alipay.cancel_payment(provider_payment_id=out_trade_no)

    assert status == ProviderPaymentStatus.CANCELLED
    assert fake.calls == [("alipay.trade.close", {"out_trade_no": "test_42"})]
    assert fake.trades == {}


def test_cancel_after_the_buyer_paid_says_succeeded_and_closes_nothing(alipay, fake):
    out_trade_no, _notification = paid(alipay, fake)

    status = alipay.cancel_payment(provider_payment_id=out_trade_no)

    assert status == ProviderPaymentStatus.SUCCEEDED
    assert fake.trades[out_trade_no].status == "TRADE_SUCCESS"
    assert [method for method, _biz in fake.calls[-2:]] == [
        "alipay.trade.close",
        "alipay.trade.query",
    ]


# --- Refunds ----------------------------------------------------------------------------------


def refund(
    alipay: AlipayProvider, out_trade_no: str, amount: int, key: str = "circlemart-refund-5"
):
    return alipay.refund(
        provider_payment_id=out_trade_no,
        amount=amount,
        currency="CNY",
        reason="damaged in transit",
        reference="5",
        notify_url=NOTIFY_URL,
        idempotency_key=key,
    )


def test_refund_is_synchronous_and_keyed_by_out_request_no(alipay, fake):
    out_trade_no, _notification = paid(alipay, fake)

    result = refund(alipay, out_trade_no, 5000)

    assert result.status == ProviderRefundStatus.SUCCEEDED
    assert result.provider_refund_id == "circlemart-refund-5"
    assert fake.calls[-1] == (
        "alipay.trade.refund",
        {
            "out_trade_no": "test_42",
            "refund_amount": "50.00",
            "out_request_no": "circlemart-refund-5",
            "refund_reason": "damaged in transit",
        },
    )
    assert fake.trades[out_trade_no].refunded == 5000
    assert fake.trades[out_trade_no].status == "TRADE_SUCCESS"


def test_a_refund_sent_again_moves_no_money_twice(alipay, fake):
    out_trade_no, _notification = paid(alipay, fake)
    first = refund(alipay, out_trade_no, 5000)

    again = refund(alipay, out_trade_no, 5000)

    assert first == again
    assert fake.trades[out_trade_no].refunded == 5000
    # fund_change "N" on the repeat: the refund query says how the first one went.
    assert [method for method, _biz in fake.calls[-2:]] == [
        "alipay.trade.refund",
        "alipay.trade.fastpay.refund.query",
    ]


def test_full_refund_closes_the_trade(alipay, fake):
    out_trade_no, _notification = paid(alipay, fake)

    result = refund(alipay, out_trade_no, 12345)

    assert result.status == ProviderRefundStatus.SUCCEEDED
    assert fake.trades[out_trade_no].status == "TRADE_CLOSED"


@pytest.mark.parametrize(
    ("setup", "amount", "code"),
    [
        ("paid", 12346, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"),
        ("unopened", 100, "ACQ.TRADE_NOT_EXIST"),
        ("opened", 100, "ACQ.TRADE_STATUS_ERROR"),
        ("closed", 100, "ACQ.TRADE_HAS_CLOSE"),
    ],
)
def test_refusals_are_final_with_alipays_code(alipay, fake, setup, amount, code):
    out_trade_no = create(alipay).provider_payment_id
    if setup != "unopened":
        opened(alipay, fake)
    if setup == "paid":
        fake.pay(out_trade_no)
    if setup == "closed":
        alipay.cancel_payment(provider_payment_id=out_trade_no)

    with pytest.raises(RefundRejected) as refused:
        refund(alipay, out_trade_no, amount)

    assert refused.value.code == code
    assert fake.refund_notifications() == []


def test_a_refund_in_another_currency_is_refused_without_asking(alipay, fake):
    with pytest.raises(RefundRejected) as refused:
        alipay.refund(
            provider_payment_id="test_42",
            amount=100,
            currency="USD",
            reason="",
            reference="5",
            notify_url=NOTIFY_URL,
            idempotency_key="circlemart-refund-5",
        )

    assert refused.value.code == "currency_not_supported"
    assert fake.calls == []


def test_a_system_error_on_refund_is_worth_retrying(alipay, fake):
    out_trade_no, _notification = paid(alipay, fake)
    fake.faults.append("system_error")

    with pytest.raises(ProviderUnavailable):
        refund(alipay, out_trade_no, 100)

    assert fake.trades[out_trade_no].refunded == 0


@pytest.mark.parametrize(
    ("sub_code", "final"),
    [
        ("ACQ.SYSTEM_ERROR", False),
        ("ACQ.SELLER_BALANCE_NOT_ENOUGH", False),  # top up the account, then it goes through
        ("ACQ.TRADE_NOT_ALLOW_REFUND", True),
        ("ACQ.DISCORDANT_REPEAT_REQUEST", True),
    ],
)
def test_which_refusals_are_final(alipay, fake, sub_code, final):
    out_trade_no, _notification = paid(alipay, fake)
    fake.faults.append(f"refuse:{sub_code}")

    with pytest.raises(RefundRejected if final else ProviderUnavailable) as refused:
        refund(alipay, out_trade_no, 100)

    if final:
        assert refused.value.code == sub_code
    assert fake.trades[out_trade_no].refunded == 0


def test_fetch_refund_asks_the_refund_query(alipay, fake):
    out_trade_no, _notification = paid(alipay, fake)
    refund(alipay, out_trade_no, 2000)

    known = alipay.fetch_refund(
        provider_payment_id=out_trade_no, provider_refund_id="circlemart-refund-5", reference="5"
    )
    unknown = alipay.fetch_refund(
        provider_payment_id=out_trade_no, provider_refund_id="circlemart-refund-6", reference="6"
    )

    assert known.status == ProviderRefundStatus.SUCCEEDED
    assert known.provider_refund_id == "circlemart-refund-5"
    # Nothing found: not a failure Alipay states, so it stays pending (no double refund).
    assert unknown.status == ProviderRefundStatus.PENDING
    assert fake.calls[-1] == (
        "alipay.trade.fastpay.refund.query",
        {"out_trade_no": "test_42", "out_request_no": "circlemart-refund-6"},
    )


# --- Synchronous answers are verified; failures are ProviderUnavailable -------------------------


@pytest.mark.parametrize(
    "fault", ["wrong_key", "tampered", "unsigned", "http_502", "garbage", "system_error"]
)
def test_an_answer_that_cannot_be_trusted_or_read_is_unavailable(alipay, fake, fault):
    out_trade_no = opened(alipay, fake)
    fake.faults.append(fault)

    with pytest.raises(ProviderUnavailable):
        alipay.fetch_status(provider_payment_id=out_trade_no)

    # The next answer is fine again.
    assert alipay.fetch_status(provider_payment_id=out_trade_no) == ProviderPaymentStatus.PENDING


def test_a_tampered_refund_answer_is_not_taken_as_success(alipay, fake):
    out_trade_no = opened(alipay, fake)  # not paid: Alipay refuses the refund
    fake.faults.append("tampered")  # … but the answer claims fund_change "Y"

    with pytest.raises(ProviderUnavailable):
        refund(alipay, out_trade_no, 100)


def test_calls_time_out(alipay_settings, fake):
    alipay_settings.ALIPAY_TIMEOUT_SECONDS = 0.3
    provider = AlipayProvider()
    out_trade_no = create(provider).provider_payment_id
    fake.slow_seconds = 1.5
    fake.faults.append("slow")

    started = datetime.now(BEIJING)
    with pytest.raises(ProviderUnavailable):
        provider.fetch_status(provider_payment_id=out_trade_no)

    assert datetime.now(BEIJING) - started < timedelta(seconds=1.2)


def test_an_unreachable_gateway_is_unavailable(alipay_settings):
    alipay_settings.ALIPAY_GATEWAY_URL = "http://127.0.0.1:9/gateway.do"

    with pytest.raises(ProviderUnavailable):
        AlipayProvider().fetch_status(provider_payment_id="test_42")


def test_requests_signed_with_another_key_are_refused_by_the_gateway(alipay_settings, fake):
    alipay_settings.ALIPAY_APP_PRIVATE_KEY = private_pem(new_rsa_key())

    with pytest.raises(ProviderUnavailable):
        AlipayProvider().fetch_status(provider_payment_id="test_42")

    assert fake.refused == [("alipay.trade.query", "isv.invalid-signature")]
    assert fake.calls == []


# --- Notifications ----------------------------------------------------------------------------


def test_a_payment_notification_becomes_payment_succeeded(alipay, fake):
    out_trade_no, notification = paid(alipay, fake)

    event = verify(alipay, notification)

    assert event.event_type == WebhookEventType.PAYMENT_SUCCEEDED
    assert event.event_id == notification.params["notify_id"]
    assert event.provider_payment_id == out_trade_no == "test_42"
    assert event.merchant_reference == "42"
    assert event.provider_refund_id == ""
    assert event.occurred_at == beijing(notification.params["notify_time"])


def test_the_same_notification_sent_again_has_the_same_event_id(alipay, fake):
    _out_trade_no, notification = paid(alipay, fake)

    assert verify(alipay, notification).event_id == verify(alipay, notification).event_id


def test_trade_finished_is_a_success_too_and_trade_closed_a_cancellation(alipay, fake):
    paid_trade, _notification = paid(alipay, fake, reference="1")
    finished = fake.finish(paid_trade)
    timed_out = opened(alipay, fake, reference="2")
    closed = fake.expire(timed_out)

    assert verify(alipay, finished).event_type == WebhookEventType.PAYMENT_SUCCEEDED
    cancelled = verify(alipay, closed)
    assert cancelled.event_type == WebhookEventType.PAYMENT_CANCELLED
    assert cancelled.merchant_reference == "2"
    assert cancelled.reason == "alipay TRADE_CLOSED"


@pytest.mark.parametrize("amount", [5000, 12345])
def test_a_refund_notification_becomes_refund_succeeded(alipay, fake, amount):
    out_trade_no, _notification = paid(alipay, fake)
    refund(alipay, out_trade_no, amount)
    [notification] = fake.refund_notifications()

    event = verify(alipay, notification)

    # Partial refund: TRADE_SUCCESS; full refund: TRADE_CLOSED — a refund all the same.
    assert notification.params["trade_status"] == (
        "TRADE_CLOSED" if amount == 12345 else "TRADE_SUCCESS"
    )
    assert event.event_type == WebhookEventType.REFUND_SUCCEEDED
    assert event.provider_refund_id == "circlemart-refund-5"
    assert event.provider_payment_id == out_trade_no
    # Not the payment's id: it would name the refund with that primary key.
    assert event.merchant_reference == ""


def test_another_environments_trade_has_no_reference_of_ours(alipay, fake):
    _out_trade_no, notification = paid(alipay, fake)
    foreign = fake.signed(
        {**notification.params, "out_trade_no": "staging_42"}, notify_url=NOTIFY_URL
    )

    event = verify(alipay, foreign)

    assert event.provider_payment_id == "staging_42"
    assert event.merchant_reference == ""


def test_a_notification_in_gbk_is_read_in_its_charset(alipay, fake):
    _out_trade_no, notification = paid(alipay, fake)
    params = {**notification.params, "charset": "gbk", "subject": "拼团 商品"}
    signed = fake.signed(params, notify_url=NOTIFY_URL)

    event = alipay.verify_webhook(
        headers={}, body=urlencode(signed.params, encoding="gbk").encode()
    )

    assert event.event_type == WebhookEventType.PAYMENT_SUCCEEDED


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda fake, n: fake.forged(n), id="signed-by-someone-else"),
        pytest.param(lambda fake, n: n.changed(total_amount="0.01"), id="amount-tampered"),
        pytest.param(
            lambda fake, n: n.changed(trade_status="TRADE_SUCCESS", out_trade_no="test_1"),
            id="trade-swapped",
        ),
        pytest.param(lambda fake, n: n.changed(sign_type="RSA"), id="sign-type-rsa1"),
        pytest.param(lambda fake, n: n.changed(sign=""), id="no-signature"),
        pytest.param(lambda fake, n: n.changed(sign="***"), id="signature-not-base64"),
        pytest.param(
            lambda fake, n: Notification(
                params={k: v for k, v in n.params.items() if k != "sign"}, notify_url=n.notify_url
            ),
            id="sign-missing",
        ),
    ],
)
def test_forged_notifications_are_rejected(alipay, fake, forge):
    _out_trade_no, notification = paid(alipay, fake)

    with pytest.raises(WebhookRejected) as refused:
        verify(alipay, forge(fake, notification))

    assert refused.value.code == "bad_signature"
    assert refused.value.status == 400


def test_a_notification_for_another_app_is_rejected(alipay, fake):
    _out_trade_no, notification = paid(alipay, fake)
    other_app = fake.signed({**notification.params, "app_id": "2021000000000009"}, notify_url="")

    with pytest.raises(WebhookRejected) as refused:
        verify(alipay, other_app)

    assert refused.value.code == "wrong_app"
    assert refused.value.field == "app_id"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not a form",
        "out_trade_no=测试".encode(),
        b"a=1&a=2",
        b"subject=%FF%FE",
    ],
)
def test_unreadable_bodies_are_rejected(alipay, body):
    with pytest.raises(WebhookRejected) as refused:
        alipay.verify_webhook(headers={}, body=body)

    assert refused.value.code in {"malformed_webhook", "bad_signature"}


@pytest.mark.parametrize(
    "changes",
    [
        {"notify_id": ""},
        {"notify_id": "x" * 101},
        {"notify_time": "yesterday"},
        {"out_trade_no": ""},
    ],
)
def test_signed_but_incomplete_notifications_are_malformed(alipay, fake, changes):
    _out_trade_no, notification = paid(alipay, fake)
    params = {k: v for k, v in notification.params.items() if v or k in changes}
    incomplete = fake.signed({**params, **changes}, notify_url=NOTIFY_URL)

    with pytest.raises(WebhookRejected) as refused:
        verify(alipay, incomplete)

    assert refused.value.code == "malformed_webhook"


def test_the_answer_alipay_expects(alipay):
    ok = alipay.acknowledge_webhook(error=None)
    refused = alipay.acknowledge_webhook(
        error=WebhookRejected("bad", code="bad_signature", field="sign")
    )

    assert (ok.status, ok.body, ok.content_type) == (200, b"success", "text/plain")
    assert (refused.status, refused.body, refused.content_type) == (400, b"fail", "text/plain")


# --- The shop through HTTP --------------------------------------------------------------------


@dataclass
class Checkout:
    client: Client
    order: Order
    payment: Payment
    pay_url: str


@pytest.fixture
def drain(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[[], None]:
    """Deliver the outbox (PaymentCaptured → orders) as the worker would."""

    def _drain() -> None:
        for _round in range(10):
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                delivered = relay_pending()
            if not delivered and not callbacks:
                return

    return _drain


@pytest.fixture
def checkout(alipay_settings: Any, fake: FakeAlipay, db: Any) -> Checkout:
    """A buyer places an order, picks Alipay, and follows the shop to Alipay's cashier."""
    buyer, address_id = make_buyer()
    order = place(buyer, address_id, make_sku(price=6800))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(buyer)

    chosen = client.post(f"/orders/{order.number}/pay/", {"provider": "alipay"})
    leave = client.get(chosen["Location"])

    payment = Payment.objects.get()
    match = re.search(
        r'href="([^"]+)"[^>]*data-testid="continue-to-provider"', leave.content.decode()
    )
    assert chosen.status_code == 302
    assert leave.status_code == 200
    assert match is not None
    pay_url = html.unescape(match.group(1))
    assert pay_url == payment.redirect_url
    assert fake.open_cashier(pay_url)[0] == 200
    return Checkout(client=client, order=order, payment=payment, pay_url=pay_url)


def webhook_receipts() -> list[tuple[str, str]]:
    return list(WebhookReceipt.objects.order_by("id").values_list("provider_event_id", "outcome"))


def test_paying_with_alipay_pays_the_order_exactly_once(checkout, fake, drain):
    payment = checkout.payment
    params = query_of(checkout.pay_url)
    biz = json.loads(params["biz_content"])
    notification = fake.pay(payment.provider_payment_id)

    first = deliver(checkout.client, notification)
    again = deliver(checkout.client, notification)
    drain()

    assert payment.provider == "alipay"
    assert payment.provider_payment_id == f"{PREFIX}{payment.pk}"
    assert (biz["total_amount"], checkout.order.total) == ("76.00", 7600)  # 68.00 + shipping
    assert params["notify_url"] == "http://testserver/payments/webhooks/alipay/"
    assert params["return_url"].startswith(f"http://testserver/payments/return/{payment.pk}/?sig=")
    assert (first.status_code, first.content, first["Content-Type"]) == (
        200,
        b"success",
        "text/plain",
    )
    assert (again.status_code, again.content) == (200, b"success")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert len(events_of("PaymentCaptured")) == 1
    assert webhook_receipts() == [(notification.params["notify_id"], "captured")]
    checkout.order.refresh_from_db()
    assert checkout.order.status == "paid"


def test_the_pay_url_fits_the_payment_row(checkout):
    """A signed Alipay URL is about 1,000 characters (the RSA2 signature alone is 344): the
    column must hold it, or PostgreSQL refuses the payment (SQLite does not check)."""
    column = Payment._meta.get_field("redirect_url")

    assert len(checkout.payment.redirect_url) <= column.max_length


def test_notifications_out_of_order_change_nothing_more(checkout, fake, drain):
    out_trade_no = checkout.payment.provider_payment_id
    succeeded = fake.pay(out_trade_no)
    finished = fake.finish(out_trade_no)

    answers = [deliver(checkout.client, n).content for n in (finished, succeeded)]
    drain()

    assert answers == [b"success", b"success"]
    assert webhook_receipts() == [
        (finished.params["notify_id"], "captured"),
        (succeeded.params["notify_id"], "ignored"),
    ]
    assert len(events_of("PaymentCaptured")) == 1
    checkout.order.refresh_from_db()
    assert checkout.order.status == "paid"


def test_a_closed_notification_after_payment_does_not_uncapture(checkout, fake, drain):
    out_trade_no = checkout.payment.provider_payment_id
    succeeded = fake.pay(out_trade_no)
    deliver(checkout.client, succeeded)
    stale_close = fake.signed(
        {**succeeded.params, "trade_status": "TRADE_CLOSED", "notify_id": "n-close"},
        notify_url=succeeded.notify_url,
    )

    answer = deliver(checkout.client, stale_close)

    assert answer.content == b"success"
    checkout.payment.refresh_from_db()
    assert checkout.payment.status == PaymentStatus.CAPTURED
    assert events_of("PaymentFailed") == []


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda fake, n: fake.forged(n), id="wrong-key"),
        pytest.param(lambda fake, n: n.changed(total_amount="0.01"), id="tampered"),
        pytest.param(
            lambda fake, n: fake.signed(
                {**n.params, "app_id": "2021000000000009"}, notify_url=n.notify_url
            ),
            id="other-app",
        ),
    ],
)
def test_a_forged_notification_is_refused_and_changes_nothing(checkout, fake, drain, forge):
    notification = fake.pay(checkout.payment.provider_payment_id)

    refused = deliver(checkout.client, forge(fake, notification))
    drain()

    assert (refused.status_code, refused.content, refused["Content-Type"]) == (
        400,
        b"fail",
        "text/plain",
    )
    checkout.payment.refresh_from_db()
    assert checkout.payment.status == PaymentStatus.CREATED
    assert WebhookReceipt.objects.count() == 0
    assert events_of("PaymentCaptured") == []
    # The genuine one still works afterwards.
    assert deliver(checkout.client, notification).content == b"success"


def test_a_notification_about_an_unknown_trade_is_retried_later(checkout, fake):
    notification = fake.pay(checkout.payment.provider_payment_id)
    unknown = fake.signed(
        {**notification.params, "out_trade_no": "test_999999"}, notify_url=notification.notify_url
    )

    answer = deliver(checkout.client, unknown)

    assert (answer.status_code, answer.content) == (404, b"fail")
    assert WebhookReceipt.objects.count() == 0


def test_refund_and_its_notification(checkout, fake, drain):
    deliver(checkout.client, fake.pay(checkout.payment.provider_payment_id))
    drain()

    result = services.payment_refund(
        order_number=checkout.order.number, amount=1800, reason="size", reference="rma-1"
    )
    refund_row = Refund.objects.get()
    [notification] = fake.refund_notifications()
    answer = deliver(checkout.client, notification)
    again = deliver(checkout.client, notification)

    assert result.status == RefundStatus.SUCCEEDED  # synchronous at Alipay
    assert refund_row.provider_refund_id == f"circlemart-refund-{refund_row.pk}"
    assert fake.trades[checkout.payment.provider_payment_id].refunded == 1800
    assert (answer.content, again.content) == (b"success", b"success")
    assert webhook_receipts()[-1] == (notification.params["notify_id"], "ignored")
    assert len(events_of("RefundSucceeded")) == 1


def test_a_refund_notification_before_the_refund_is_stored_is_retried(checkout, fake, drain):
    """The refund API answered but its answer was lost: Alipay's notification comes first."""
    deliver(checkout.client, fake.pay(checkout.payment.provider_payment_id))
    drain()
    fake.faults.append("lost_answer")

    pending = services.payment_refund(
        order_number=checkout.order.number, amount=1800, reason="size", reference="rma-1"
    )
    [notification] = fake.refund_notifications()
    early = deliver(checkout.client, notification)
    resubmitted = services.refunds_resubmit_stuck(older_than=timedelta(0))
    late = deliver(checkout.client, notification)

    assert pending.status == RefundStatus.PENDING
    assert (early.status_code, early.content) == (404, b"fail")  # Alipay sends it again later
    assert resubmitted == 1
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    # Sent twice with one out_request_no: the money moved once.
    assert fake.trades[checkout.payment.provider_payment_id].refunded == 1800
    assert late.content == b"success"
    assert len(events_of("RefundSucceeded")) == 1


def test_a_refused_refund_fails_with_alipays_code(checkout, fake, drain):
    deliver(checkout.client, fake.pay(checkout.payment.provider_payment_id))
    drain()
    fake.trades[checkout.payment.provider_payment_id].status = "TRADE_FINISHED"

    result = services.payment_refund(
        order_number=checkout.order.number, amount=1800, reason="size", reference="rma-1"
    )

    assert result.status == RefundStatus.FAILED
    assert Refund.objects.get().failure_reason == "rejected by the provider: ACQ.TRADE_STATUS_ERROR"
    checkout.payment.refresh_from_db()
    assert checkout.payment.refunded_amount == 0


def test_reconciliation_captures_a_payment_whose_notification_was_lost(checkout, fake, drain):
    notification = fake.pay(checkout.payment.provider_payment_id)  # … never delivered

    outcomes = services.payments_reconcile(older_than=timedelta(0))
    drain()
    late = deliver(checkout.client, notification)

    assert outcomes == {"captured": 1}
    checkout.payment.refresh_from_db()
    assert checkout.payment.status == PaymentStatus.CAPTURED
    checkout.order.refresh_from_db()
    assert checkout.order.status == "paid"
    assert late.content == b"success"
    assert len(events_of("PaymentCaptured")) == 1


def test_reconciliation_settles_a_refund_whose_outcome_was_not_known(checkout, fake, drain):
    deliver(checkout.client, fake.pay(checkout.payment.provider_payment_id))
    drain()
    # The refund's answer is lost; when sent again, Alipay says fund_change "N" and the refund
    # query that should tell how it went fails too.
    fake.faults.extend(["lost_answer", "", "http_502"])
    services.payment_refund(
        order_number=checkout.order.number, amount=1800, reason="size", reference="rma-1"
    )
    services.refunds_resubmit_stuck(older_than=timedelta(0))
    acknowledged = Refund.objects.get()

    outcomes = services.payments_reconcile(older_than=timedelta(0))

    assert acknowledged.status == RefundStatus.PENDING
    assert acknowledged.provider_refund_id == f"circlemart-refund-{acknowledged.pk}"
    assert outcomes == {"refund_succeeded": 1}
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    assert fake.trades[checkout.payment.provider_payment_id].refunded == 1800
    assert len(events_of("RefundSucceeded")) == 1


def test_reconciliation_leaves_unpaid_trades_and_fails_timed_out_ones(checkout, fake):
    waiting = services.payments_reconcile(older_than=timedelta(0))
    fake.clock_offset = timedelta(minutes=31)
    timed_out = services.payments_reconcile(older_than=timedelta(0))

    assert waiting == {"pending": 1}
    assert timed_out == {"failed": 1}
    checkout.payment.refresh_from_db()
    assert checkout.payment.status == PaymentStatus.FAILED


def test_reconciliation_when_alipay_is_down_changes_nothing(checkout, fake):
    fake.pay(checkout.payment.provider_payment_id)
    fake.faults.append("http_502")

    outcomes = services.payments_reconcile(older_than=timedelta(0))

    assert outcomes == {"unanswered": 1}
    checkout.payment.refresh_from_db()
    assert checkout.payment.status == PaymentStatus.CREATED


def test_the_buyer_back_from_alipay_sees_the_order_paid_without_the_notification(checkout, fake):
    fake.pay(checkout.payment.provider_payment_id)
    return_url = query_of(checkout.pay_url)["return_url"]

    back = checkout.client.get(urlsplit(return_url).path + "?" + urlsplit(return_url).query)

    assert back.status_code == 302
    assert back["Location"] == f"/orders/{checkout.order.number}/"
    checkout.payment.refresh_from_db()
    assert checkout.payment.status == PaymentStatus.CAPTURED


def test_cancelling_the_order_closes_the_trade_at_alipay(checkout, fake):
    cancelled = checkout.client.post(f"/orders/{checkout.order.number}/cancel/")

    out_trade_no = checkout.payment.provider_payment_id
    assert cancelled.status_code == 302
    assert fake.trades[out_trade_no].status == "TRADE_CLOSED"
    assert ("alipay.trade.close", {"out_trade_no": out_trade_no}) in fake.calls
    checkout.payment.refresh_from_db()
    assert checkout.payment.status == PaymentStatus.CANCELLED
