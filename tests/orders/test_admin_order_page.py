"""The order page's own buttons: ship, cancel and refund, each a form that calls the services."""

from __future__ import annotations

import pytest

from circlemart.accounts.models import User
from circlemart.orders import aftersales
from circlemart.orders.models import Order
from tests.orders.conftest import make_buyer, make_sku, place
from tests.orders.test_admin import ORDERS, Pay, browser, make_analyst
from tests.orders.test_aftersales import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_order(pay: Pay) -> Order:
    buyer, address = make_buyer()
    return pay(place(buyer, address, make_sku(price=5000, stock=5), quantity=2))


def test_the_order_page_shows_ship_cancel_and_refund_and_readable_options(paid_order: Order):
    page = browser(make_staff()).get(f"{ORDERS}{paid_order.pk}/change/").content.decode()
    for path in ("ship", "cancel", "refund"):
        assert f"{ORDERS}{paid_order.pk}/{path}/" in page
    assert "\\u" not in page.split("<main", 1)[-1]


def test_ship_from_the_order_page(paid_order: Order):
    client = browser(make_staff())
    url = f"{ORDERS}{paid_order.pk}/ship/"
    form = client.get(url)
    assert form.status_code == 200
    assert 'data-testid="ship-form"' in form.content.decode()
    refused = client.post(url, {"carrier": "顺丰 SF Express", "tracking_number": "SF 1!"})
    assert refused.status_code == 200
    assert "Use letters, digits and dashes only." in refused.content.decode()
    missing = client.post(url, {"carrier": "", "tracking_number": "SF1234567"})
    assert "This field is required." in missing.content.decode()
    paid_order.refresh_from_db()
    assert (paid_order.status, paid_order.tracking_number) == ("paid", "")
    done = client.post(url, {"carrier": "顺丰 SF Express", "tracking_number": "SF1234567890"})
    assert done.status_code == 302
    assert done["Location"] == f"{ORDERS}{paid_order.pk}/change/"
    paid_order.refresh_from_db()
    assert (paid_order.status, paid_order.carrier, paid_order.tracking_number) == (
        "shipped",
        "顺丰 SF Express",
        "SF1234567890",
    )


def test_cancel_only_an_unpaid_order():
    buyer, address = make_buyer()
    unpaid = place(buyer, address, make_sku(price=5000, stock=5), quantity=1)
    client = browser(make_staff())
    done = client.post(f"{ORDERS}{unpaid.pk}/cancel/", {"reason": "缺货"})
    assert done.status_code == 302
    unpaid.refresh_from_db()
    assert (unpaid.status, unpaid.cancel_reason) == ("cancelled", "缺货")


def test_cancelling_a_paid_order_is_refused_with_a_message(paid_order: Order):
    response = browser(make_staff()).post(f"{ORDERS}{paid_order.pk}/cancel/", {"reason": ""})
    assert response.status_code == 200
    assert "Only orders awaiting payment can be cancelled" in response.content.decode()
    paid_order.refresh_from_db()
    assert paid_order.status == "paid"


def test_refund_in_yuan_refuses_more_than_refundable_then_refunds_in_full(paid_order: Order):
    client = browser(make_staff())
    url = f"{ORDERS}{paid_order.pk}/refund/"
    page = client.get(url).content.decode()
    assert 'value="100.00"' in page  # 2 × ¥50, in yuan
    too_much = client.post(url, {"amount": "100.01", "reason": "缺货"})
    assert "The amount can be at most CN¥100.00." in too_much.content.decode()
    partial = client.post(url, {"amount": "10", "reason": "缺货"})
    assert "only in full" in partial.content.decode()
    bad = client.post(url, {"amount": "1.234", "reason": "缺货"})
    assert "Use at most 2 decimal places." in bad.content.decode()
    paid_order.refresh_from_db()
    assert paid_order.status == "paid"
    done = client.post(url, {"amount": "¥100.00", "reason": "缺货"})
    assert done.status_code == 302
    paid_order.refresh_from_db()
    assert paid_order.status in {"refunding", "refunded"}


def test_refund_approves_the_buyers_request_with_the_amount_entered(paid_order: Order):
    request = aftersales.aftersales_request(
        buyer_id=paid_order.buyer_id, number=paid_order.number, kind="refund_only", reason="damaged"
    )
    done = browser(make_staff()).post(
        f"{ORDERS}{paid_order.pk}/refund/", {"amount": "30.5", "reason": "部分退款"}
    )
    assert done.status_code == 302
    request.refresh_from_db()
    assert (request.amount, request.status) == (3050, request.status)
    assert request.status != "requested"


def test_analysts_and_shoppers_cannot_use_the_buttons(paid_order: Order):
    analyst = browser(make_analyst())
    for path in ("ship", "cancel", "refund"):
        assert analyst.post(f"{ORDERS}{paid_order.pk}/{path}/", {}).status_code == 403
    shopper = browser(User.objects.get(pk=paid_order.buyer_id))
    response = shopper.post(
        f"{ORDERS}{paid_order.pk}/ship/", {"carrier": "EMS", "tracking_number": "EMS123456"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    paid_order.refresh_from_db()
    assert paid_order.status == "paid"
