"""Levels API over HTTP: my level (value, progress, benefits, badges, history), the levels,
a member's public badges, and setting the birthday once (bad input → 4xx naming the field,
nothing written)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from circlemart.growth.levels import services
from circlemart.growth.levels.contracts import BadgeCounter
from circlemart.growth.levels.models import BadgeRule, GrowthAccount, Level
from tests.accounts.factories import UserFactory
from tests.growth.levels.conftest import local

pytestmark = pytest.mark.django_db
BASE = "/api/v1/growth/level"


def bearer(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user).access_token}"}


def post(client: Client, path: str, body: object, **extra: str) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def test_me_shows_level_progress_benefits_badges_and_history(
    api_client: Client,
    levels: dict[str, Level],
    badges: dict[str, BadgeRule],
    at: Callable[[datetime], None],
) -> None:
    at(local(2025, 5, 3, 12))
    user = UserFactory()
    services.growth_value_for_order(buyer_id=user.pk, order_number="A1", kept_amount=125_000)
    services.badge_progress_step(
        user_id=user.pk, counter=BadgeCounter.ORDERS_PAID, idempotency_key="A1"
    )
    answer = api_client.get(f"{BASE}/me", **bearer(user))
    assert answer.status_code == 200
    body = answer.json()
    assert (body["level"]["code"], body["growth_value"], body["lifetime_value"]) == (
        "silver",
        1250,
        1250,
    )
    assert (body["next_level"]["code"], body["to_next"], body["progress_percent"]) == (
        "gold",
        750,
        50,  # (1250 − 500) of (2000 − 500)
    )
    assert body["level"] == {
        "code": "silver",
        "name": "白银会员",
        "name_en": "Silver",
        "threshold": 500,
        "member_price_level": "silver",
        "has_free_shipping": False,
        "points_multiplier_percent": 110,
        "has_birthday_coupon": False,
    }
    assert [level["code"] for level in body["levels"]] == ["member", "silver", "gold", "platinum"]
    assert [(b["code"], b["is_earned"]) for b in body["badges"][:2]] == [
        ("first-order", True),
        ("shopper-10", False),
    ]
    assert body["badges"][1]["progress"] == 1
    assert body["history"] == [
        {
            "amount": 1250,
            "reason": "order_kept",
            "reference": "A1",
            "created_at": "2025-05-03T04:00:00Z",
        }
    ]
    assert (body["grace_until"], body["birthday"], body["window_days"]) == (None, None, 365)


def test_a_newcomer_holds_the_base_level(api_client: Client, levels: dict[str, Level]) -> None:
    body = api_client.get(f"{BASE}/me", **bearer(UserFactory())).json()
    assert (body["level"]["code"], body["growth_value"], body["next_level"]["code"]) == (
        "member",
        0,
        "silver",
    )
    assert (body["to_next"], body["progress_percent"], body["history"]) == (500, 0, [])


def test_me_needs_a_signed_in_caller(api_client: Client) -> None:
    assert api_client.get(f"{BASE}/me").status_code == 401


def test_anyone_reads_the_levels(api_client: Client, levels: dict[str, Level]) -> None:
    answer = api_client.get(f"{BASE}/levels")
    assert answer.status_code == 200
    assert [(row["code"], row["has_birthday_coupon"]) for row in answer.json()["items"]] == [
        ("member", False),
        ("silver", False),
        ("gold", True),
        ("platinum", True),
    ]


def test_a_members_badges_show_only_public_earned_ones(
    api_client: Client, badges: dict[str, BadgeRule]
) -> None:
    user = UserFactory()
    BadgeRule.objects.filter(code="first-note").update(is_public=False)
    services.badge_progress_step(
        user_id=user.pk, counter=BadgeCounter.ORDERS_PAID, idempotency_key="A1"
    )
    services.badge_progress_step(user_id=user.pk, counter=BadgeCounter.NOTES, idempotency_key="n")
    answer = api_client.get(f"{BASE}/users/{user.pk}/badges")
    assert answer.status_code == 200
    [badge] = answer.json()["items"]
    assert (badge["code"], badge["icon"], badge["name_en"], badge["is_earned"]) == (
        "first-order",
        "🛍️",
        "First order",
        True,
    )


def test_badges_of_an_unknown_or_inactive_user_are_404(api_client: Client) -> None:
    gone = UserFactory(is_active=False)
    for user_id in (gone.pk, 999_999):
        answer = api_client.get(f"{BASE}/users/{user_id}/badges")
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "user_not_found"
        assert answer.json()["error"]["field"] == "user_id"


def test_birthday_is_set_once(
    api_client: Client, levels: dict[str, Level], at: Callable[[datetime], None]
) -> None:
    at(local(2025, 5, 3, 12))
    user = UserFactory()
    answer = post(api_client, f"{BASE}/birthday", {"birthday": "1990-05-03"}, **bearer(user))
    assert (answer.status_code, answer.json()) == (200, {"birthday": "1990-05-03"})
    again = post(api_client, f"{BASE}/birthday", {"birthday": "1991-01-01"}, **bearer(user))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "birthday_already_set"
    assert again.json()["error"]["field"] == "birthday"
    assert str(GrowthAccount.objects.get(user=user).birthday) == "1990-05-03"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"birthday": "2025-05-04"}, 400, "invalid_birthday"),
        ({"birthday": "1800-01-01"}, 400, "invalid_birthday"),
        ({"birthday": "1990-02-30"}, 400, None),
        ({"birthday": "tomorrow"}, 400, None),
        ({}, 400, None),
    ],
)
def test_a_bad_birthday_is_refused_naming_the_field(
    api_client: Client,
    levels: dict[str, Level],
    at: Callable[[datetime], None],
    body: dict[str, str],
    status: int,
    code: str | None,
) -> None:
    at(local(2025, 5, 3, 12))
    user = UserFactory()
    answer = post(api_client, f"{BASE}/birthday", body, **bearer(user))
    assert answer.status_code == status
    error = answer.json()["error"]
    assert error["field"] == "birthday"
    if code:
        assert error["code"] == code
    assert not GrowthAccount.objects.exists()
