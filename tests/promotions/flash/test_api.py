"""The flash-buy endpoint, the "flash sales now" page and its buy button, the product-page
offer, and the back office — through django.test.Client."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from circlemart.core.events import relay_pending
from circlemart.core.models import IdempotencyRecord
from circlemart.orders import services as order_services
from circlemart.orders.models import Order
from circlemart.payments.providers.test_gateway import TestGatewayProvider
from circlemart.promotions.flash import selectors as flash_selectors
from circlemart.promotions.flash import services as flash_services
from circlemart.promotions.flash.models import FlashItem, FlashSession
from tests.accounts.factories import UserFactory
from tests.promotions.conftest import make_buyer, make_sku
from tests.promotions.flash.test_services import backend, flash_item  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def bearer(user: Any) -> str:
    return f"Bearer {token_pair_issue(user=user).access_token}"


def post_buy(
    item_id: int, auth: str, body: dict[str, Any], key: str | None = None, ip: str = "10.0.0.1"
) -> tuple[int, dict[str, Any]]:
    headers = {"HTTP_AUTHORIZATION": auth, "REMOTE_ADDR": ip}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    answer = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        f"/api/v1/promotions/flash/{item_id}/buy",
        json.dumps(body),
        content_type="application/json",
        **headers,
    )
    return answer.status_code, answer.json()


def test_buy_answers_201_with_the_order_and_the_payment_page() -> None:
    item = flash_item(flash_price=4900)
    user, address = make_buyer()
    status, body = post_buy(item.pk, bearer(user), {"quantity": 1, "address_id": address}, "k1")
    assert status == 201
    order = Order.objects.get()
    assert body["order_number"] == order.number
    assert (body["unit_price"], body["quantity"], body["total"]) == (4900, 1, order.total)
    assert "/payments/test-gateway/pay/" in body["payment_url"]


def test_a_replayed_key_is_the_same_order_and_a_new_one_is_over_the_limit() -> None:
    item = flash_item(per_user_limit=1)
    user, address = make_buyer()
    auth, body = bearer(user), {"quantity": 1, "address_id": address}
    first = post_buy(item.pk, auth, body, "double-click")
    again = post_buy(item.pk, auth, body, "double-click")
    assert first == again
    status, refused = post_buy(item.pk, auth, body, "another-click")
    assert status == 409
    assert refused["error"] == {
        "code": "flash_limit_reached",
        "message": "You can buy at most 1 of this flash item.",
        "field": "quantity",
        "limit": 1,
    }
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "status", "code", "field"),
    [
        ({"starts_in": timedelta(hours=1)}, 409, "flash_not_started", "item_id"),
        ({"starts_in": -timedelta(hours=3)}, 409, "flash_ended", "item_id"),
        ({"flash_stock": 0}, 409, "flash_sold_out", "item_id"),
        ({"is_active": False}, 404, "flash_not_found", "item_id"),
    ],
)
def test_refusals_have_their_own_codes(
    fields: dict[str, Any], status: int, code: str, field: str
) -> None:
    item = flash_item(**fields)
    user, address = make_buyer()
    answer = post_buy(item.pk, bearer(user), {"quantity": 1, "address_id": address})
    assert answer[0] == status
    assert (answer[1]["error"]["code"], answer[1]["error"]["field"]) == (code, field)
    assert Order.objects.count() == 0


def test_quantity_above_the_limit_is_400_and_chinese_messages_are_translated() -> None:
    item = flash_item(per_user_limit=2)
    user, address = make_buyer()
    answer = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").post(
        f"/api/v1/promotions/flash/{item.pk}/buy",
        json.dumps({"quantity": 3, "address_id": address}),
        content_type="application/json",
        HTTP_AUTHORIZATION=bearer(user),
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "quantity_limit"
    sold_out = flash_item(flash_stock=0)
    answer = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").post(
        f"/api/v1/promotions/flash/{sold_out.pk}/buy",
        json.dumps({"quantity": 1, "address_id": address}),
        content_type="application/json",
        HTTP_AUTHORIZATION=bearer(user),
    )
    assert answer.json()["error"]["message"] == "已抢光：秒杀库存已全部售出。"


def test_signed_out_callers_are_refused() -> None:
    item = flash_item()
    answer = Client().post(
        f"/api/v1/promotions/flash/{item.pk}/buy", "{}", content_type="application/json"
    )
    assert answer.status_code == 401
    assert FlashItem.objects.get().sold == 0


def test_a_bot_hammering_the_button_is_rate_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    # An hour-long window, so the fixed window cannot roll over in the middle of the test.
    monkeypatch.setattr(flash_services, "BUY_RATE_USER", (20, 3600))
    item = flash_item(flash_stock=0)
    user, address = make_buyer()
    auth, body = bearer(user), {"quantity": 1, "address_id": address}
    statuses = [post_buy(item.pk, auth, body)[0] for _ in range(22)]
    assert statuses == [409] * 20 + [429] * 2


def test_one_ip_is_rate_limited_across_accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flash_services, "BUY_RATE_IP", (5, 3600))
    item = flash_item(flash_stock=0)
    statuses = []
    for _account in range(3):
        auth = bearer(UserFactory())
        statuses += [post_buy(item.pk, auth, {"quantity": 1}, ip="10.9.9.9")[0] for _ in range(3)]
    assert statuses == [409] * 5 + [429] * 4
    assert post_buy(item.pk, bearer(UserFactory()), {"quantity": 1}, ip="10.9.9.8")[0] == 409


def test_the_sessions_endpoint_lists_live_then_upcoming() -> None:
    live = flash_item()
    upcoming = flash_item(starts_in=timedelta(hours=2))
    flash_item(starts_in=-timedelta(hours=5))  # over
    answer = Client().get("/api/v1/promotions/flash")
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [(s["session_id"], s["is_live"]) for s in items] == [
        (live.session_id, True),
        (upcoming.session_id, False),
    ]
    assert items[0]["offers"][0]["remaining"] == 5


def test_the_page_lists_sessions_with_countdowns_and_buy_buttons(client: Client) -> None:
    live = flash_item()
    flash_item(starts_in=timedelta(hours=2))
    page = client.get("/promotions/flash/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-testid="flash-session"') == 2
    assert html.count('data-testid="flash-buy"') == 1
    assert html.count("data-countdown-to=") == 2
    assert f"/promotions/flash/{live.pk}/buy/" in html
    assert "promotions/flash.js" in html
    assert "<script>" not in html  # CSP: no inline script


def test_the_page_buy_button_goes_to_the_gateway(client: Client) -> None:
    item = flash_item()
    user, _address = make_buyer()
    client.force_login(user)
    answer = client.post(
        f"/promotions/flash/{item.pk}/buy/", {"token": "page-token"}, HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 204
    assert "/payments/test-gateway/pay/" in answer["HX-Redirect"]
    again = client.post(
        f"/promotions/flash/{item.pk}/buy/", {"token": "page-token"}, HTTP_HX_REQUEST="true"
    )
    assert again.status_code == 204
    assert Order.objects.count() == 1
    third = client.post(
        f"/promotions/flash/{item.pk}/buy/",
        {"token": "other"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert third.status_code == 409
    assert "You can buy at most 1 of this flash item." in third.content.decode()
    assert Order.objects.count() == 1


def test_a_buy_whose_payment_cannot_start_lands_on_the_order_page(
    client: Client, settings: Any
) -> None:
    settings.PAYMENT_PROVIDERS = []
    item = flash_item()
    user, _address = make_buyer()
    client.force_login(user)

    answer = client.post(
        f"/promotions/flash/{item.pk}/buy/", {"token": "page-token"}, HTTP_HX_REQUEST="true"
    )

    order = Order.objects.get()
    assert answer.status_code == 204
    assert answer["HX-Redirect"] == f"/orders/{order.number}/"
    assert order.status == "pending_payment"


def test_an_offsite_provider_is_reached_through_the_hand_off_page(
    client: Client, settings: Any
) -> None:
    settings.PAYMENT_PROVIDERS = ["tests.payments.memory_provider.MemoryRedirectProvider"]
    item = flash_item()
    user, _address = make_buyer()
    client.force_login(user)

    answer = client.post(f"/promotions/flash/{item.pk}/buy/", {"token": "page-token"})

    assert answer.status_code == 302
    assert answer["Location"].startswith("/payments/")
    assert "/leave/?sig=" in answer["Location"]


def test_the_page_buy_button_asks_visitors_to_sign_in(client: Client) -> None:
    item = flash_item()
    answer = client.post(f"/promotions/flash/{item.pk}/buy/", HTTP_HX_REQUEST="true")
    assert answer.status_code == 204
    assert answer["HX-Redirect"].startswith("/accounts/login/")
    assert Order.objects.count() == 0


def test_the_product_offer_and_its_partial() -> None:
    from django.template.loader import render_to_string

    item = flash_item(flash_price=4900, price=9900)
    product_id = flash_selectors.flash_offer(item.pk).product_id  # type: ignore[union-attr]
    offer = flash_selectors.flash_offer_for_product(product_id)
    assert offer is not None
    assert (offer.item_id, offer.flash_price, offer.list_price, offer.is_live) == (
        item.pk,
        4900,
        9900,
        True,
    )
    html = render_to_string("promotions/partials/product_flash.html", {"flash_offer": offer})
    assert 'data-testid="product-flash-price"' in html
    assert "data-countdown-to=" in html
    assert flash_selectors.flash_offer_for_product(product_id + 999) is None
    assert render_to_string("promotions/partials/product_flash.html", {}).strip() == ""


def test_back_office_validates_and_shows_counters(admin_client: Client) -> None:
    sku = make_sku(price=9900, stock=10)
    form = {
        "name": "Midnight",
        "starts_at_0": "2026-12-01",
        "starts_at_1": "10:00:00",
        "ends_at_0": "2026-12-01",
        "ends_at_1": "09:00:00",
        "is_active": "on",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-sku": str(sku),
        "items-0-flash_price": "99",
        "items-0-flash_stock": "11",
        "items-0-per_user_limit": "1",
    }
    answer = admin_client.post(
        "/admin/promotions/flashsession/add/", form, HTTP_ACCEPT_LANGUAGE="en"
    )
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "The end must be after the start." in html
    assert "Only 10 in stock: the flash stock cannot be more." in html
    assert "The flash price must be below the SKU&#x27;s price (CN¥99.00)." in html
    assert FlashSession.objects.count() == 0
    form |= {"ends_at_1": "23:00:00", "items-0-flash_price": "49", "items-0-flash_stock": "10"}
    answer = admin_client.post("/admin/promotions/flashsession/add/", form)
    assert answer.status_code == 302
    item = FlashItem.objects.get()
    assert (item.flash_stock, item.flash_price, item.sold) == (10, 4900, 0)
    page = admin_client.get(
        f"/admin/promotions/flashsession/{item.session_id}/change/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == 200
    assert "held (unpaid)" in page.content.decode()


# --- idempotency: refusals write nothing, successes replay ------------------------------------


def buy_answer(item_id: int, auth: str, body: dict[str, Any], key: str, **client: Any) -> Any:
    return Client(HTTP_ACCEPT_LANGUAGE="en", **client).post(
        f"/api/v1/promotions/flash/{item_id}/buy",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
        HTTP_IDEMPOTENCY_KEY=key,
    )


@pytest.mark.usefixtures("backend")
def test_a_refused_buy_writes_nothing_not_even_its_key() -> None:
    item = flash_item(flash_stock=2, per_user_limit=1)
    sold_out_item = flash_item(flash_stock=0)
    user, address = make_buyer()
    auth, body = bearer(user), {"quantity": 1, "address_id": address}
    assert post_buy(item.pk, auth, body, "bought")[0] == 201

    at_limit = post_buy(item.pk, auth, body, "again")
    sold_out = post_buy(sold_out_item.pk, auth, body, "late")

    assert (at_limit[0], at_limit[1]["error"]["code"]) == (409, "flash_limit_reached")
    assert at_limit[1]["error"]["limit"] == 1
    assert (sold_out[0], sold_out[1]["error"]["code"]) == (409, "flash_sold_out")
    assert list(IdempotencyRecord.objects.values_list("key", "response_status")) == [
        ("bought", 201)
    ]
    assert Order.objects.count() == 1
    assert list(FlashItem.objects.order_by("pk").values_list("sold", flat=True)) == [1, 0]


@pytest.mark.usefixtures("backend")
def test_a_replayed_key_after_success_is_the_same_order_even_once_sold_out() -> None:
    item = flash_item(flash_stock=1, per_user_limit=2)
    user, address = make_buyer()
    auth, body = bearer(user), {"quantity": 1, "address_id": address}
    first = buy_answer(item.pk, auth, body, "tap")
    assert first.status_code == 201

    again = buy_answer(item.pk, auth, body, "tap")  # the item is sold out now
    other = buy_answer(item.pk, auth, body, "another-tap")

    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert (other.status_code, other.json()["error"]["code"]) == (409, "flash_sold_out")
    assert Order.objects.get().number == first.json()["order_number"]
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.usefixtures("backend")
def test_a_refused_key_is_decided_again_when_a_unit_comes_back(
    django_capture_on_commit_callbacks: Any,
) -> None:
    item = flash_item(flash_stock=1)
    first, first_address = make_buyer()
    second, second_address = make_buyer()
    _status, bought = post_buy(item.pk, bearer(first), {"quantity": 1, "address_id": first_address})
    auth, body = bearer(second), {"quantity": 1, "address_id": second_address}
    assert post_buy(item.pk, auth, body, "patient")[0] == 409
    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_cancel(actor_id=first.pk, number=bought["order_number"])
        relay_pending()

    status, retried = post_buy(item.pk, auth, body, "patient")

    assert status == 201
    assert Order.objects.get(number=retried["order_number"]).buyer_id == second.pk
    assert FlashItem.objects.get().sold == 1


@pytest.mark.usefixtures("backend")
def test_a_failure_after_the_order_is_answered_with_that_order_by_the_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    item = flash_item(per_user_limit=1)
    user, address = make_buyer()
    auth, body = bearer(user), {"quantity": 1, "address_id": address}
    create_payment = TestGatewayProvider.create_payment
    failures = [ConnectionError("the payment provider did not answer")]

    def flaky(self: TestGatewayProvider, **kwargs: Any) -> Any:
        if failures:
            raise failures.pop()
        return create_payment(self, **kwargs)

    monkeypatch.setattr(TestGatewayProvider, "create_payment", flaky)

    crashed = buy_answer(item.pk, auth, body, "tap", raise_request_exception=False)
    retry = buy_answer(item.pk, auth, body, "tap")  # the buyer is at the limit now

    assert crashed.status_code == 500
    assert retry.status_code == 201
    order = Order.objects.get()
    assert retry.json()["order_number"] == order.number
    assert "/payments/test-gateway/pay/" in retry.json()["payment_url"]
    assert FlashItem.objects.get().sold == 1
    assert buy_answer(item.pk, auth, body, "tap").json() == retry.json()


@pytest.mark.redis
def test_with_redis_a_refusal_costs_one_query_the_key_lookup(
    settings: Any, django_assert_num_queries: Any
) -> None:
    settings.PROMOTIONS_FLASH_BACKEND = "auto"
    settings.PROMOTIONS_FLASH_KEY_PREFIX = f"test:{uuid.uuid4().hex[:10]}:"
    item = flash_item(flash_stock=1, per_user_limit=1)
    winner, winner_address = make_buyer()
    late, late_address = make_buyer()
    winner_auth, late_auth = bearer(winner), bearer(late)
    post_buy(item.pk, winner_auth, {"quantity": 1, "address_id": winner_address}, "w")
    post_buy(item.pk, late_auth, {"quantity": 1, "address_id": late_address}, "warm")

    with django_assert_num_queries(1):  # sold out; the token is remembered
        status, sold_out = post_buy(item.pk, late_auth, {"quantity": 1}, "l")
    with django_assert_num_queries(1):  # at the limit: the limit comes from Redis too
        status_at_limit, at_limit = post_buy(item.pk, winner_auth, {"quantity": 1}, "w2")
    with django_assert_num_queries(0):  # no key sent: nothing to look up
        status_without_key, _body = post_buy(item.pk, late_auth, {"quantity": 1})

    assert (status, sold_out["error"]["code"]) == (409, "flash_sold_out")
    assert (status_at_limit, at_limit["error"]) == (
        409,
        {
            "code": "flash_limit_reached",
            "message": "You can buy at most 1 of this flash item.",
            "field": "quantity",
            "limit": 1,
        },
    )
    assert status_without_key == 409
