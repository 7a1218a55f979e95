"""Group buy through HTTP: the API (deals, open, join, refusals naming the field, my groups,
no other member's order numbers), the pages (deal, group share page, join button with htmx,
poster), the product page's promotions block, and the back office."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from circlemart.orders.models import Order
from circlemart.promotions.group import services as group_services
from circlemart.promotions.group.models import Group, GroupDeal
from tests.orders.test_admin import make_admin
from tests.promotions.bargain.test_services import bargain_deal
from tests.promotions.conftest import make_buyer
from tests.promotions.flash.test_api import bearer
from tests.promotions.group.test_services import group_deal

pytestmark = pytest.mark.django_db


def api(
    method: str, path: str, auth: str | None = None, body: Any = None, key: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers: dict[str, str] = {}
    if auth:
        headers["HTTP_AUTHORIZATION"] = auth
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if method == "get":
        answer = client.get(f"/api/v1/promotions/groups{path}", **headers)
    else:
        answer = client.post(
            f"/api/v1/promotions/groups{path}",
            json.dumps(body or {}),
            content_type="application/json",
            **headers,
        )
    body = answer.json()
    # A refusal's body is {"error": {"code", "message", "field"}}: hand back the error.
    return answer.status_code, body.get("error", body) if answer.status_code >= 400 else body


@pytest.fixture
def opened(act: Callable[..., Any], pay: Callable[..., Order]) -> Callable[[GroupDeal], Group]:
    def _opened(deal: GroupDeal) -> Group:
        leader, address = make_buyer()
        ref = act(
            group_services.group_open, buyer_id=leader.pk, deal_id=deal.pk, address_id=address
        )
        pay(Order.objects.get(number=ref.order_number))
        return Group.objects.get(pk=ref.group_id)

    return _opened


def test_deals_and_a_deal_with_its_open_groups(opened: Callable[[GroupDeal], Group]) -> None:
    deal = group_deal(group_price=5900, leader_price=4900)
    group = opened(deal)
    status, body = api("get", "/deals")
    assert status == 200
    (item,) = body["items"]
    assert (item["deal_id"], item["group_price"], item["leader_price"]) == (deal.pk, 5900, 4900)
    assert item["groups_open"] == 1
    status, body = api("get", f"/deals/{deal.pk}")
    assert status == 200
    (shown,) = body["open_groups"]
    assert (shown["group_id"], shown["seats_left"], shown["may_join"]) == (group.pk, 2, True)
    assert shown["share_url"].endswith(f"/promotions/groups/{group.pk}/")
    assert shown["viewer_order_number"] == ""  # nobody else's order numbers
    assert api("get", "/deals/999999")[0] == 404


def test_open_and_join_over_http(opened: Callable[[GroupDeal], Group]) -> None:
    deal = group_deal(size=2)
    leader, address = make_buyer()
    status, body = api(
        "post", f"/deals/{deal.pk}/open", bearer(leader), {"address_id": address}, key="o1"
    )
    assert status == 201
    assert body["role"] == "leader"
    assert "/payments/test-gateway/pay/" in body["payment_url"]
    again = api("post", f"/deals/{deal.pk}/open", bearer(leader), {"address_id": address}, key="o1")
    assert again[1]["order_number"] == body["order_number"]  # a double click is one order
    # Pending until paid: a friend cannot join yet and does not even see it.
    friend, friend_address = make_buyer()
    status, refusal = api(
        "post", f"/{body['group_id']}/join", bearer(friend), {"address_id": friend_address}
    )
    assert (status, refusal["code"], refusal["field"]) == (409, "group_not_open", "group_id")
    assert api("get", f"/{body['group_id']}")[0] == 404

    group = opened(deal)
    status, joined = api(
        "post", f"/{group.pk}/join", bearer(friend), {"address_id": friend_address}
    )
    assert status == 201
    assert (joined["role"], joined["unit_price"]) == ("member", deal.group_price)
    status, full = api("post", f"/{group.pk}/join", bearer(leader), {"address_id": address})
    assert (status, full["code"]) == (409, "group_full")
    status, mine = api("get", "/mine", bearer(friend))
    assert status == 200
    assert [g["group_id"] for g in mine["items"]] == [group.pk]
    assert mine["items"][0]["viewer_order_number"] == joined["order_number"]


def test_bad_input_is_a_clear_4xx(opened: Callable[[GroupDeal], Group]) -> None:
    deal = group_deal(max_quantity=1)
    user, address = make_buyer()
    status, body = api(
        "post", f"/deals/{deal.pk}/open", bearer(user), {"address_id": address, "quantity": 2}
    )
    assert (status, body["code"], body["field"]) == (400, "quantity_limit", "quantity")
    status, body = api("post", f"/deals/{deal.pk}/open", bearer(user), {"quantity": "x"})
    assert status in (400, 422)
    assert api("post", f"/deals/{deal.pk}/open", None, {"address_id": address})[0] == 401
    status, body = api("post", "/424242/join", bearer(user), {"address_id": address})
    assert (status, body["code"]) == (404, "group_not_found")
    assert Order.objects.filter(buyer=user).count() == 0


def test_the_group_page_shows_seats_and_joins_with_htmx(
    opened: Callable[[GroupDeal], Group],
) -> None:
    deal = group_deal(size=3)
    group = opened(deal)
    visitor = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = visitor.get(f"/promotions/groups/{group.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="group-countdown"' in html
    assert "2 seats left" in html
    assert f"/promotions/groups/{group.pk}/poster.png" in html
    answer = visitor.post(f"/promotions/groups/{group.pk}/join/", HTTP_HX_REQUEST="true")
    assert answer.status_code == 204
    assert "/accounts/login/" in answer["HX-Redirect"]

    user, _address = make_buyer()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    answer = client.post(
        f"/promotions/groups/{group.pk}/join/", {"token": "t1"}, HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 204
    assert "/payments/test-gateway/pay/" in answer["HX-Redirect"]
    # Joining again explains itself in place.
    answer = client.post(
        f"/promotions/groups/{group.pk}/join/", {"token": "t2"}, HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 409
    assert "already in this group" in answer.content.decode()
    poster = visitor.get(f"/promotions/groups/{group.pk}/poster.png")
    assert poster.status_code == 200
    assert poster["Content-Type"] == "image/png"
    assert poster.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_product_page_block_lists_open_groups_to_join(
    opened: Callable[[GroupDeal], Group],
) -> None:
    deal = group_deal(size=3)
    group = opened(deal)
    product_id = deal.sku.product_id
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/promotions/on-product/{product_id}/")
    text = html.content.decode()
    assert html.status_code == 200
    assert 'data-testid="product-group-deal"' in text
    assert f"/promotions/groups/{group.pk}/join/" in text
    assert 'data-testid="group-countdown"' in text
    product_page = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/p/{product_id}/")
    assert f"/promotions/on-product/{product_id}/" in product_page.content.decode()


def test_the_deal_page_starts_a_group() -> None:
    deal = group_deal()
    user, _address = make_buyer()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    page = client.get(f"/promotions/groups/deals/{deal.pk}/")
    assert page.status_code == 200
    assert 'data-testid="no-open-groups"' in page.content.decode()
    answer = client.post(f"/promotions/groups/deals/{deal.pk}/open/", {"token": "x"})
    assert answer.status_code == 302
    assert "/payments/test-gateway/pay/" in answer["Location"]
    assert client.get("/promotions/groups/mine/").status_code == 200
    assert client.get("/promotions/groups/deals/999999/").status_code == 404


def test_back_office_validates_deals_and_shows_counters(
    opened: Callable[[GroupDeal], Group],
) -> None:
    deal = group_deal(price=9900)
    opened(deal)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_admin())
    listing = client.get("/admin/promotions/groupdeal/")
    assert listing.status_code == 200
    detail = client.get(f"/admin/promotions/groupdeal/{deal.pk}/change/")
    assert "1 open" in detail.content.decode()
    answer = client.post(
        "/admin/promotions/groupdeal/add/",
        {
            "name": "bad",
            "sku": deal.sku_id,
            "group_price": "120",
            "leader_price": "10",
            "group_size": 1,
            "time_limit_minutes": 60,
            "max_quantity": 1,
            "starts_at_0": "2026-12-02",
            "starts_at_1": "10:00:00",
            "ends_at_0": "2026-12-01",
            "ends_at_1": "10:00:00",
            "is_active": "on",
        },
    )
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "must be below the SKU" in text
    assert "The end must be after the start." in text
    assert "A group has 2 to 50 members." in text
    answer = client.post(
        "/admin/promotions/groupdeal/add/",
        {
            "name": "bad",
            "sku": deal.sku_id,
            "group_price": "50",
            "leader_price": "60",
            "group_size": 3,
            "time_limit_minutes": 60,
            "max_quantity": 1,
            "starts_at_0": "2026-12-01",
            "starts_at_1": "10:00:00",
            "ends_at_0": "2026-12-02",
            "ends_at_1": "10:00:00",
        },
    )
    assert "leader price cannot be above" in answer.content.decode()
    assert GroupDeal.objects.count() == 1
    assert client.get("/admin/promotions/group/").status_code == 200


def test_the_product_page_block_links_the_products_bargain_deals() -> None:
    deal = bargain_deal()
    product_id = deal.sku.product_id
    text = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/promotions/on-product/{product_id}/")
    html = text.content.decode()
    assert 'data-testid="bargain-deal"' in html
    assert f"/promotions/bargains/{deal.pk}/" in html
    other = group_deal()
    html = Client().get(f"/promotions/on-product/{other.sku.product_id}/").content.decode()
    assert 'data-testid="bargain-deal"' not in html
