"""Fixtures of the levels tests: four levels (member 0, silver 500, gold 2000, platinum 6000)
with their benefits, the default badge rules, and a clock the test sets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from circlemart.core import clock
from circlemart.growth.levels.models import BadgeRule, Level
from circlemart.growth.levels.services import DEFAULT_BADGES
from circlemart.promotions.coupons.models import CouponTemplate
from tests.promotions.conftest import template

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*parts: int) -> datetime:
    """A moment given as a Shanghai wall-clock time."""
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """at(local(2025, 5, 3, 12)) → clock.now() answers that moment from then on."""

    def set_now(moment: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    return set_now


@pytest.fixture
def birthday_template() -> CouponTemplate:
    return template(
        name="生日礼券",
        name_en="Birthday gift",
        is_public=False,
        amount=2000,
        valid_until=None,
        valid_days=30,
    )


@pytest.fixture
def levels(birthday_template: CouponTemplate) -> dict[str, Level]:
    rows = [
        Level(code="member", name="普通会员", name_en="Member", threshold=0),
        Level(
            code="silver",
            name="白银会员",
            name_en="Silver",
            threshold=500,
            member_price_level="silver",
            points_multiplier_percent=110,
        ),
        Level(
            code="gold",
            name="黄金会员",
            name_en="Gold",
            threshold=2000,
            member_price_level="gold",
            has_free_shipping=True,
            points_multiplier_percent=125,
            birthday_coupon_template=birthday_template,
        ),
        Level(
            code="platinum",
            name="铂金会员",
            name_en="Platinum",
            threshold=6000,
            member_price_level="platinum",
            has_free_shipping=True,
            points_multiplier_percent=150,
            birthday_coupon_template=birthday_template,
        ),
    ]
    for row in rows:
        row.save()
    return {row.code: row for row in rows}


@pytest.fixture
def badges() -> dict[str, BadgeRule]:
    rules = {}
    for position, row in enumerate(DEFAULT_BADGES):
        code, name, name_en, description, description_en, icon, counter, threshold = row
        rules[code] = BadgeRule.objects.create(
            code=code,
            name=name,
            name_en=name_en,
            description=description,
            description_en=description_en,
            icon=icon,
            counter=counter,
            threshold=threshold,
            position=position,
        )
    return rules
