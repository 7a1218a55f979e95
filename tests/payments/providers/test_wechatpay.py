"""WeChat Pay APIv3 (Native): the adapter against a local fake of the service that verifies
request signatures and signs its answers and notifications, then the whole shop flow through
HTTP — QR code, notification, duplicates, out-of-order and forged notifications, refunds and
reconciliation of a lost notification."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import translation

from circlemart.core import clock
from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.core.events import relay_pending
from circlemart.payments import links, services
from circlemart.payments.contracts import PaymentStatus, RefundStatus
from circlemart.payments.models import Payment, Refund, WebhookReceipt
from circlemart.payments.providers.base import (
    ProviderPaymentStatus,
    ProviderRefund,
    ProviderRefundStatus,
    ProviderUnavailable,
    RefundRejected,
    WebhookAck,
    WebhookEventType,
    WebhookRejected,
)
from circlemart.payments.providers.wechatpay import WechatPayProvider
from tests.orders.conftest import make_buyer, make_sku, place
from tests.payments.conftest import events_of
from tests.payments.fakes.wechatpay_fake import (
    MCHID,
    WechatPayFake,
    WechatPayKeys,
    certificate_pem,
    pem_private,
    pem_public,
    running,
)

pytestmark = pytest.mark.django_db

NOTIFY_URL = "http://testserver/payments/webhooks/wechatpay/"


@pytest.fixture(scope="session")
def wechatpay_keys() -> WechatPayKeys:
    return WechatPayKeys.generate()


def configure(settings: Any, fake: WechatPayFake, **overrides: Any) -> None:
    for name, value in {**fake.settings(), **overrides}.items():
        setattr(settings, name, value)


@pytest.fixture
def fake(wechatpay_keys: WechatPayKeys, settings: Any) -> Iterator[WechatPayFake]:
    with running(wechatpay_keys) as server:
        configure(settings, server)
        yield server


@pytest.fixture
def provider(fake: WechatPayFake) -> WechatPayProvider:
    return WechatPayProvider()


def create(provider: WechatPayProvider, reference: str = "42", amount: int = 10000) -> str:
    created = provider.create_payment(
        reference=reference,
        description="Circlemart CM1001",
        amount=amount,
        currency="CNY",
        return_url="http://testserver/payments/return/42/?sig=x",
        notify_url=NOTIFY_URL,
        idempotency_key=f"circlemart-payment-{reference}",
    )
    return created.provider_payment_id


def refund(
    provider: WechatPayProvider, out_trade_no: str, amount: int, key: str = "circlemart-refund-5"
) -> ProviderRefund:
    return provider.refund(
        provider_payment_id=out_trade_no,
        amount=amount,
        currency="CNY",
        reason="商品破损",
        reference="5",
        notify_url=NOTIFY_URL,
        idempotency_key=key,
    )


# --- Creating, asking, closing ----------------------------------------------------------------


def test_create_opens_a_native_order_and_answers_its_code_url(
    provider: WechatPayProvider, fake: WechatPayFake
):
    before = clock.now()
    created = provider.create_payment(
        reference="42",
        description="Circlemart CM1001",
        amount=12345,
        currency="CNY",
        return_url="http://testserver/payments/return/42/?sig=x",
        notify_url=NOTIFY_URL,
        idempotency_key="circlemart-payment-42",
    )

    trade = fake.trades["CM0042"]
    assert created.provider_payment_id == "CM0042"
    assert created.qr_code == trade.code_url
    assert created.qr_code.startswith("weixin://wxpay/bizpayurl?pr=")
    assert created.redirect_url == ""
    assert fake.paths() == ["POST /v3/pay/transactions/native"]
    sent = fake.seen[0].body
    expires = datetime.fromisoformat(sent.pop("time_expire"))
    assert sent == {
        "appid": "wxd678efh567hg6787",
        "mchid": MCHID,
        "description": "Circlemart CM1001",
        "out_trade_no": "CM0042",
        "attach": "42",
        "notify_url": NOTIFY_URL,
        "amount": {"total": 12345, "currency": "CNY"},
    }
    assert expires.utcoffset() == timedelta(hours=8)
    window = timedelta(minutes=30)
    assert before + window - timedelta(seconds=1) <= expires <= clock.now() + window


def test_long_texts_are_cut_to_wechats_byte_limits(
    provider: WechatPayProvider, fake: WechatPayFake
):
    out_trade_no = provider.create_payment(
        reference="42",
        description="好" * 50,  # 150 bytes in UTF-8
        amount=100,
        currency="CNY",
        return_url="",
        notify_url=NOTIFY_URL,
        idempotency_key="k",
    ).provider_payment_id
    fake.pay(out_trade_no)
    provider.refund(
        provider_payment_id=out_trade_no,
        amount=100,
        currency="CNY",
        reason="坏" * 30,
        reference="5",
        notify_url=NOTIFY_URL,
        idempotency_key="circlemart-refund-5",
    )

    assert fake.trades[out_trade_no].description == "好" * 42  # 126 bytes
    assert fake.refunds["CMcirclemart-refund-5"].reason == "坏" * 26  # 78 bytes


def test_creating_again_returns_the_same_order(provider: WechatPayProvider, fake: WechatPayFake):
    first = provider.create_payment(
        reference="7",
        description="d",
        amount=100,
        currency="CNY",
        return_url="",
        notify_url=NOTIFY_URL,
        idempotency_key="k",
    )
    again = provider.create_payment(
        reference="7",
        description="d",
        amount=100,
        currency="CNY",
        return_url="",
        notify_url=NOTIFY_URL,
        idempotency_key="k",
    )

    assert first == again
    assert list(fake.trades) == ["CM0007"]


def test_order_numbers_take_the_prefix_and_long_references(settings: Any, fake: WechatPayFake):
    settings.WECHATPAY_TRADE_PREFIX = "shopB_"

    provider = WechatPayProvider()

    assert provider.out_trade_no("9") == "shopB_9"
    assert provider.out_trade_no("123456789") == "shopB_123456789"
    with pytest.raises(ValidationFailed) as refused:
        provider.out_trade_no("1/2")
    assert (refused.value.code, refused.value.field) == ("invalid_reference", "reference")


def test_only_cny_is_taken_and_nothing_is_sent(provider: WechatPayProvider, fake: WechatPayFake):
    with pytest.raises(ValidationFailed) as refused:
        provider.create_payment(
            reference="1",
            description="d",
            amount=100,
            currency="USD",
            return_url="",
            notify_url=NOTIFY_URL,
            idempotency_key="k",
        )

    assert (refused.value.code, refused.value.field) == ("unsupported_currency", "currency")
    assert provider.supports_currency("CNY")
    assert provider.supports_currency("cny")
    assert not provider.supports_currency("USD")
    assert fake.seen == []


def test_the_fake_refuses_a_request_signed_with_another_key(
    settings: Any, fake: WechatPayFake, wechatpay_keys: WechatPayKeys
):
    settings.WECHATPAY_MERCHANT_PRIVATE_KEY = pem_private(wechatpay_keys.stranger)

    with pytest.raises(ProviderUnavailable):
        create(WechatPayProvider())

    assert [(seen.status, seen.path) for seen in fake.seen] == [
        (401, "/v3/pay/transactions/native")
    ]
    assert fake.trades == {}


@pytest.mark.parametrize(
    ("trade_state", "expected"),
    [
        ("NOTPAY", ProviderPaymentStatus.PENDING),
        ("USERPAYING", ProviderPaymentStatus.PENDING),
        ("SUCCESS", ProviderPaymentStatus.SUCCEEDED),
        ("REFUND", ProviderPaymentStatus.SUCCEEDED),
        ("CLOSED", ProviderPaymentStatus.CANCELLED),
        ("REVOKED", ProviderPaymentStatus.CANCELLED),
        ("PAYERROR", ProviderPaymentStatus.FAILED),
    ],
)
def test_fetch_status_maps_every_trade_state(
    provider: WechatPayProvider, fake: WechatPayFake, trade_state: str, expected: Any
):
    out_trade_no = create(provider)
    fake.trades[out_trade_no].trade_state = trade_state

    assert provider.fetch_status(provider_payment_id=out_trade_no) == expected
    assert fake.paths()[-1] == f"GET /v3/pay/transactions/out-trade-no/CM0042?mchid={MCHID}"


def test_fetch_status_of_an_unknown_order_is_unavailable(provider: WechatPayProvider):
    with pytest.raises(ProviderUnavailable):
        provider.fetch_status(provider_payment_id="CM9999")


def test_cancel_closes_an_unpaid_order(provider: WechatPayProvider, fake: WechatPayFake):
    out_trade_no = create(provider)

    status = provider.cancel_payment(provider_payment_id=out_trade_no)

    assert status == ProviderPaymentStatus.CANCELLED
    assert fake.trades[out_trade_no].trade_state == "CLOSED"
    assert fake.seen[-1].path == "/v3/pay/transactions/out-trade-no/CM0042/close"
    assert (fake.seen[-1].status, fake.seen[-1].body) == (204, {"mchid": MCHID})


def test_cancel_after_the_buyer_paid_says_succeeded(
    provider: WechatPayProvider, fake: WechatPayFake
):
    out_trade_no = create(provider)
    fake.pay(out_trade_no)

    status = provider.cancel_payment(provider_payment_id=out_trade_no)

    assert status == ProviderPaymentStatus.SUCCEEDED
    assert fake.trades[out_trade_no].trade_state == "SUCCESS"
    assert [seen.status for seen in fake.seen[-2:]] == [400, 200]


# --- Refunds ----------------------------------------------------------------------------------


def test_refund_is_pending_and_sends_the_orders_total(
    provider: WechatPayProvider, fake: WechatPayFake
):
    out_trade_no = create(provider, amount=10000)
    fake.pay(out_trade_no)

    result = refund(provider, out_trade_no, 3000)

    assert result == ProviderRefund(
        provider_refund_id="CMcirclemart-refund-5", status=ProviderRefundStatus.PENDING
    )
    assert fake.paths()[-2:] == [
        f"GET /v3/pay/transactions/out-trade-no/CM0042?mchid={MCHID}",
        "POST /v3/refund/domestic/refunds",
    ]
    assert fake.seen[-1].body == {
        "out_trade_no": "CM0042",
        "out_refund_no": "CMcirclemart-refund-5",
        "notify_url": NOTIFY_URL,
        "reason": "商品破损",
        "amount": {"refund": 3000, "total": 10000, "currency": "CNY"},
    }


def test_refund_again_with_the_same_key_is_the_same_refund(
    provider: WechatPayProvider, fake: WechatPayFake
):
    out_trade_no = create(provider)
    fake.pay(out_trade_no)

    first = refund(provider, out_trade_no, 3000)
    again = refund(provider, out_trade_no, 3000)

    assert first == again
    assert list(fake.refunds) == ["CMcirclemart-refund-5"]


def test_a_refund_settled_at_once_is_succeeded(provider: WechatPayProvider, fake: WechatPayFake):
    out_trade_no = create(provider)
    fake.pay(out_trade_no)
    fake.refunds_settle_at_once = True

    assert refund(provider, out_trade_no, 10000).status == ProviderRefundStatus.SUCCEEDED


def test_refund_beyond_what_is_left_is_rejected_for_good(
    provider: WechatPayProvider, fake: WechatPayFake
):
    out_trade_no = create(provider, amount=10000)
    fake.pay(out_trade_no)
    refund(provider, out_trade_no, 6000, key="circlemart-refund-1")

    with pytest.raises(RefundRejected) as refused:
        refund(provider, out_trade_no, 6000, key="circlemart-refund-2")

    assert refused.value.code == "wechatpay_invalid_request"
    assert list(fake.refunds) == ["CMcirclemart-refund-1"]


def test_refund_of_an_unknown_order_is_rejected(provider: WechatPayProvider, fake: WechatPayFake):
    with pytest.raises(RefundRejected) as refused:
        refund(provider, "CM9999", 100)

    assert refused.value.code == "wechatpay_order_not_exist"
    assert fake.refunds == {}


def test_refund_in_another_currency_is_rejected_without_asking(
    provider: WechatPayProvider, fake: WechatPayFake
):
    with pytest.raises(RefundRejected) as refused:
        provider.refund(
            provider_payment_id="CM0042",
            amount=100,
            currency="USD",
            reason="",
            reference="5",
            notify_url=NOTIFY_URL,
            idempotency_key="circlemart-refund-5",
        )

    assert refused.value.code == "unsupported_currency"
    assert fake.seen == []


@pytest.mark.parametrize(("status", "code"), [(403, "NOT_ENOUGH"), (429, "FREQUENCY_LIMITED")])
def test_a_refund_refused_for_now_stays_retryable(
    provider: WechatPayProvider, fake: WechatPayFake, status: int, code: str
):
    out_trade_no = create(provider)
    fake.pay(out_trade_no)
    fake.fail_next(status, code, path="/v3/refund/")

    with pytest.raises(ProviderUnavailable):
        refund(provider, out_trade_no, 100)

    assert fake.refunds == {}


@pytest.mark.parametrize(
    ("wechat_status", "expected"),
    [
        ("PROCESSING", ProviderRefundStatus.PENDING),
        ("SUCCESS", ProviderRefundStatus.SUCCEEDED),
        ("ABNORMAL", ProviderRefundStatus.FAILED),
        ("CLOSED", ProviderRefundStatus.FAILED),
    ],
)
def test_fetch_refund_maps_every_refund_status(
    provider: WechatPayProvider, fake: WechatPayFake, wechat_status: str, expected: Any
):
    out_trade_no = create(provider)
    fake.pay(out_trade_no)
    created = refund(provider, out_trade_no, 100)
    fake.refunds[created.provider_refund_id].status = wechat_status

    fetched = provider.fetch_refund(
        provider_payment_id=out_trade_no,
        provider_refund_id=created.provider_refund_id,
        reference="5",
    )

    assert fetched == ProviderRefund(provider_refund_id="CMcirclemart-refund-5", status=expected)
    assert fake.paths()[-1] == "GET /v3/refund/domestic/refunds/CMcirclemart-refund-5"


def test_fetch_refund_of_an_unknown_refund_is_unavailable(provider: WechatPayProvider):
    with pytest.raises(ProviderUnavailable):
        provider.fetch_refund(
            provider_payment_id="CM0042", provider_refund_id="CMnope", reference="5"
        )


# --- Network trouble and untrustworthy answers -------------------------------------------------


def test_server_errors_are_unavailable(provider: WechatPayProvider, fake: WechatPayFake):
    fake.fail_next(500, "SYSTEM_ERROR", signed=False)

    with pytest.raises(ProviderUnavailable):
        create(provider)

    assert fake.trades == {}


def test_a_slow_answer_times_out(settings: Any, fake: WechatPayFake):
    settings.WECHATPAY_TIMEOUT_SECONDS = 0.3
    fake.delay_seconds = 1.0
    provider = WechatPayProvider()

    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        provider.fetch_status(provider_payment_id="CM0042")

    assert time.monotonic() - started < 1.0


def test_an_unreachable_service_is_unavailable(settings: Any, fake: WechatPayFake):
    port = fake.base_url.rsplit(":", 1)[1]
    fake.stop()
    settings.WECHATPAY_API_BASE = f"http://127.0.0.1:{port}"

    with pytest.raises(ProviderUnavailable):
        WechatPayProvider().fetch_status(provider_payment_id="CM0042")


def test_an_answer_signed_with_another_key_is_not_trusted(
    provider: WechatPayProvider, fake: WechatPayFake, wechatpay_keys: WechatPayKeys
):
    out_trade_no = create(provider)
    fake.answer_key = wechatpay_keys.stranger

    with translation.override("en"), pytest.raises(ProviderUnavailable) as refused:
        provider.fetch_status(provider_payment_id=out_trade_no)

    assert str(refused.value.message) == "WeChat Pay's answer could not be verified."


def test_an_unsigned_success_is_not_trusted(provider: WechatPayProvider, fake: WechatPayFake):
    fake.fail_next(200, "looks fine", signed=False)

    with pytest.raises(ProviderUnavailable):
        provider.fetch_status(provider_payment_id="CM0042")


# --- Notifications ----------------------------------------------------------------------------


def paid_notification(provider: WechatPayProvider, fake: WechatPayFake, **options: Any) -> Any:
    out_trade_no = create(provider)
    fake.pay(out_trade_no)
    return fake.payment_notification(out_trade_no, **options)


def test_a_payment_notification_is_verified_and_decrypted(
    provider: WechatPayProvider, fake: WechatPayFake
):
    notification = paid_notification(provider, fake, event_id="EV-2018022511223320873")

    event = provider.verify_webhook(headers=notification.headers, body=notification.body)

    assert event.event_id == "EV-2018022511223320873"
    assert event.event_type == WebhookEventType.PAYMENT_SUCCEEDED
    assert (event.provider_payment_id, event.merchant_reference) == ("CM0042", "42")
    assert event.provider_refund_id == ""
    assert abs((clock.now() - event.occurred_at).total_seconds()) < 5


def test_header_names_are_matched_whatever_their_case(
    provider: WechatPayProvider, fake: WechatPayFake
):
    notification = paid_notification(provider, fake)
    headers = {name.upper(): value for name, value in notification.headers.items()}

    event = provider.verify_webhook(headers=headers, body=notification.body)

    assert event.event_type == WebhookEventType.PAYMENT_SUCCEEDED


@pytest.mark.parametrize(
    ("outcome", "event_type", "reason"),
    [
        ("SUCCESS", WebhookEventType.REFUND_SUCCEEDED, ""),
        ("ABNORMAL", WebhookEventType.REFUND_FAILED, "wechatpay refund ABNORMAL"),
        ("CLOSED", WebhookEventType.REFUND_FAILED, "wechatpay refund CLOSED"),
    ],
)
def test_refund_notifications(
    provider: WechatPayProvider, fake: WechatPayFake, outcome: str, event_type: Any, reason: str
):
    out_trade_no = create(provider)
    fake.pay(out_trade_no)
    created = refund(provider, out_trade_no, 100)
    notification = fake.settle_refund(created.provider_refund_id, outcome)

    event = provider.verify_webhook(headers=notification.headers, body=notification.body)

    assert event.event_type == event_type
    assert event.event_id == notification.event_id
    assert (event.provider_payment_id, event.provider_refund_id) == (
        "CM0042",
        "CMcirclemart-refund-5",
    )
    assert event.reason == reason


def rejection(provider: WechatPayProvider, headers: dict[str, str], body: bytes) -> str:
    with pytest.raises(WebhookRejected) as rejected:
        provider.verify_webhook(headers=headers, body=body)
    return rejected.value.code


def test_forged_and_stale_notifications_are_rejected(
    provider: WechatPayProvider, fake: WechatPayFake, wechatpay_keys: WechatPayKeys
):
    out_trade_no = create(provider)
    fake.pay(out_trade_no)
    note: Callable[..., Any] = fake.payment_notification
    good = note(out_trade_no)
    tolerance = 300

    wrong_key = note(out_trade_no, key=wechatpay_keys.stranger)
    old = note(out_trade_no, timestamp=int(time.time()) - tolerance - 30)
    future = note(out_trade_no, timestamp=int(time.time()) + tolerance + 30)
    unknown_serial = note(out_trade_no, serial="PUB_KEY_ID_0000")
    wrong_apiv3_key = note(out_trade_no, apiv3_key="0" * 32)
    tampered = good.body.replace(b'"TRANSACTION.SUCCESS"', b'"REFUND.SUCCESS"')
    probe = {**good.headers, "Wechatpay-Signature": "WECHATPAY/SIGNTEST/" + "A" * 40}
    missing = {k: v for k, v in good.headers.items() if k != "Wechatpay-Nonce"}
    sm2 = {**good.headers, "Wechatpay-Signature-Type": "WECHATPAY2-SM2-WITH-SM3"}

    assert rejection(provider, wrong_key.headers, wrong_key.body) == "bad_signature"
    assert rejection(provider, old.headers, old.body) == "stale_webhook"
    assert rejection(provider, future.headers, future.body) == "stale_webhook"
    assert rejection(provider, unknown_serial.headers, unknown_serial.body) == "unknown_serial"
    assert rejection(provider, wrong_apiv3_key.headers, wrong_apiv3_key.body) == "undecryptable"
    assert rejection(provider, good.headers, tampered) == "bad_signature"
    assert rejection(provider, probe, good.body) == "bad_signature"
    assert rejection(provider, missing, good.body) == "bad_signature"
    assert rejection(provider, sm2, good.body) == "bad_signature"
    assert rejection(provider, {}, good.body) == "bad_signature"


def test_signed_but_unreadable_notifications_are_malformed(
    provider: WechatPayProvider, fake: WechatPayFake
):
    plain = json.dumps({"id": "EV-1", "event_type": "TRANSACTION.SUCCESS"})
    not_json = "not json"

    for text in (plain, not_json):
        code = rejection(provider, fake.signature_headers(text), text.encode())
        assert code == "malformed_webhook"
    assert rejection(provider, fake.signature_headers(""), b"\xff") == "malformed_webhook"


def test_a_notification_for_another_merchant_is_rejected(
    provider: WechatPayProvider, fake: WechatPayFake
):
    out_trade_no = create(provider)
    fake.pay(out_trade_no)
    resource = {**fake.trades[out_trade_no].as_json(), "mchid": "1230000109"}
    notification = fake.notification(
        event_type="TRANSACTION.SUCCESS",
        summary="支付成功",
        original_type="transaction",
        resource=resource,
        url=NOTIFY_URL,
    )

    assert rejection(provider, notification.headers, notification.body) == "wrong_merchant"


def test_acknowledgements_are_in_wechats_form(provider: WechatPayProvider):
    forged = WebhookRejected("The webhook signature does not match.", code="bad_signature")
    malformed = WebhookRejected("unreadable", code="malformed_webhook")

    assert provider.acknowledge_webhook(error=None) == WebhookAck(status=204)
    answers = {
        "forged": provider.acknowledge_webhook(error=forged),
        "malformed": provider.acknowledge_webhook(error=malformed),
        "unknown": provider.acknowledge_webhook(error=NotFound("unknown payment")),
        "down": provider.acknowledge_webhook(error=ProviderUnavailable("later")),
    }
    assert {name: ack.status for name, ack in answers.items()} == {
        "forged": 401,
        "malformed": 400,
        "unknown": 404,
        "down": 503,
    }
    assert json.loads(answers["forged"].body) == {
        "code": "FAIL",
        "message": "The webhook signature does not match.",
    }
    assert json.loads(answers["unknown"].body) == {"code": "FAIL", "message": "unknown payment"}


# --- Platform certificates (the older verification mode) --------------------------------------


@pytest.fixture
def certificate_fake(wechatpay_keys: WechatPayKeys, settings: Any) -> Iterator[WechatPayFake]:
    with running(wechatpay_keys, mode="certificate") as server:
        configure(settings, server)
        yield server


def test_certificates_are_downloaded_once_when_first_needed(certificate_fake: WechatPayFake):
    provider = WechatPayProvider()
    assert certificate_fake.seen == []  # nothing fetched while starting up

    out_trade_no = create(provider)
    provider.fetch_status(provider_payment_id=out_trade_no)
    notification = certificate_fake.pay(out_trade_no)
    event = provider.verify_webhook(headers=notification.headers, body=notification.body)

    assert event.event_type == WebhookEventType.PAYMENT_SUCCEEDED
    assert certificate_fake.paths() == [
        "POST /v3/pay/transactions/native",
        "GET /v3/certificates",
        f"GET /v3/pay/transactions/out-trade-no/CM0042?mchid={MCHID}",
    ]


def test_unknown_serials_do_not_trigger_a_download_storm(
    certificate_fake: WechatPayFake, wechatpay_keys: WechatPayKeys
):
    provider = WechatPayProvider()
    out_trade_no = create(provider)
    certificate_fake.pay(out_trade_no)

    codes = [
        rejection(
            provider,
            (forged := certificate_fake.payment_notification(out_trade_no, serial=serial)).headers,
            forged.body,
        )
        for serial in ("ABCDEF01", "ABCDEF02", "ABCDEF03")
    ]

    assert codes == ["unknown_serial"] * 3
    assert certificate_fake.paths().count("GET /v3/certificates") == 1


def test_certificates_from_a_directory_need_no_download(
    settings: Any, certificate_fake: WechatPayFake, wechatpay_keys: WechatPayKeys, tmp_path: Path
):
    (tmp_path / "platform.pem").write_text(certificate_pem(wechatpay_keys.platform_certificate))
    settings.WECHATPAY_PLATFORM_CERT_DIR = str(tmp_path)
    provider = WechatPayProvider()

    provider.fetch_status(provider_payment_id=create(provider))

    assert "GET /v3/certificates" not in certificate_fake.paths()


def test_a_certificate_list_signed_by_another_key_is_not_trusted(
    certificate_fake: WechatPayFake, wechatpay_keys: WechatPayKeys
):
    provider = WechatPayProvider()
    certificate_fake.answer_key = wechatpay_keys.stranger

    with pytest.raises(ProviderUnavailable):
        create(provider)
    certificate_fake.answer_key = None
    status = provider.fetch_status(provider_payment_id="CM0042")

    assert status == ProviderPaymentStatus.PENDING
    assert certificate_fake.paths().count("GET /v3/certificates") == 2


# --- Configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"WECHATPAY_MCHID": ""}, "WECHATPAY_MCHID"),
        ({"WECHATPAY_APPID": ""}, "WECHATPAY_APPID"),
        ({"WECHATPAY_MERCHANT_CERT_SERIAL": ""}, "WECHATPAY_MERCHANT_CERT_SERIAL"),
        ({"WECHATPAY_MERCHANT_PRIVATE_KEY": ""}, "WECHATPAY_MERCHANT_PRIVATE_KEY"),
        ({"WECHATPAY_MERCHANT_PRIVATE_KEY": "garbage"}, "WECHATPAY_MERCHANT_PRIVATE_KEY"),
        ({"WECHATPAY_APIV3_KEY": "short"}, "WECHATPAY_APIV3_KEY"),
        ({"WECHATPAY_PLATFORM_PUBLIC_KEY_ID": ""}, "WECHATPAY_PLATFORM_PUBLIC_KEY_ID"),
        ({"WECHATPAY_PLATFORM_PUBLIC_KEY": "garbage"}, "WECHATPAY_PLATFORM_PUBLIC_KEY"),
        ({"WECHATPAY_TRADE_PREFIX": "CM/"}, "WECHATPAY_TRADE_PREFIX"),
        ({"WECHATPAY_API_BASE": "ftp://x"}, "WECHATPAY_API_BASE"),
        ({"WECHATPAY_API_BASE": "http://api.mch.weixin.qq.com"}, "WECHATPAY_API_BASE"),
        ({"WECHATPAY_MERCHANT_PRIVATE_KEY_FILE": "/nonexistent"}, "WECHATPAY_MERCHANT_PRIVATE"),
    ],
)
def test_misconfiguration_names_the_setting(
    settings: Any, fake: WechatPayFake, overrides: dict[str, str], named: str
):
    if "WECHATPAY_MERCHANT_PRIVATE_KEY_FILE" in overrides:
        settings.WECHATPAY_MERCHANT_PRIVATE_KEY = ""
    for name, value in overrides.items():
        setattr(settings, name, value)

    with pytest.raises(ImproperlyConfigured) as refused:
        WechatPayProvider()

    assert named in str(refused.value)
    assert fake.seen == []


def test_keys_can_be_given_as_files(
    settings: Any, fake: WechatPayFake, wechatpay_keys: WechatPayKeys, tmp_path: Path
):
    (tmp_path / "apiclient_key.pem").write_text(pem_private(wechatpay_keys.merchant))
    (tmp_path / "pub_key.pem").write_text(pem_public(wechatpay_keys.platform.public_key()))
    settings.WECHATPAY_MERCHANT_PRIVATE_KEY = ""
    settings.WECHATPAY_MERCHANT_PRIVATE_KEY_FILE = str(tmp_path / "apiclient_key.pem")
    settings.WECHATPAY_PLATFORM_PUBLIC_KEY = ""
    settings.WECHATPAY_PLATFORM_PUBLIC_KEY_FILE = str(tmp_path / "pub_key.pem")
    provider = WechatPayProvider()

    assert provider.fetch_status(provider_payment_id=create(provider)) == (
        ProviderPaymentStatus.PENDING
    )


# --- The whole shop, through HTTP -------------------------------------------------------------


@pytest.fixture
def shop(fake: WechatPayFake, settings: Any, django_capture_on_commit_callbacks: Any) -> Shop:
    settings.PAYMENT_PROVIDERS = ["wechatpay"]
    settings.SITE_URL = "http://testserver"
    return Shop(fake, django_capture_on_commit_callbacks)


class Shop:
    """A buyer with an order, paying it with WeChat Pay through the API; WeChat's side is the
    fake, its notifications are POSTed to the shop's webhook URL."""

    def __init__(self, fake: WechatPayFake, capture: Callable[..., Any]) -> None:
        self.fake = fake
        self.capture = capture
        buyer, address_id = make_buyer()
        self.order = place(buyer, address_id, make_sku(price=5000))
        self.client = Client(HTTP_ACCEPT_LANGUAGE="en")
        self.client.force_login(buyer)

    def pay_with_wechat(self) -> dict[str, Any]:
        response = self.client.post(
            f"/api/v1/orders/{self.order.number}/pay",
            data={"provider": "wechatpay"},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        return dict(response.json())

    def out_trade_no(self) -> str:
        (number,) = self.fake.trades
        return number

    def deliver(self, notification: Any) -> Any:
        """WeChat POSTs the notification; the outbox is then relayed, as the worker would."""
        with self.capture(execute=True):
            response = notification.post(self.client)
        self.drain()
        return response

    def drain(self) -> None:
        for _round in range(10):
            with self.capture(execute=True) as callbacks:
                relayed = relay_pending()
            if not relayed and not callbacks:
                return

    def order_status(self) -> str:
        self.order.refresh_from_db()
        return str(self.order.status)

    def refund(self, amount: int, reference: str = "aftersales:1") -> Any:
        with self.capture(execute=True):
            return services.payment_refund(
                order_number=self.order.number, amount=amount, reason="破损", reference=reference
            )


def test_paying_by_qr_code_then_the_notification_captures_once(shop: Shop):
    started = shop.pay_with_wechat()
    payment = Payment.objects.get()
    out_trade_no = shop.out_trade_no()
    trade = shop.fake.trades[out_trade_no]
    qr_page = shop.client.get(links.qr_page_path(payment.id))

    notification = shop.fake.pay(out_trade_no)
    answer = shop.deliver(notification)

    assert started["provider"] == "wechatpay"
    assert started["qr_code"] == trade.code_url
    assert started["redirect_url"] == ""
    assert out_trade_no == f"CM{payment.id:04d}"
    assert (trade.total, trade.attach) == (payment.amount, str(payment.id))
    assert trade.notify_url == "http://testserver/payments/webhooks/wechatpay/"
    assert qr_page.status_code == 200
    assert "<svg" in qr_page.content.decode()
    assert (answer.status_code, answer.content) == (204, b"")
    payment.refresh_from_db()
    assert (payment.status, payment.provider_payment_id) == (PaymentStatus.CAPTURED, out_trade_no)
    receipt = WebhookReceipt.objects.get()
    assert (receipt.provider, receipt.provider_event_id) == ("wechatpay", notification.event_id)
    assert receipt.outcome == "captured"
    assert len(events_of("PaymentCaptured")) == 1
    assert shop.order_status() == "paid"


def test_a_repeated_notification_is_answered_and_changes_nothing(shop: Shop):
    shop.pay_with_wechat()
    notification = shop.fake.pay(shop.out_trade_no())

    first = shop.deliver(notification)
    again = shop.deliver(notification)

    assert [first.status_code, again.status_code] == [204, 204]
    assert WebhookReceipt.objects.count() == 1
    assert len(events_of("PaymentCaptured")) == 1


def test_a_notification_racing_the_stored_order_number_finds_the_payment_by_attach(shop: Shop):
    shop.pay_with_wechat()
    out_trade_no = shop.out_trade_no()
    Payment.objects.update(provider_payment_id="")  # as if it arrived before we stored it

    answer = shop.deliver(shop.fake.pay(out_trade_no))

    assert answer.status_code == 204
    assert Payment.objects.get().status == PaymentStatus.CAPTURED
    assert len(events_of("PaymentCaptured")) == 1


def test_a_late_payment_notification_after_a_refund_changes_nothing(shop: Shop):
    shop.pay_with_wechat()
    out_trade_no = shop.out_trade_no()
    paid = shop.fake.pay(out_trade_no)
    shop.deliver(paid)
    refund_view = shop.refund(2000)
    shop.deliver(shop.fake.settle_refund(f"CMcirclemart-refund-{refund_view.id}"))

    resent = shop.deliver(shop.fake.payment_notification(out_trade_no))  # a new notification id

    assert resent.status_code == 204
    payment = Payment.objects.get()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.CAPTURED, 2000)
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    assert len(events_of("PaymentCaptured")) == 1
    assert len(events_of("RefundSucceeded")) == 1
    assert list(WebhookReceipt.objects.order_by("id").values_list("outcome", flat=True)) == [
        "captured",
        "refund_succeeded",
        "ignored",
    ]


