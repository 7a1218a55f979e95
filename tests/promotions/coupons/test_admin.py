"""Back office: campaigns validate their terms, show live counters, and generate codes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from circlemart.core import clock
from circlemart.promotions.coupons.models import CouponCode, CouponTemplate, ThresholdDiscount
from tests.accounts.factories import UserFactory
from tests.promotions.conftest import claimed, template

pytestmark = pytest.mark.django_db
ADD = "/admin/promotions/coupontemplate/add/"


@pytest.fixture
def staff() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def form(**fields: Any) -> dict[str, Any]:
    now = clock.now()
    values: dict[str, Any] = {
        "name": "新人券",
        "kind": "fixed",
        "amount": "10",
        "min_spend": "0",
        "currency": "CNY",
        "scope": "all",
        "stacking_group": "platform",
        "is_active": "on",
        "is_public": "on",
        "valid_until_0": (now + timedelta(days=3)).strftime("%Y-%m-%d"),
        "valid_until_1": "12:00:00",
        "per_user_limit": "1",
        "codes-TOTAL_FORMS": "0",
        "codes-INITIAL_FORMS": "0",
        "codes-MIN_NUM_FORMS": "0",
        "codes-MAX_NUM_FORMS": "200",
    }
    values.update(fields)
    return {key: value for key, value in values.items() if value is not None}


def errors_of(response: Any) -> dict[str, list[str]]:
    form_errors = response.context["adminform"].form.errors
    return {field: list(messages) for field, messages in form_errors.items()}


def test_a_valid_campaign_is_saved(staff: Client) -> None:
    response = staff.post(ADD, form())
    assert response.status_code == 302, errors_of(response)
    assert CouponTemplate.objects.get().amount == 1000


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"kind": "percent", "amount": "0", "percent": "150"},
            "percent",
            "Percent off must be between 1 and 99.",
        ),
        ({"kind": "percent", "amount": "0"}, "percent", "Percent off must be between 1 and 99."),
        ({"amount": "0"}, "amount", "The amount off must be more than zero."),
        (
            {"kind": "threshold", "amount": "30", "min_spend": "20"},
            "min_spend",
            "The minimum spend must be at least the amount off.",
        ),
        (
            {"valid_from_0": "2099-01-01", "valid_from_1": "00:00:00"},
            "valid_until",
            "The end must be after the start.",
        ),
        (
            {"valid_until_0": None, "valid_until_1": None},
            "valid_until",
            "Set “valid until” or the days after claiming.",
        ),
        ({"scope": "categories"}, "categories", "Choose the categories this applies to."),
        ({"per_user_limit": "0"}, "per_user_limit", "At least one per user."),
    ],
)
def test_bad_terms_are_refused_with_the_field_named(
    staff: Client, fields: dict[str, Any], field: str, message: str
) -> None:
    response = staff.post(ADD, form(**fields))
    assert response.status_code == 200
    assert message in errors_of(response)[field]
    assert CouponTemplate.objects.count() == 0


def test_the_list_shows_live_counters_and_codes_are_generated(staff: Client) -> None:
    coupon_template = template(total_quantity=5, max_uses=3)
    claimed(UserFactory().pk, coupon_template)
    page = staff.get("/admin/promotions/coupontemplate/")
    assert page.status_code == 200
    assert "1 / 5" in page.content.decode()
    assert "0 / 3" in page.content.decode()
    staff.post(
        "/admin/promotions/coupontemplate/",
        {"action": "generate_codes", "_selected_action": [coupon_template.pk]},
    )
    assert CouponCode.objects.filter(template=coupon_template, max_redemptions=1).count() == 100


def test_threshold_discounts_validate_their_reward(staff: Client) -> None:
    now = clock.now()
    response = staff.post(
        "/admin/promotions/thresholddiscount/add/",
        {
            "name": "满减",
            "currency": "CNY",
            "min_spend": "200",
            "min_quantity": "0",
            "amount_off": "30",
            "percent_off": "10",
            "scope": "all",
            "priority": "100",
            "starts_at_0": now.strftime("%Y-%m-%d"),
            "starts_at_1": "00:00:00",
            "ends_at_0": (now + timedelta(days=2)).strftime("%Y-%m-%d"),
            "ends_at_1": "00:00:00",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "Set either an amount off or a percent off." in errors_of(response)["amount_off"]
    assert ThresholdDiscount.objects.count() == 0
    for page in ("memberprice", "memberlevel", "usercoupon", "couponuse", "thresholddiscount"):
        assert staff.get(f"/admin/promotions/{page}/").status_code == 200
