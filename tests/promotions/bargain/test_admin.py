"""Back office for bargains: deals validate their terms against the shop (field by field),
the list shows live counters, and bargains with their cuts are read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from circlemart.promotions.bargain import services as bargain_services
from circlemart.promotions.bargain.models import Bargain, BargainDeal
from tests.accounts.factories import UserFactory
from tests.promotions.bargain.test_services import bargain_deal
from tests.promotions.conftest import make_buyer, make_sku

pytestmark = pytest.mark.django_db
ADD = "/admin/promotions/bargaindeal/add/"


@pytest.fixture
def staff() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def form(sku_id: int, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "砍到 9.9",
        "sku": str(sku_id),
        "floor_price": "9.90",
        "helpers_needed": "10",
        "duration_hours": "24",
        "max_starts_per_user": "1",
        "starts_at_0": "2026-12-01",
        "starts_at_1": "10:00:00",
        "ends_at_0": "2026-12-08",
        "ends_at_1": "10:00:00",
        "is_active": "on",
    }
    values.update(fields)
    return {key: value for key, value in values.items() if value is not None}


def errors_of(response: Any) -> dict[str, list[str]]:
    form_errors = response.context["adminform"].form.errors
    return {field: list(messages) for field, messages in form_errors.items()}


def test_a_valid_deal_is_saved(staff: Client) -> None:
    sku = make_sku(price=9900)
    response = staff.post(ADD, form(sku))
    assert response.status_code == 302, errors_of(response)
    deal = BargainDeal.objects.get()
    assert (deal.floor_price, deal.helpers_needed, deal.duration_hours, deal.sku_id) == (
        990,
        10,
        24,
        sku,
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"ends_at_0": "2026-12-01", "ends_at_1": "09:00:00"},
            "ends_at",
            "The end must be after the start.",
        ),
        (
            {"floor_price": "99"},
            "floor_price",
            "The floor price must be below the SKU's price (CN¥99.00).",
        ),
        (
            {"floor_price": "98.95"},
            "floor_price",
            "The floor price must be at least CN¥0.10 below the SKU's price (CN¥99.00): each "
            "of the 10 helpers cuts at least ¥0.01.",
        ),
        ({"floor_price": "0"}, "floor_price", "The floor price must be positive."),
        ({"helpers_needed": "0"}, "helpers_needed", "From 1 to 100 helpers."),
        ({"helpers_needed": "101"}, "helpers_needed", "From 1 to 100 helpers."),
        ({"duration_hours": "0"}, "duration_hours", "From 1 to 720 hours."),
        ({"max_starts_per_user": "0"}, "max_starts_per_user", "At least 1."),
    ],
)
def test_bad_terms_are_refused_with_the_field_named(
    staff: Client, fields: dict[str, Any], field: str, message: str
) -> None:
    response = staff.post(ADD, form(make_sku(price=9900), **fields))
    assert response.status_code == 200
    assert errors_of(response)[field] == [message]
    assert BargainDeal.objects.count() == 0


def test_the_list_and_the_page_show_live_counters(staff: Client) -> None:
    deal = bargain_deal(helpers_needed=1, max_starts_per_user=1)
    buyer, address = make_buyer()
    bought = bargain_services.bargain_start(deal_id=deal.pk, starter_id=buyer.pk).bargain_id
    bargain_services.bargain_help(bargain_id=bought, helper_id=UserFactory().pk)
    bargain_services.bargain_buy(buyer_id=buyer.pk, bargain_id=bought, address_id=address)
    bargain_services.bargain_start(deal_id=deal.pk, starter_id=UserFactory().pk)
    listing = staff.get("/admin/promotions/bargaindeal/")
    assert listing.status_code == 200
    row = listing.context["cl"].result_list[0]
    assert (row.started_count, row.completed_count, row.purchased_count) == (2, 1, 1)
    page = staff.get(f"/admin/promotions/bargaindeal/{deal.pk}/change/")
    assert page.status_code == 200
    assert (
        "2 started · 1 open · 1 at the floor · 1 purchased (0 paid) · 0 expired"
        in page.content.decode()
    )


def test_bargains_are_read_only(staff: Client) -> None:
    deal = bargain_deal()
    bargain_id = bargain_services.bargain_start(
        deal_id=deal.pk, starter_id=UserFactory().pk
    ).bargain_id
    bargain_services.bargain_help(bargain_id=bargain_id, helper_id=UserFactory().pk)
    assert staff.get("/admin/promotions/bargain/").status_code == 200
    page = staff.get(f"/admin/promotions/bargain/{bargain_id}/change/")
    assert page.status_code == 200
    assert staff.get("/admin/promotions/bargain/add/").status_code == 403
    before = Bargain.objects.values_list("current_price", flat=True).get()
    answer = staff.post(f"/admin/promotions/bargain/{bargain_id}/change/", {"current_price": "1"})
    assert answer.status_code == 403
    assert Bargain.objects.values_list("current_price", flat=True).get() == before