def test_forged_notifications_are_refused_and_change_nothing(
    shop: Shop, wechatpay_keys: WechatPayKeys
):
    shop.pay_with_wechat()
    out_trade_no = shop.out_trade_no()
    shop.fake.pay(out_trade_no)
    note = shop.fake.payment_notification
    same_id = "EV-2026120610000000001"
    genuine = note(out_trade_no, event_id=same_id)
    forged = {
        "wrong key": note(out_trade_no, event_id=same_id, key=wechatpay_keys.stranger),
        "stale": note(out_trade_no, event_id=same_id, timestamp=int(time.time()) - 3600),
        "unknown serial": note(out_trade_no, event_id=same_id, serial="PUB_KEY_ID_0000"),
        "tampered": replace(genuine, body=genuine.body.replace(b'"id": "EV', b'"id": "XX')),
        "wrong APIv3 key": note(out_trade_no, event_id=same_id, apiv3_key="k" * 32),
    }

    answers = {name: shop.deliver(notification) for name, notification in forged.items()}

    assert {name: answer.status_code for name, answer in answers.items()} == {
        "wrong key": 401,
        "stale": 401,
        "unknown serial": 401,
        "tampered": 401,
        "wrong APIv3 key": 400,
    }
    assert json.loads(answers["wrong key"].content) == {
        "code": "FAIL",
        "message": "The webhook signature does not match.",
    }
    assert Payment.objects.get().status == PaymentStatus.CREATED
    assert WebhookReceipt.objects.count() == 0
    assert events_of("PaymentCaptured") == []
    assert shop.order_status() == "pending_payment"
    # The genuine notification with the same id still counts: forgeries burn nothing.
    assert shop.deliver(genuine).status_code == 204
    assert Payment.objects.get().status == PaymentStatus.CAPTURED


