"""Pages and API of payments through django.test.Client: the hosted pay page (both
languages), the buyer's return, the buyer's payment API and the test-mode controls, the back
office, and the start-up checks."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from circlemart.payments import checks
from circlemart.payments.contracts import PaymentStatus
from circlemart.payments.models import GatewayCharge, Payment
from tests.accounts.factories import UserFactory
from tests.payments.conftest import Shop, events_of

pytestmark = pytest.mark.django_db


def pay_path(payment) -> str:
    return urlsplit(payment.redirect_url).path


# --- the test gateway's hosted page -----------------------------------------------------------


def test_pay_page_in_english(shop: Shop):
    payment = shop.start(amount=12345)

    response = shop.client.get(pay_path(payment))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Circlemart test payment gateway" in page
    assert "Paying for: Circlemart CM1001" in page
    assert "CN¥123.45" in page
    assert 'value="pay"' in page
    assert 'value="fail"' in page
    assert f'nonce="{response.wsgi_request.csp_nonce}"' in page


def test_pay_page_in_chinese(shop: Shop):
    payment = shop.start(amount=12345)

    response = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(pay_path(payment))

    page = response.content.decode()
    assert "Circlemart 测试支付网关" in page
    assert "¥123.45" in page
    assert ">支付</button>" in page
    assert ">失败</button>" in page


def test_pay_redirects_to_the_signed_return_url(shop: Shop):
    payment = shop.start()

    response = shop.press(payment)

    charge = GatewayCharge.objects.get()
    assert response.status_code == 302
    # The gateway is part of this site: back by path, whatever host and port the link had.
    assert charge.return_url == f"http://testserver{response['Location']}"
    assert response["Location"].startswith(f"/payments/return/{payment.id}/?sig=")
    assert charge.status == GatewayCharge.Status.SUCCEEDED


def test_pay_page_after_paying_shows_it_is_done_and_a_second_press_changes_nothing(shop: Shop):
    payment = shop.start()
    shop.press(payment)

    page = shop.client.get(pay_path(payment)).content.decode()
    again = shop.press(payment, "fail")

    assert "This payment has been made." in page
    assert 'value="pay"' not in page
    assert again.status_code == 302
    assert GatewayCharge.objects.get().status == GatewayCharge.Status.SUCCEEDED
    assert len(events_of("PaymentCaptured")) == 1
    assert events_of("PaymentFailed") == []


def test_pay_page_refuses_an_unknown_outcome_and_token(shop: Shop):
    payment = shop.start()

    bad = shop.client.post(pay_path(payment), {"outcome": "steal"})
    unknown = shop.client.get("/payments/test-gateway/pay/not-a-token/")

    assert bad.status_code == 400
    assert "Choose Pay or Fail." in bad.content.decode()
    assert unknown.status_code == 404
    assert GatewayCharge.objects.get().status == GatewayCharge.Status.PENDING


def test_pay_page_is_gone_when_test_mode_is_off(shop: Shop, settings):
    payment = shop.start()
    settings.PAYMENTS_TEST_MODE = False

    assert shop.client.get(pay_path(payment)).status_code == 404
    assert shop.client.post(pay_path(payment), {"outcome": "pay"}).status_code == 404
    assert GatewayCharge.objects.get().status == GatewayCharge.Status.PENDING


# --- the buyer's return -----------------------------------------------------------------------


def test_return_without_a_valid_signature_is_not_found(shop: Shop):
    payment = shop.start()
    shop.press(payment)

    forged = shop.client.get(f"/payments/return/{payment.id}/?sig=0000")
    unsigned = shop.client.get(f"/payments/return/{payment.id}/")

    assert forged.status_code == 404
    assert unsigned.status_code == 404


def test_return_of_the_signed_in_buyer_needs_no_signature(shop: Shop):
    buyer = UserFactory()
    payment = shop.start(buyer_id=buyer.pk)
    with shop.capture(execute=False):
        shop.client.post(pay_path(payment), {"outcome": "pay"})
    shop.client.force_login(buyer)

    response = shop.client.get(f"/payments/return/{payment.id}/")

    assert response.status_code == 302
    assert response["Location"] == "/orders/CM1001/"
    assert Payment.objects.get().status == PaymentStatus.CAPTURED


def test_return_never_redirects_off_site(shop: Shop):
    payment = shop.start()
    Payment.objects.filter(pk=payment.id).update(return_url="https://evil.example/")
    signed = GatewayCharge.objects.get().return_url

    response = shop.client.get(signed)

    assert response.status_code == 302
    assert response["Location"] == "/"


# --- API --------------------------------------------------------------------------------------


def api(client: Client, path: str, body: object):
    return client.post(path, json.dumps(body), content_type="application/json")


def test_buyer_reads_their_payment(shop: Shop):
    buyer = UserFactory()
    payment = shop.start(buyer_id=buyer.pk, amount=4200)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(buyer)

    response = client.get(f"/api/v1/payments/{payment.id}")

    assert response.status_code == 200
    assert response.json() == {
        "id": payment.id,
        "order_number": "CM1001",
        "amount": 4200,
        "currency": "CNY",
        "status": "created",
        "provider": "test_gateway",
        "redirect_url": payment.redirect_url,
        "refunded_amount": 0,
        "is_late_capture": False,
        "qr_code": "",
    }


def test_someone_elses_payment_is_not_found(shop: Shop):
    owner, other = UserFactory(), UserFactory()
    payment = shop.start(buyer_id=owner.pk)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(other)

    response = client.get(f"/api/v1/payments/{payment.id}")
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/api/v1/payments/{payment.id}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_payment"
    assert anonymous.status_code == 401


def test_test_controls_steer_the_gateway_for_my_payment(
    shop: Shop, django_capture_on_commit_callbacks
):
    buyer = UserFactory()
    payment = shop.start(buyer_id=buyer.pk)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(buyer)

    set_response = api(
        client,
        f"/api/v1/payments/{payment.id}/test-gateway/behaviour",
        {"duplicate_webhooks": True, "webhook_delay_seconds": 5},
    )
    with django_capture_on_commit_callbacks(execute=True):
        done = api(
            client, f"/api/v1/payments/{payment.id}/test-gateway/complete", {"outcome": "pay"}
        )

    assert set_response.status_code == 200
    assert set_response.json() | {"charge_id": "-"} == {
        "charge_id": "-",
        "status": "pending",
        "fail_payment": False,
        "fail_refunds": False,
        "webhook_delay_seconds": 5,
        "duplicate_webhooks": True,
        "out_of_order": False,
    }
    assert done.status_code == 200
    assert done.json()["status"] == "succeeded"
    assert Payment.objects.get().status == PaymentStatus.CAPTURED
    assert len(events_of("PaymentCaptured")) == 1


def test_empty_behaviour_changes_nothing(shop: Shop):
    buyer = UserFactory()
    payment = shop.start(buyer_id=buyer.pk)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(buyer)

    response = api(client, f"/api/v1/payments/{payment.id}/test-gateway/behaviour", {})

    assert response.status_code == 200
    assert response.json()["duplicate_webhooks"] is False
    assert response.json()["webhook_delay_seconds"] == 0


def test_test_controls_are_off_outside_test_mode(shop: Shop, settings):
    buyer = UserFactory()
    payment = shop.start(buyer_id=buyer.pk)
    settings.PAYMENTS_TEST_MODE = False
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(buyer)

    response = api(
        client, f"/api/v1/payments/{payment.id}/test-gateway/behaviour", {"fail_payment": True}
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "test_mode_off"
    assert GatewayCharge.objects.get().fail_payment is False


def test_test_controls_refuse_someone_elses_payment(shop: Shop):
    owner, other = UserFactory(), UserFactory()
    payment = shop.start(buyer_id=owner.pk)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(other)

    response = api(
        client, f"/api/v1/payments/{payment.id}/test-gateway/complete", {"outcome": "pay"}
    )

    assert response.status_code == 404
    assert GatewayCharge.objects.get().status == GatewayCharge.Status.PENDING


# --- back office ------------------------------------------------------------------------------


def test_back_office_lists_payments_and_refunds_read_only(shop: Shop):
    admin = UserFactory(is_staff=True, is_superuser=True)
    shop.captured(amount=12345)
    shop.refund(amount=2345, reference="aftersales:1")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin)
    payment_id = Payment.objects.get().pk

    payments = client.get("/admin/payments/payment/")
    refunds = client.get("/admin/payments/refund/")
    receipts = client.get("/admin/payments/webhookreceipt/")
    detail = client.get(f"/admin/payments/payment/{payment_id}/change/")

    assert payments.status_code == refunds.status_code == receipts.status_code == 200
    assert "CN¥123.45" in payments.content.decode()
    assert "CN¥23.45" in refunds.content.decode()
    assert "payment.succeeded" in receipts.content.decode()
    assert detail.status_code == 200
    assert client.get("/admin/payments/payment/add/").status_code == 403
    assert (
        client.post(f"/admin/payments/payment/{payment_id}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Payment.objects.count() == 1


# --- start-up checks --------------------------------------------------------------------------


def test_checks_pass_with_the_defaults():
    assert checks.check_payment_settings() == []


def test_checks_name_a_broken_provider_and_transport(settings):
    settings.PAYMENT_PROVIDERS = ["circlemart.payments.providers.nope.Provider"]
    settings.PAYMENTS_WEBHOOK_TRANSPORT = "carrier-pigeon"
    settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS = 0

    found = checks.check_payment_settings()

    assert [message.id for message in found] == ["payments.E001", "payments.E002", "payments.E003"]
    with pytest.raises(SystemCheckError):
        call_command("check")


def test_checks_refuse_a_class_that_is_not_a_provider(settings):
    settings.PAYMENT_PROVIDERS = ["circlemart.payments.transports.HttpTransport"]

    assert [message.id for message in checks.check_payment_settings()] == ["payments.E001"]
