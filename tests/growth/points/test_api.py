"""The points API through HTTP: my balance with pending and expiring points, my history with
a cursor, and points at checkout (quote and order) with tampered bodies refused or clamped."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client

from circlemart.core import clock
from circlemart.growth.points import selectors
from circlemart.growth.points.models import PointsEntry
from circlemart.orders.models import Order
from tests.accounts.factories import UserFactory
from tests.growth.points.conftest import give
from tests.orders.conftest import make_buyer, make_sku
from tests.orders.test_api import bearer, post

pytestmark = pytest.mark.django_db


def test_my_points_say_balance_pending_expiring_and_owed(api_client: Client) -> None:
    user = UserFactory()
    soon = clock.now() + timedelta(days=3)
    give(user.pk, 120, "a", expires_at=soon)
    give(user.pk, 30, "b", expires_at=None)
    response = api_client.get("/api/v1/growth/points", **bearer(user))
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "balance": 150,
        "pending": 0,
        "pending_orders": 0,
        "expiring_soon": 120,
        "next_expiry": body["next_expiry"],
        "owed": 0,
    }
    # JSON carries milliseconds
    assert datetime.fromisoformat(body["next_expiry"]) == soon.replace(
        microsecond=soon.microsecond // 1000 * 1000
    )


def test_history_pages_with_a_cursor_and_shows_only_my_own(api_client: Client) -> None:
    user, other = UserFactory(), UserFactory()
    for index in range(5):
        give(user.pk, 10 + index, f"u{index}")
    give(other.pk, 999, "other")
    first = api_client.get("/api/v1/growth/points/history?limit=3", **bearer(user)).json()
    assert [item["amount"] for item in first["items"]] == [14, 13, 12]
    assert first["items"][0]["label"] == "Campaign reward"
    assert first["items"][0]["kind"] == "earn"
    second = api_client.get(
        f"/api/v1/growth/points/history?limit=3&cursor={first['next_cursor']}", **bearer(user)
    ).json()
    assert [item["amount"] for item in second["items"]] == [11, 10]
    assert second["next_cursor"] is None


def test_points_endpoints_need_a_signed_in_user_and_a_sound_cursor(api_client: Client) -> None:
    assert api_client.get("/api/v1/growth/points").status_code == 401
    assert api_client.get("/api/v1/growth/points/history").status_code == 401
    user = UserFactory()
    bad = api_client.get("/api/v1/growth/points/history?cursor=forged", **bearer(user))
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "cursor"


def _checkout_body(sku: int, address: int, points: object) -> dict[str, object]:
    return {"items": [{"sku_id": sku, "quantity": 1}], "address_id": address, "points": points}


def test_the_quote_and_the_order_take_points_the_server_decides(api_client: Client) -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=5000)
    give(buyer.pk, 900, "k")
    auth = bearer(buyer)
    quote = post(api_client, "/api/v1/orders/quote", _checkout_body(sku, address, 5000), **auth)
    assert quote.status_code == 200
    assert [
        (a["rule"], a["label"], a["amount"])
        for a in quote.json()["adjustments"]
        if a["rule"].startswith("points:")
    ] == [("points:900", "Points: 900 used", 900)]
    placed = post(
        api_client,
        "/api/v1/orders",
        _checkout_body(sku, address, 5000),
        HTTP_IDEMPOTENCY_KEY="k-1",
        **auth,
    )
    assert placed.status_code == 201
    body = placed.json()
    assert body["total"] == 5000 - 900 + 800
    assert "points:900" in [a["rule"] for a in body["adjustments"]]
    assert selectors.points_balance(buyer.pk) == 0


@pytest.mark.parametrize("points", [-1, "100", 1.5, True, None, [1]])
def test_tampered_points_in_the_body_are_a_400_naming_points(
    api_client: Client, points: object
) -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=5000)
    give(buyer.pk, 900, "k")
    response = post(
        api_client,
        "/api/v1/orders",
        _checkout_body(sku, address, points),
        HTTP_IDEMPOTENCY_KEY="k-2",
        **bearer(buyer),
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid", "points")
    assert not Order.objects.exists()
    assert PointsEntry.objects.count() == 1
    assert selectors.points_balance(buyer.pk) == 900