def test_a_notification_about_an_unknown_order_is_answered_so_wechat_retries(shop: Shop):
    shop.pay_with_wechat()
    out_trade_no = shop.out_trade_no()
    shop.fake.pay(out_trade_no)
    shop.fake.trades[out_trade_no].out_trade_no = "CM999999"
    shop.fake.trades[out_trade_no].attach = "999999"

    answer = shop.deliver(shop.fake.payment_notification(out_trade_no))

    assert answer.status_code == 404
    assert json.loads(answer.content)["code"] == "FAIL"
    assert WebhookReceipt.objects.count() == 0
    assert Payment.objects.get().status == PaymentStatus.CREATED


def test_refund_and_its_notification(shop: Shop):
    shop.pay_with_wechat()
    shop.deliver(shop.fake.pay(shop.out_trade_no()))

    pending = shop.refund(2000)
    out_refund_no = f"CMcirclemart-refund-{pending.id}"
    at_wechat = shop.fake.refunds[out_refund_no]
    notification = shop.fake.settle_refund(out_refund_no)
    answers = [shop.deliver(notification).status_code, shop.deliver(notification).status_code]

    assert pending.status == RefundStatus.PENDING
    assert Refund.objects.get().provider_refund_id == out_refund_no
    assert (at_wechat.refund, at_wechat.total) == (2000, 5800)
    assert at_wechat.notify_url == "http://testserver/payments/webhooks/wechatpay/"
    assert answers == [204, 204]
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    assert len(events_of("RefundSucceeded")) == 1


