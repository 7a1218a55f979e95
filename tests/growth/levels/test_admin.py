"""Back office: operators edit levels (validated) and badge rules, backfill a rule, and read
members' levels, entries, changes and awards without being able to type them in."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from circlemart.accounts.contracts import Role
from circlemart.accounts.services import role_grant
from circlemart.growth.levels import services
from circlemart.growth.levels.contracts import BadgeCounter
from circlemart.growth.levels.models import BadgeAward, BadgeRule, Level
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator() -> Client:
    admin = UserFactory(is_superuser=True, is_staff=True)
    admin.groups.add(Group.objects.get(name=Role.ADMIN.value))
    user = UserFactory()
    role_grant(actor=admin, user=user, role=Role.OPERATOR)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


LEVEL = {
    "code": "vip",
    "name": "超级会员",
    "name_en": "VIP",
    "threshold": "9000",
    "member_price_level": "platinum",
    "has_free_shipping": "on",
    "points_multiplier_percent": "200",
    "birthday_coupon_template": "",
}


def test_operators_add_levels_and_bad_ones_are_refused(operator: Client) -> None:
    url = "/admin/growth/level/add/"
    assert operator.get(url).status_code == 200
    assert operator.post(url, LEVEL).status_code == 302
    assert list(Level.objects.values_list("code", "threshold", "points_multiplier_percent")) == [
        ("vip", 9000, 200)
    ]
    too_low = operator.post(url, {**LEVEL, "code": "low", "threshold": "1",
                                  "points_multiplier_percent": "50"})  # fmt: skip
    assert too_low.status_code == 200
    assert "Between 100 and 1000." in too_low.content.decode()
    same = operator.post(url, {**LEVEL, "code": "twin"})
    assert same.status_code == 200
    assert Level.objects.count() == 1
    assert operator.get("/admin/growth/level/").status_code == 200


def test_operators_backfill_a_new_badge_rule(operator: Client, levels: dict[str, Level]) -> None:
    buyer = UserFactory()
    services.badge_progress_step(
        user_id=buyer.pk, counter=BadgeCounter.ORDERS_PAID, idempotency_key="A1"
    )
    rule = BadgeRule.objects.create(
        code="first", name="首单", icon="🛍️", counter=BadgeCounter.ORDERS_PAID, threshold=1
    )
    answer = operator.post(
        "/admin/growth/badgerule/",
        {"action": "award_to_qualified", "_selected_action": [rule.pk]},
    )
    assert answer.status_code == 302
    assert list(BadgeAward.objects.values_list("user_id", "rule_id")) == [(buyer.pk, rule.pk)]


@pytest.mark.parametrize(
    "model", ["growthaccount", "growthvalueentry", "levelchange", "badgeaward"]
)
def test_records_are_read_only(operator: Client, levels: dict[str, Level], model: str) -> None:
    services.growth_value_for_order(
        buyer_id=UserFactory().pk, order_number="A1", kept_amount=60_000
    )
    assert operator.get(f"/admin/growth/{model}/").status_code == 200
    assert operator.get(f"/admin/growth/{model}/add/").status_code == 403


def test_shoppers_see_no_back_office() -> None:
    client = Client()
    client.force_login(UserFactory())
    assert client.get("/admin/growth/level/").status_code == 302
