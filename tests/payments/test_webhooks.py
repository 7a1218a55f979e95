"""Webhooks end to end: the gateway signs and POSTs them (in-process transport), the app
verifies, deduplicates and applies them; stale, replayed, doubled and reordered events."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from circlemart.payments.contracts import PaymentStatus, RefundStatus
from circlemart.payments.models import GatewayWebhook, Payment, Refund, WebhookReceipt
from circlemart.payments.transports import HttpTransport
from tests.payments.conftest import (
    FlakyTransport,
    Shop,
    charge_event,
    events_of,
    post_webhook,
    sign,
)

pytestmark = pytest.mark.django_db


def test_paying_sends_one_signed_webhook_that_captures(shop: Shop):
    payment = shop.start()

    response = shop.press(payment)

    assert response.status_code == 302
    hook = GatewayWebhook.objects.get()
    assert (hook.event_type, hook.status, hook.attempts) == ("payment.succeeded", "delivered", 1)
    assert hook.last_response_status == 200
    receipt = WebhookReceipt.objects.get()
    assert (receipt.provider_event_id, receipt.outcome) == (hook.event_id, "captured")
    assert Payment.objects.get().status == PaymentStatus.CAPTURED
    assert [p["payment_id"] for p in events_of("PaymentCaptured")] == [payment.id]


def test_failing_sends_payment_failed(shop: Shop):
    payment = shop.start()

    shop.press(payment, "fail")

    assert Payment.objects.get().status == PaymentStatus.FAILED
    assert events_of("PaymentFailed") == [
        {"payment_id": payment.id, "order_number": "CM1001", "reason": "payment.failed"}
    ]
    assert events_of("PaymentCaptured") == []


def test_fail_behaviour_turns_pay_into_a_failure(shop: Shop):
    payment = shop.start()
    shop.set_behaviour(payment, fail_payment=True)

    shop.press(payment, "pay")

    assert Payment.objects.get().status == PaymentStatus.FAILED
    assert len(events_of("PaymentFailed")) == 1


def test_webhook_sent_twice_captures_once(shop: Shop):
    payment = shop.start()
    shop.set_behaviour(payment, duplicate_webhooks=True)

    shop.press(payment)

    hooks = list(GatewayWebhook.objects.values_list("event_id", "status"))
    assert len(hooks) == 2
    assert hooks[0] == hooks[1]
    assert hooks[0][1] == "delivered"
    assert WebhookReceipt.objects.count() == 1
    assert len(events_of("PaymentCaptured")) == 1


def test_stale_events_after_success_are_ignored(shop: Shop):
    payment = shop.start()
    shop.set_behaviour(payment, out_of_order=True)

    shop.press(payment)

    sent = list(GatewayWebhook.objects.order_by("id").values_list("event_type", flat=True))
    assert sent == ["payment.succeeded", "payment.processing", "payment.failed"]
    outcomes = list(WebhookReceipt.objects.order_by("id").values_list("event_type", "outcome"))
    assert outcomes == [
        ("payment.succeeded", "captured"),
        ("payment.processing", "ignored"),
        ("payment.failed", "ignored"),
    ]
    assert Payment.objects.get().status == PaymentStatus.CAPTURED
    assert len(events_of("PaymentCaptured")) == 1
    assert events_of("PaymentFailed") == []


def test_webhook_before_the_buyer_returns(shop: Shop):
    payment = shop.start()
    response = shop.press(payment)  # webhook delivered as soon as the gateway commits

    back = shop.client.get(response["Location"])

    assert back.status_code == 302
    assert back["Location"] == "/orders/CM1001/"
    assert Payment.objects.get().status == PaymentStatus.CAPTURED
    assert len(events_of("PaymentCaptured")) == 1
    assert WebhookReceipt.objects.get().outcome == "captured"


def test_buyer_returns_before_the_webhook(shop: Shop):
    payment = shop.start()
    with shop.capture(execute=False) as held:
        response = shop.client.post(urlsplit(payment.redirect_url).path, {"outcome": "pay"})

    back = shop.client.get(response["Location"])
    assert Payment.objects.get().status == PaymentStatus.CAPTURED
    for deliver in held:
        deliver()

    assert back["Location"] == "/orders/CM1001/"
    assert GatewayWebhook.objects.get().status == "delivered"
    assert WebhookReceipt.objects.get().outcome == "ignored"
    assert len(events_of("PaymentCaptured")) == 1


def test_bad_signature_is_refused_and_nothing_changes(shop: Shop):
    payment = shop.start()
    body = charge_event(shop.charge(payment), "payment.succeeded", event_id="evt_forged")

    forged = post_webhook(shop.client, body, signature=sign(body, secret="not-the-secret"))
    missing = post_webhook(shop.client, body, signature="")
    garbled = post_webhook(shop.client, body, signature="t=abc,v1=")

    for response in (forged, missing, garbled):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "bad_signature"
        assert response.json()["error"]["field"] == "signature"
    assert forged.json()["error"]["message"] == "The webhook signature does not match."
    assert WebhookReceipt.objects.count() == 0
    assert Payment.objects.get().status == PaymentStatus.CREATED


def test_body_changed_after_signing_is_refused(shop: Shop):
    payment = shop.start()
    body = charge_event(shop.charge(payment), "payment.failed", event_id="evt_1")
    signature = sign(body)
    tampered = body.replace(b"payment.failed", b"payment.succeeded")

    response = post_webhook(shop.client, tampered, signature=signature)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_signature"
    assert Payment.objects.get().status == PaymentStatus.CREATED


@pytest.mark.parametrize("skew", [-301, 301])
def test_stale_or_future_timestamp_is_refused(shop: Shop, skew):
    payment = shop.start()
    body = charge_event(shop.charge(payment), "payment.succeeded", event_id="evt_old")

    response = post_webhook(
        shop.client, body, signature=sign(body, timestamp=int(time.time()) + skew)
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "stale_webhook"
    assert WebhookReceipt.objects.count() == 0
    assert Payment.objects.get().status == PaymentStatus.CREATED


def test_timestamp_within_tolerance_is_accepted(shop: Shop):
    payment = shop.start()
    body = charge_event(shop.charge(payment), "payment.succeeded", event_id="evt_recent")

    response = post_webhook(
        shop.client, body, signature=sign(body, timestamp=int(time.time()) - 290)
    )

    assert response.status_code == 200
    assert response.json() == {"received": True}
    assert Payment.objects.get().status == PaymentStatus.CAPTURED


def test_replayed_event_is_ignored_even_when_re_signed(shop: Shop):
    payment = shop.start()
    charge = shop.charge(payment)
    body = charge_event(charge, "payment.succeeded", event_id="evt_1")
    assert post_webhook(shop.client, body).status_code == 200

    replay = post_webhook(shop.client, body)  # fresh signature, same event id

    assert replay.status_code == 200
    assert WebhookReceipt.objects.count() == 1
    assert len(events_of("PaymentCaptured")) == 1


def test_failed_event_after_capture_never_uncaptures(shop: Shop):
    payment = shop.start()
    charge = shop.charge(payment)
    assert (
        post_webhook(
            shop.client, charge_event(charge, "payment.succeeded", event_id="e1")
        ).status_code
        == 200
    )

    late = post_webhook(shop.client, charge_event(charge, "payment.failed", event_id="e0"))

    assert late.status_code == 200
    assert Payment.objects.get().status == PaymentStatus.CAPTURED
    assert WebhookReceipt.objects.get(provider_event_id="e0").outcome == "ignored"
    assert events_of("PaymentFailed") == []


def test_malformed_body_is_refused(shop: Shop):
    body = b'{"id": "evt_1", "type": "payment.succeeded"}'

    response = post_webhook(shop.client, body)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "malformed_webhook",
        "message": "The webhook body is not a readable event.",
        "field": "body",
    }


def test_unknown_provider_and_get_are_refused(shop: Shop):
    assert (
        shop.client.post(
            "/payments/webhooks/alipay/", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )
    assert shop.client.get("/payments/webhooks/test_gateway/").status_code == 405


def test_event_about_an_unknown_payment_is_not_stored_so_the_gateway_retries(shop: Shop):
    payment = shop.start()
    charge = shop.charge(payment)
    charge.charge_id, charge.merchant_reference = "ch_unknown", "999999"
    body = charge_event(charge, "payment.succeeded", event_id="evt_x")

    response = post_webhook(shop.client, body)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_payment"
    assert WebhookReceipt.objects.count() == 0


def test_gateway_retries_with_back_off_while_the_app_answers_non_2xx(
    shop: Shop, settings, delivery_countdowns
):
    settings.PAYMENTS_WEBHOOK_TRANSPORT = "tests.payments.conftest.FlakyTransport"
    FlakyTransport.failures_left = 2
    payment = shop.start()

    shop.press(payment)

    assert FlakyTransport.statuses == [503, 503, 200]
    assert delivery_countdowns == [0, 2, 4]
    hook = GatewayWebhook.objects.get()
    assert (hook.status, hook.attempts, hook.last_response_status) == ("delivered", 3, 200)
    assert Payment.objects.get().status == PaymentStatus.CAPTURED


def test_gateway_gives_up_after_the_last_attempt(shop: Shop, settings, delivery_countdowns):
    settings.PAYMENTS_WEBHOOK_TRANSPORT = "tests.payments.conftest.FlakyTransport"
    FlakyTransport.failures_left = 10
    payment = shop.start()

    shop.press(payment)

    assert FlakyTransport.statuses == [503, 503, 503, 503]  # PAYMENTS_WEBHOOK_MAX_ATTEMPTS = 4
    assert delivery_countdowns == [0, 2, 4, 8]
    hook = GatewayWebhook.objects.get()
    assert (hook.status, hook.attempts, hook.last_error) == ("gave_up", 4, "HTTP 503")
    # The buyer's return path still converges on the gateway's word.
    assert Payment.objects.get().status == PaymentStatus.CREATED
    back = urlsplit(shop.charge(payment).return_url)
    shop.client.get(f"{back.path}?{back.query}")
    assert Payment.objects.get().status == PaymentStatus.CAPTURED


def test_delay_behaviour_schedules_the_webhook_later(shop: Shop, delivery_countdowns):
    payment = shop.start()
    shop.set_behaviour(payment, webhook_delay_seconds=30, out_of_order=True)

    shop.press(payment)

    assert delivery_countdowns == [30, 31, 32]
    assert GatewayWebhook.objects.filter(countdown_seconds=30).count() == 1


def test_refund_completes_through_a_refund_webhook(shop: Shop):
    shop.captured()

    refund = shop.refund(amount=2500, reference="aftersales:3")

    hook = GatewayWebhook.objects.filter(event_type__startswith="refund.").get()
    assert (hook.event_type, hook.status) == ("refund.succeeded", "delivered")
    assert WebhookReceipt.objects.get(provider_event_id=hook.event_id).outcome == "refund_succeeded"
    assert Refund.objects.get(pk=refund.id).status == RefundStatus.SUCCEEDED
    assert events_of("RefundSucceeded") == [
        {
            "refund_id": refund.id,
            "order_number": "CM1001",
            "amount": 2500,
            "currency": "CNY",
            "reference": "aftersales:3",
        }
    ]


def test_refund_webhook_twice_succeeds_once(shop: Shop):
    payment = shop.captured()
    shop.set_behaviour(payment, duplicate_webhooks=True)

    shop.refund(amount=1000, reference="aftersales:4")

    assert GatewayWebhook.objects.filter(event_type="refund.succeeded").count() == 2
    assert WebhookReceipt.objects.filter(event_type="refund.succeeded").count() == 1
    assert len(events_of("RefundSucceeded")) == 1
    assert Payment.objects.get().refunded_amount == 1000


class _Answer(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Answer.received.append((self.path, body, self.headers.get("X-Test", "")))
        self.send_response(503 if b"busy" in body else 200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_http_transport_makes_a_real_post():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/payments/webhooks/test_gateway/"
    try:
        ok = HttpTransport().post(url=url, body=b'{"a":1}', headers={"X-Test": "yes"}, timeout=5)
        busy = HttpTransport().post(url=url, body=b"busy", headers={}, timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert (ok, busy) == (200, 503)
    assert _Answer.received[0] == ("/payments/webhooks/test_gateway/", b'{"a":1}', "yes")
    with pytest.raises(OSError):
        HttpTransport().post(url=url, body=b"{}", headers={}, timeout=1)  # server gone