def test_a_refund_that_wechat_cannot_pay_out_fails_and_releases_its_amount(shop: Shop):
    shop.pay_with_wechat()
    shop.deliver(shop.fake.pay(shop.out_trade_no()))
    pending = shop.refund(2000)

    answer = shop.deliver(shop.fake.settle_refund(f"CMcirclemart-refund-{pending.id}", "ABNORMAL"))

    assert answer.status_code == 204
    refund_row = Refund.objects.get()
    assert (refund_row.status, refund_row.failure_reason) == (
        RefundStatus.FAILED,
        "wechatpay refund ABNORMAL",
    )
    assert Payment.objects.get().refunded_amount == 0
    assert len(events_of("RefundFailed")) == 1


def test_reconciliation_catches_lost_notifications(shop: Shop):
    shop.pay_with_wechat()
    out_trade_no = shop.out_trade_no()
    lost_payment = shop.fake.pay(out_trade_no)  # never delivered
    Payment.objects.update(created_at=clock.now() - timedelta(minutes=20))

    with shop.capture(execute=True):
        captured = services.payments_reconcile(older_than=timedelta(minutes=15))
    shop.drain()
    pending = shop.refund(1000)
    lost_refund = shop.fake.settle_refund(f"CMcirclemart-refund-{pending.id}")
    Refund.objects.update(created_at=clock.now() - timedelta(minutes=20))
    with shop.capture(execute=True):
        settled = services.payments_reconcile(older_than=timedelta(minutes=15))
    late = [shop.deliver(lost_payment).status_code, shop.deliver(lost_refund).status_code]

    assert captured == {"captured": 1}
    assert settled == {"refund_succeeded": 1}
    assert shop.order_status() == "paid"
    assert late == [204, 204]
    assert len(events_of("PaymentCaptured")) == 1
    assert len(events_of("RefundSucceeded")) == 1


def test_cancelling_the_order_closes_the_wechat_order(shop: Shop):
    shop.pay_with_wechat()
    out_trade_no = shop.out_trade_no()

    response = shop.client.post(
        f"/api/v1/orders/{shop.order.number}/cancel",
        data={"reason": "changed my mind"},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert shop.fake.trades[out_trade_no].trade_state == "CLOSED"
    assert Payment.objects.get().status == PaymentStatus.CANCELLED
