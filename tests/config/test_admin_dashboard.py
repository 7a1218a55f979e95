"""The merchant home at /admin/: today's takings, what waits, low stock, the 7-day chart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from circlemart.analytics.models import TrackedSession
from circlemart.orders import aftersales
from circlemart.orders.models import Order
from tests.orders.conftest import make_buyer, make_sku, place
from tests.orders.test_aftersales import make_staff

pytestmark = pytest.mark.django_db


def paid(order: Order, *, days_ago: int = 0) -> Order:
    when = timezone.now() - timedelta(days=days_ago)
    Order.objects.filter(pk=order.pk).update(
        status="paid", paid_amount=order.total, paid_at=when, placed_at=when
    )
    order.refresh_from_db()
    return order


def test_the_dashboard_counts_a_known_day(settings):
    settings.PAYMENTS_TEST_MODE = True
    buyer, address = make_buyer()
    sku = make_sku(price=5000, stock=4)  # 4 on hand: low stock (≤ 5)
    today = paid(place(buyer, address, sku, quantity=1))
    earlier = paid(place(buyer, address, make_sku(price=12000, stock=50), quantity=1), days_ago=2)
    place(buyer, address, make_sku(price=3000, stock=50), quantity=1)  # placed, unpaid
    aftersales.aftersales_request(
        buyer_id=buyer.pk, number=today.number, kind="refund_only", reason="damaged"
    )
    now = timezone.now()
    for visitor in ("a", "b", "b"):
        TrackedSession.objects.create(
            session_id=f"s-{visitor}-{TrackedSession.objects.count()}",
            anonymous_id=visitor,
            started_at=now,
            last_seen_at=now,
            source="direct",
        )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_staff())
    page = client.get("/admin/")
    assert page.status_code == 200
    tiles = {tile.key: tile for tile in page.context["dashboard_tiles"]}
    # ¥50 + shipping paid today; the other order was paid 2 days ago
    assert tiles["gmv"].value == f"CN¥{today.total / 100:.2f}"
    assert tiles["orders"].value == "2"  # placed today: the paid one and the unpaid one
    assert tiles["paid"].value == "1"
    assert tiles["visitors"].value == "2"
    assert tiles["to-ship"].value == "2"
    assert tiles["to-ship"].link == "/admin/orders/order/?status=paid"
    assert tiles["aftersales"].value == "1"
    assert tiles["low-stock"].value == "1"
    week = page.context["dashboard_week"]
    assert len(week) == 7
    assert [row["orders"] for row in week][-3:] == [1, 0, 2]
    figure = page.context["dashboard_figures"]["week"]
    assert figure["data"][0]["y"][-3:] == [earlier.total / 100, 0.0, today.total / 100]
    html = page.content.decode()
    assert 'data-testid="merchant-dashboard"' in html
    assert "analytics/vendor/plotly" in html
    assert 'id="dashboard-figures"' in html


def test_shoppers_do_not_get_the_dashboard():
    buyer, _address = make_buyer()
    client = Client()
    client.force_login(buyer)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
