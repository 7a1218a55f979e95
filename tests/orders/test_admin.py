"""The order back office: who sees what, actions that go through the services, masked PII.

Also the read-only cart admin and the shipping rule admin, which serve the same operators."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from PIL import Image

from circlemart.accounts.contracts import Role
from circlemart.accounts.models import User
from circlemart.cart import services as cart_services
from circlemart.inventory import selectors as inventory_selectors
from circlemart.orders import aftersales, services
from circlemart.orders.models import Order
from circlemart.payments import gateway
from circlemart.payments import selectors as payment_selectors
from circlemart.pricing.models import ShippingRule
from tests.accounts.factories import UserFactory
from tests.orders.conftest import make_buyer, make_sku, place, token_of
from tests.orders.test_aftersales import make_staff

pytestmark = pytest.mark.django_db

Pay = Callable[..., Order]
ORDERS = "/admin/orders/order/"
REQUESTS = "/admin/orders/aftersalesrequest/"


def browser(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def make_analyst() -> User:
    analyst = make_staff()
    analyst.groups.set([Group.objects.get(name=Role.ANALYST.value)])
    return User.objects.get(pk=analyst.pk)


def make_admin() -> User:
    return UserFactory(is_superuser=True, is_staff=True)


def shown_messages(response: HttpResponse) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 10, 10)).save(buffer, format="PNG")
    return SimpleUploadedFile("damage.png", buffer.getvalue(), content_type="image/png")


def act_on(
    client: Client,
    path: str,
    action: str,
    ids: list[int],
    capture: Callable[..., Any] | None = None,
    **data: Any,
) -> HttpResponse:
    """Post a changelist action as the browser does, following the redirect back to the list
    (so the messages it shows are the ones this action left)."""
    payload = {"action": action, "_selected_action": ids, **data}
    if capture is None:
        return client.post(path, payload, follow=True)  # type: ignore[return-value]
    with capture(execute=True):
        return client.post(path, payload, follow=True)  # type: ignore[return-value]


@pytest.fixture
def paid_order(pay: Pay) -> Order:
    buyer, address = make_buyer()
    return pay(place(buyer, address, make_sku(price=5000, stock=5), quantity=2))


# --- who gets in ------------------------------------------------------------------------------


def test_every_page_renders_for_merchant_staff_and_admins(paid_order: Order) -> None:
    request = aftersales.aftersales_request(
        buyer_id=paid_order.buyer_id,
        number=paid_order.number,
        kind="refund_only",
        reason="damaged",
        photos=[photo()],
    )
    ShippingRule.objects.create(region="", method="standard", fee=800, free_over=9900)
    cart_id = cart_services.cart_ensure(user_id=paid_order.buyer_id)
    pages = [
        ORDERS,
        f"{ORDERS}?status__exact=paid",
        f"{ORDERS}?q={paid_order.number}",
        f"{ORDERS}{paid_order.pk}/change/",
        REQUESTS,
        f"{REQUESTS}?queue=operator",
        f"{REQUESTS}{request.pk}/change/",
        "/admin/pricing/shippingrule/",
        "/admin/pricing/shippingrule/add/",
        "/admin/cart/cart/",
        f"/admin/cart/cart/{cart_id}/change/",
    ]
    for user in (make_staff(), make_admin()):
        client = browser(user)
        for path in pages:
            assert client.get(path).status_code == 200, (user, path)
    listing = browser(make_staff()).get(ORDERS).content.decode()
    assert paid_order.number in listing
    assert "CN¥100.00" in listing  # 2 × ¥50, shipping free from ¥99
    photos = browser(make_staff()).get(REQUESTS).content.decode()
    assert photos.count('<img src="/media/aftersales/') == 1


def test_nobody_adds_edits_or_deletes_orders_in_the_admin(paid_order: Order) -> None:
    client = browser(make_admin())
    assert client.get(f"{ORDERS}add/").status_code == 403
    assert client.get(f"{ORDERS}{paid_order.pk}/delete/").status_code == 403
    refused = client.post(f"{ORDERS}{paid_order.pk}/change/", {"status": "completed"})
    assert refused.status_code == 403
    paid_order.refresh_from_db()
    assert paid_order.status == "paid"


def test_analysts_read_orders_but_get_no_actions(paid_order: Order) -> None:
    client = browser(make_analyst())
    listing = client.get(ORDERS)
    assert listing.status_code == 200
    assert 'value="ship"' not in listing.content.decode()
    assert client.get(f"{ORDERS}{paid_order.pk}/change/").status_code == 200
    refused = act_on(
        client, ORDERS, "ship", [paid_order.pk], apply="1", **{f"tracking_{paid_order.pk}": "SF1"}
    )
    assert (refused.status_code, refused.redirect_chain) == (200, [])  # no actions to run
    paid_order.refresh_from_db()
    assert (paid_order.status, paid_order.tracking_number) == ("paid", "")
    assert client.get("/admin/cart/cart/").status_code == 403  # carts: merchant staff only


def test_shoppers_are_sent_to_the_login_page(paid_order: Order) -> None:
    shopper = User.objects.get(pk=paid_order.buyer_id)
    for path in (ORDERS, f"{ORDERS}{paid_order.pk}/change/", REQUESTS):
        response = browser(shopper).get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_the_change_page_masks_the_address_and_lists_payments(paid_order: Order) -> None:
    page = browser(make_admin()).get(f"{ORDERS}{paid_order.pk}/change/").content.decode()
    assert "13800138000" not in page
    assert "人民路 1 号" not in page
    assert "张三" not in page
    assert "+86138****8000" in page
    assert "张*" in page
    payment = payment_selectors.payments_for_order(paid_order.number)[0]
    assert f"#{payment.id}" in page
    assert "captured" in page


# --- order actions ----------------------------------------------------------------------------


def test_ship_asks_for_tracking_then_ships_paid_orders_and_refuses_unpaid_ones(
    paid_order: Order,
) -> None:
    buyer, address = make_buyer()
    unpaid = place(buyer, address, make_sku())
    client = browser(make_staff())
    ids = [paid_order.pk, unpaid.pk]
    form = act_on(client, ORDERS, "ship", ids)
    assert (form.status_code, form.redirect_chain) == (200, [])
    html = form.content.decode()
    assert f'name="tracking_{paid_order.pk}"' in html
    assert "not paid: cannot ship" in html
    done = act_on(
        client,
        ORDERS,
        "ship",
        ids,
        apply="1",
        **{
            f"carrier_{paid_order.pk}": "顺丰 SF Express",
            f"tracking_{paid_order.pk}": "SF 1234 5678",
            f"carrier_{unpaid.pk}": "SF",
            f"tracking_{unpaid.pk}": "SF999",
        },
    )
    assert done.redirect_chain == [(ORDERS, 302)]
    assert shown_messages(done) == [
        f"{unpaid.number}: An order that is “Awaiting payment” cannot become “Shipped”.",
        "Shipped 1 order.",
    ]
    paid_order.refresh_from_db()
    unpaid.refresh_from_db()
    assert (paid_order.status, paid_order.carrier, paid_order.tracking_number) == (
        "shipped",
        "顺丰 SF Express",
        "SF12345678",
    )
    assert paid_order.transitions.last().actor_kind == "staff"  # type: ignore[union-attr]
    assert (unpaid.status, unpaid.tracking_number) == ("pending_payment", "")


def test_ship_reports_a_bad_tracking_number_and_leaves_blank_rows_alone(
    paid_order: Order, pay: Pay
) -> None:
    buyer, address = make_buyer()
    other = pay(place(buyer, address, make_sku()))
    done = act_on(
        browser(make_staff()),
        ORDERS,
        "ship",
        [paid_order.pk, other.pk],
        apply="1",
        **{f"carrier_{paid_order.pk}": "SF", f"tracking_{paid_order.pk}": "顺丰单号"},
    )
    assert shown_messages(done) == [
        f"{paid_order.number}: Enter the tracking number (letters and digits).",
        f"{other.number}: left unshipped (no carrier or tracking number).",
    ]
    assert set(Order.objects.values_list("status", flat=True)) == {"paid"}


def test_cancel_unpaid_cancels_awaiting_payment_and_refuses_paid(paid_order: Order) -> None:
    buyer, address = make_buyer()
    sku = make_sku(stock=3)
    unpaid = place(buyer, address, sku, quantity=2)
    done = act_on(browser(make_staff()), ORDERS, "cancel_unpaid", [paid_order.pk, unpaid.pk])
    assert shown_messages(done) == [
        f"{paid_order.number}: Only orders awaiting payment can be cancelled; "
        "ask for a refund instead.",
        "Cancelled 1 order.",
    ]
    unpaid.refresh_from_db()
    paid_order.refresh_from_db()
    assert (unpaid.status, unpaid.cancel_reason) == ("cancelled", "Cancelled by the merchant")
    assert paid_order.status == "paid"
    assert inventory_selectors.stock_of(sku) == (3, 0)  # the reservation went back


# --- after-sales actions ----------------------------------------------------------------------


def test_approve_from_the_admin_refunds_through_the_provider(
    paid_order: Order,
    django_capture_on_commit_callbacks: Callable[..., Any],
    drain: Callable[[], None],
) -> None:
    request = aftersales.aftersales_request(
        buyer_id=paid_order.buyer_id, number=paid_order.number, kind="refund_only", reason="other"
    )
    done = act_on(
        browser(make_staff()),
        REQUESTS,
        "approve",
        [request.pk],
        capture=django_capture_on_commit_callbacks,
    )
    drain()
    assert shown_messages(done) == ["Approved 1 request."]
    request.refresh_from_db()
    paid_order.refresh_from_db()
    assert request.status == "refunded"
    assert (paid_order.status, paid_order.refunded_amount) == ("refunded", 10000)


def test_reject_asks_for_a_reason_and_an_escalation_reaches_the_operator_queue(
    paid_order: Order,
    django_capture_on_commit_callbacks: Callable[..., Any],
    drain: Callable[[], None],
) -> None:
    request = aftersales.aftersales_request(
        buyer_id=paid_order.buyer_id, number=paid_order.number, kind="refund_only", reason="other"
    )
    client = browser(make_staff())
    form = act_on(client, REQUESTS, "reject", [request.pk])
    assert form.status_code == 200
    assert 'name="reason"' in form.content.decode()
    blank = act_on(client, REQUESTS, "reject", [request.pk], apply="1", reason="")
    assert blank.redirect_chain == []  # the form again, with its error
    assert "This field is required." in blank.content.decode()
    request.refresh_from_db()
    assert request.status == "requested"
    done = act_on(client, REQUESTS, "reject", [request.pk], apply="1", reason="Photos unclear")
    assert shown_messages(done) == ["Rejected 1 request."]
    request.refresh_from_db()
    assert (request.status, request.merchant_note) == ("rejected", "Photos unclear")
    assert str(request.pk) not in _queue(client)
    aftersales.aftersales_escalate(
        buyer_id=paid_order.buyer_id, request_id=request.pk, reason="They are clear"
    )
    assert _queue(client) == [str(request.pk)]
    settled = act_on(
        client, REQUESTS, "approve", [request.pk], capture=django_capture_on_commit_callbacks
    )
    drain()
    assert shown_messages(settled) == ["Approved 1 request."]
    request.refresh_from_db()
    assert request.status == "refunded"  # the operator sided with the buyer


def _queue(client: Client) -> list[str]:
    page = client.get(f"{REQUESTS}?queue=operator").content.decode()
    return re.findall(r'name="_selected_action" value="(\d+)"', page)


def test_receive_return_with_the_restock_choice(
    paid_order: Order,
    django_capture_on_commit_callbacks: Callable[..., Any],
    drain: Callable[[], None],
) -> None:
    staff = make_staff()
    services.order_ship(
        staff_id=staff.pk, number=paid_order.number, carrier="SF", tracking_number="SF1"
    )
    line = paid_order.lines.get()
    request = aftersales.aftersales_request(
        buyer_id=paid_order.buyer_id,
        number=paid_order.number,
        kind="return_refund",
        reason="damaged",
        lines={line.pk: 1},
    )
    client = browser(staff)
    early = act_on(client, REQUESTS, "receive_return", [request.pk], apply="1", restock="no")
    assert shown_messages(early) == [
        f"#{request.pk}: A request that is “Requested” cannot become “Refunding”."
    ]
    act_on(client, REQUESTS, "approve", [request.pk])
    aftersales.aftersales_ship_return(
        buyer_id=paid_order.buyer_id, request_id=request.pk, carrier="SF", tracking_number="R1"
    )
    stock_before = inventory_selectors.stock_of(line.sku_id)
    done = act_on(
        client,
        REQUESTS,
        "receive_return",
        [request.pk],
        capture=django_capture_on_commit_callbacks,
        apply="1",
        restock="no",
    )
    drain()
    assert shown_messages(done) == ["Received 1 return; its refund has started."]
    request.refresh_from_db()
    assert (request.status, request.restock) == ("refunded", False)
    assert inventory_selectors.stock_of(line.sku_id) == stock_before  # damaged: not restocked


def test_retry_a_failed_refund_from_the_admin(
    paid_order: Order,
    django_capture_on_commit_callbacks: Callable[..., Any],
    drain: Callable[[], None],
) -> None:
    payment = payment_selectors.payments_for_order(paid_order.number)[0]
    charge = gateway.charge_by_token(token=token_of(payment.redirect_url))
    gateway.charge_set_behaviour(
        charge_id=charge.charge_id, behaviour=gateway.Behaviour(fail_refunds=True)
    )
    request = aftersales.aftersales_request(
        buyer_id=paid_order.buyer_id, number=paid_order.number, kind="refund_only", reason="other"
    )
    client = browser(make_staff())
    nothing = act_on(client, REQUESTS, "retry_refund", [request.pk])
    assert shown_messages(nothing) == [f"#{request.pk}: There is no failed refund to retry."]
    act_on(client, REQUESTS, "approve", [request.pk], capture=django_capture_on_commit_callbacks)
    drain()
    request.refresh_from_db()
    assert request.status == "approved"
    failed = client.get(f"{REQUESTS}?queue=failed_refund").content.decode()
    assert f'value="{request.pk}"' in failed
    gateway.charge_set_behaviour(
        charge_id=charge.charge_id, behaviour=gateway.Behaviour(fail_refunds=False)
    )
    done = act_on(
        client, REQUESTS, "retry_refund", [request.pk], capture=django_capture_on_commit_callbacks
    )
    drain()
    assert shown_messages(done) == ["Retried 1 refund."]
    request.refresh_from_db()
    assert request.status == "refunded"


# --- shipping rules and carts -----------------------------------------------------------------


def test_shipping_rules_show_money_and_a_duplicate_is_a_form_error() -> None:
    ShippingRule.objects.create(region="", method="standard", fee=800, free_over=9900)
    client = browser(make_staff())
    listing = client.get("/admin/pricing/shippingrule/").content.decode()
    assert "CN¥8.00" in listing
    assert "CN¥99.00" in listing
    assert "All other regions" in listing
    duplicate = client.post(
        "/admin/pricing/shippingrule/add/",
        {"region": "", "method": "standard", "fee": "5", "free_over": "", "is_active": "on"},
    )
    assert duplicate.status_code == 200
    assert "There is already a rule for this region and method; edit that one." in (
        duplicate.content.decode()
    )
    assert ShippingRule.objects.count() == 1
    created = client.post(
        "/admin/pricing/shippingrule/add/",
        {
            "region": "新疆",
            "method": "standard",
            "fee": "20.00",
            "free_over": "",
            "is_active": "on",
        },
    )
    assert created.status_code == 302
    assert ShippingRule.objects.filter(region="新疆", fee=2000, free_over=None).exists()


def test_carts_are_read_only() -> None:
    buyer, _address = make_buyer()
    sku = make_sku()
    cart_id = cart_services.cart_ensure(user_id=buyer.pk)
    cart_services.cart_add(cart_id=cart_id, sku_id=sku, quantity=2)
    client = browser(make_staff())
    page = client.get(f"/admin/cart/cart/{cart_id}/change/").content.decode()
    assert "CN¥50.00" in page
    assert client.get("/admin/cart/cart/add/").status_code == 403
    assert client.post(f"/admin/cart/cart/{cart_id}/change/", {}).status_code == 403
    assert client.get(f"/admin/cart/cart/{cart_id}/delete/").status_code == 403
