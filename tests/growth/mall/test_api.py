"""Points mall API over HTTP: items, redeeming with an Idempotency-Key, refusals naming their
field with nothing written, my redemptions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from circlemart.growth.mall.contracts import ItemKind
from circlemart.growth.mall.models import MallRedemption
from circlemart.growth.points import selectors as points_selectors
from circlemart.promotions.coupons.models import UserCoupon
from tests.accounts.factories import AddressFactory, UserFactory
from tests.growth.games.test_api import bearer
from tests.growth.mall.test_services import make_item, rich_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/growth/mall"


def post(client: Client, path: str, body: object, **extra: str) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def test_items_show_price_stock_and_what_i_redeemed(api_client: Client) -> None:
    user = rich_user()
    coupon = make_item(per_user_limit=2, name_en="¥30 coupon")
    make_item(kind=ItemKind.PRODUCT, stock=4, points_price=500)
    post(api_client, f"{BASE}/items/{coupon.pk}/redeem", {}, **bearer(user))
    items = api_client.get(f"{BASE}/items", **bearer(user)).json()["items"]
    assert [
        (
            i["name"],
            i["kind"],
            i["points_price"],
            i["left"],
            i["redeemed_by_viewer"],
            i["may_redeem"],
        )
        for i in items
    ] == [("¥30 coupon", "coupon", 100, None, 1, True), ("Tote bag", "product", 500, 4, 0, True)]


def test_redeeming_a_coupon_replays_on_retry(api_client: Client) -> None:
    user = rich_user()
    item = make_item()
    auth = bearer(user)
    first = post(
        api_client, f"{BASE}/items/{item.pk}/redeem", {}, HTTP_IDEMPOTENCY_KEY="r-1", **auth
    )
    assert first.status_code == 201
    body = first.json()
    owned = UserCoupon.objects.get(owner=user)
    assert (body["status"], body["points"], body["user_coupon_id"]) == ("issued", 100, owned.pk)
    again = post(
        api_client, f"{BASE}/items/{item.pk}/redeem", {}, HTTP_IDEMPOTENCY_KEY="r-1", **auth
    )
    assert (again.status_code, again.json()["id"]) == (201, body["id"])
    assert points_selectors.points_balance(user.pk) == 900
    mine = api_client.get(f"{BASE}/me/redemptions", **auth).json()
    assert [r["id"] for r in mine["items"]] == [body["id"]]
    assert api_client.get(f"{BASE}/me/redemptions", **bearer(UserFactory())).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({}, 400, "address_required", "address_id"),
        ({"address_id": 999_999}, 404, "address_not_found", "address_id"),
        ({"address_id": "1"}, 400, "invalid", None),
        ([], 400, "invalid", None),
    ],
)
def test_bad_redemptions_name_their_field_and_write_nothing(
    api_client: Client, body: object, status: int, code: str, field: str | None
) -> None:
    user = rich_user()
    item = make_item(kind=ItemKind.PRODUCT)
    answer = post(api_client, f"{BASE}/items/{item.pk}/redeem", body, **bearer(user))
    assert answer.status_code == status
    error = answer.json()["error"]
    if field is not None:
        assert (error["code"], error["field"]) == (code, field)
    assert not MallRedemption.objects.exists()
    assert points_selectors.points_balance(user.pk) == 1000


def test_sold_out_short_balance_and_unknown_items_are_refused(api_client: Client) -> None:
    poor, rich = UserFactory(), rich_user()
    item = make_item(kind=ItemKind.PRODUCT, stock=1)
    address = AddressFactory(user=rich)
    short = post(
        api_client,
        f"{BASE}/items/{item.pk}/redeem",
        {"address_id": AddressFactory(user=poor).pk},
        **bearer(poor),
    )
    assert (short.status_code, short.json()["error"]["code"]) == (409, "insufficient_points")
    ok = post(
        api_client, f"{BASE}/items/{item.pk}/redeem", {"address_id": address.pk}, **bearer(rich)
    )
    assert (ok.status_code, ok.json()["status"]) == (201, "pending")
    other = rich_user()
    gone = post(
        api_client,
        f"{BASE}/items/{item.pk}/redeem",
        {"address_id": AddressFactory(user=other).pk},
        **bearer(other),
    )
    assert gone.status_code == 409
    assert gone.json()["error"] == {
        "code": "mall_sold_out",
        "message": "Sold out.",
        "field": "item_id",
    }
    unknown = post(api_client, f"{BASE}/items/999999/redeem", {}, **bearer(rich))
    assert (unknown.status_code, unknown.json()["error"]["field"]) == (404, "item_id")
    assert post(api_client, f"{BASE}/items/{item.pk}/redeem", {}).status_code == 401
    assert MallRedemption.objects.count() == 1
