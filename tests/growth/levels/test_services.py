"""Growth value and levels: up at once, down only in the review after the grace period (the
window and grace boundaries to the second), the daily activity cap, the benefits a level gives
(member prices through promotions, free shipping in the quote, the points multiplier) and the
birthday coupon once a year."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import translation

from circlemart.core.errors import Conflict, ValidationFailed
from circlemart.growth.levels import selectors, services
from circlemart.growth.levels.contracts import GrowthReason
from circlemart.growth.levels.models import GrowthAccount, GrowthValueEntry, Level, LevelChange
from circlemart.growth.models import RewardGrant
from circlemart.notifications.contracts import NotificationKind
from circlemart.notifications.models import Notification
from circlemart.pricing import services as pricing
from circlemart.pricing.contracts import QuoteItem
from circlemart.promotions.coupons import selectors as coupon_selectors
from circlemart.promotions.coupons.models import CouponTemplate, MemberPrice, UserCoupon
from tests.accounts.factories import UserFactory
from tests.growth.levels.conftest import local
from tests.orders.conftest import make_sku

pytestmark = pytest.mark.django_db

Clock = Callable[[datetime], None]


def order(user_id: int, number: str, kept: int) -> int:
    return services.growth_value_for_order(buyer_id=user_id, order_number=number, kept_amount=kept)


def level_of(user_id: int) -> str | None:
    found = GrowthAccount.objects.filter(user_id=user_id).values_list("level__code", flat=True)
    return found.first()


def changes(user_id: int) -> list[tuple[str | None, str | None, str]]:
    rows = LevelChange.objects.filter(user_id=user_id).order_by("id")
    return [
        (
            row.from_level.code if row.from_level else None,
            row.to_level.code if row.to_level else None,
            row.direction,
        )
        for row in rows
    ]


def level_notifications(user_id: int) -> list[str]:
    rows = Notification.objects.filter(
        recipient_id=user_id, kind=NotificationKind.LEVEL_CHANGED
    ).order_by("id")
    return [row.excerpt for row in rows]


# --- Growth value and going up -----------------------------------------------------------------


def test_kept_spend_earns_growth_and_moves_up_at_once(levels: dict[str, Level]) -> None:
    user = UserFactory()
    assert order(user.pk, "A1", kept=50_099) == 500  # whole yuan only
    assert level_of(user.pk) == "silver"
    assert changes(user.pk) == [(None, "silver", "up")]
    assert coupon_selectors.member_level(user.pk) == "silver"
    assert level_notifications(user.pk) == ["白银会员 / Silver"]
    entry = GrowthValueEntry.objects.get(user=user)
    assert (entry.amount, entry.reason, entry.reference) == (500, "order_kept", "A1")


def test_the_same_order_counts_once(levels: dict[str, Level]) -> None:
    user = UserFactory()
    order(user.pk, "A1", kept=30_000)
    assert order(user.pk, "A1", kept=30_000) == 300  # the first entry, not a second
    assert GrowthValueEntry.objects.filter(user=user).count() == 1
    assert GrowthAccount.objects.get(user=user).total == 300


def test_an_order_under_a_yuan_writes_nothing(levels: dict[str, Level]) -> None:
    user = UserFactory()
    assert order(user.pk, "A1", kept=99) == 0
    assert not GrowthValueEntry.objects.exists()
    assert not GrowthAccount.objects.exists()


def test_a_big_order_jumps_levels_in_one_change(levels: dict[str, Level]) -> None:
    user = UserFactory()
    order(user.pk, "A1", kept=700_000)
    assert level_of(user.pk) == "platinum"
    assert changes(user.pk) == [(None, "platinum", "up")]
    assert coupon_selectors.member_level(user.pk) == "platinum"


def test_exactly_the_threshold_reaches_the_level(levels: dict[str, Level]) -> None:
    below, exact = UserFactory(), UserFactory()
    order(below.pk, "B1", kept=199_999)
    order(exact.pk, "E1", kept=200_000)
    assert (level_of(below.pk), level_of(exact.pk)) == ("silver", "gold")


def test_negative_growth_is_refused(levels: dict[str, Level]) -> None:
    user = UserFactory()
    with pytest.raises(ValidationFailed) as refused:
        services.growth_value_add(
            user_id=user.pk, amount=-5, reason=GrowthReason.REVIEW, idempotency_key="k"
        )
    assert (refused.value.code, refused.value.field) == ("invalid_growth_value", "amount")
    assert not GrowthValueEntry.objects.exists()
    assert not GrowthAccount.objects.exists()


def test_activity_is_capped_per_day_in_the_growth_time_zone(
    levels: dict[str, Level], at: Clock, settings: Any
) -> None:
    settings.LEVELS_ACTIVITY_DAILY_CAP = 25
    user = UserFactory()

    def review(key: str) -> int | None:
        entry = services.growth_value_add(
            user_id=user.pk, amount=10, reason=GrowthReason.REVIEW, idempotency_key=key
        )
        return entry.amount if entry else None

    at(local(2025, 5, 3, 0, 0, 0))
    assert [review("r1"), review("r2"), review("r3"), review("r4")] == [10, 10, 5, None]
    order(user.pk, "A1", kept=10_000)  # spend is never capped
    at(local(2025, 5, 3, 23, 59, 59))
    assert review("r5") is None
    at(local(2025, 5, 4, 0, 0, 0))  # a new day in Shanghai
    assert review("r6") == 10
    assert GrowthAccount.objects.get(user=user).total == 10 + 10 + 5 + 100 + 10


# --- Going down: window, grace, review ---------------------------------------------------------


def test_downgrade_waits_for_the_window_and_the_grace_period_to_the_second(
    levels: dict[str, Level], at: Clock, settings: Any
) -> None:
    settings.LEVELS_WINDOW_DAYS, settings.LEVELS_GRACE_DAYS = 365, 30
    user = UserFactory()
    start = local(2025, 1, 10, 12, 0, 0)
    at(start)
    order(user.pk, "A1", kept=200_000)
    assert level_of(user.pk) == "gold"

    at(start + timedelta(days=365) - timedelta(seconds=1))
    assert services.level_review(user_id=user.pk) is None
    account = GrowthAccount.objects.get(user=user)
    assert (account.level.code, account.grace_until) == ("gold", None)

    expired = start + timedelta(days=365)  # the entry is exactly a window old: no longer counts
    at(expired)
    assert services.level_review(user_id=user.pk) is None
    account = GrowthAccount.objects.get(user=user)
    assert (account.level.code, account.grace_until) == ("gold", expired + timedelta(days=30))
    assert selectors.my_level(user.pk).grace_until == expired + timedelta(days=30)

    at(expired + timedelta(days=30) - timedelta(seconds=1))
    assert services.level_review(user_id=user.pk) is None
    assert level_of(user.pk) == "gold"

    at(expired + timedelta(days=30))
    change = services.level_review(user_id=user.pk)
    assert change is not None
    assert (change.direction, change.growth_value) == ("down", 0)
    assert changes(user.pk) == [(None, "gold", "up"), ("gold", "member", "down")]
    assert coupon_selectors.member_level(user.pk) is None  # the member level has no prices
    assert GrowthAccount.objects.get(user=user).grace_until is None
    assert level_notifications(user.pk) == ["黄金会员 / Gold", "普通会员 / Member"]


def test_growth_during_grace_keeps_the_level(
    levels: dict[str, Level], at: Clock, settings: Any
) -> None:
    user = UserFactory()
    start = local(2025, 1, 10, 12)
    at(start)
    order(user.pk, "A1", kept=200_000)
    at(start + timedelta(days=400))
    services.level_review(user_id=user.pk)
    assert GrowthAccount.objects.get(user=user).grace_until is not None
    order(user.pk, "A2", kept=200_000)
    account = GrowthAccount.objects.get(user=user)
    assert (account.level.code, account.grace_until) == ("gold", None)
    at(start + timedelta(days=500))
    assert services.level_review(user_id=user.pk) is None
    assert changes(user.pk) == [(None, "gold", "up")]


def test_without_grace_the_review_lowers_at_once_to_the_earned_level(
    levels: dict[str, Level], at: Clock, settings: Any
) -> None:
    settings.LEVELS_GRACE_DAYS = 0
    user = UserFactory()
    start = local(2025, 1, 10, 12)
    at(start)
    order(user.pk, "OLD", kept=700_000)
    at(start + timedelta(days=200))
    order(user.pk, "NEW", kept=60_000)
    at(start + timedelta(days=365))
    change = services.level_review(user_id=user.pk)
    assert change is not None
    assert (change.to_level.code, change.growth_value) == ("silver", 600)
    assert coupon_selectors.member_level(user.pk) == "silver"


def test_a_window_of_zero_counts_all_time(
    levels: dict[str, Level], at: Clock, settings: Any
) -> None:
    settings.LEVELS_WINDOW_DAYS = 0
    user = UserFactory()
    start = local(2020, 1, 1)
    at(start)
    order(user.pk, "A1", kept=200_000)
    at(start + timedelta(days=2000))
    assert services.level_review(user_id=user.pk) is None
    assert selectors.my_level(user.pk).growth_value == 2000


def test_the_periodic_review_moves_each_member_once(
    levels: dict[str, Level], at: Clock, settings: Any
) -> None:
    settings.LEVELS_GRACE_DAYS = 0
    start = local(2025, 1, 10, 12)
    at(start)
    stays, drops = UserFactory(), UserFactory()
    order(stays.pk, "S1", kept=60_000)
    order(drops.pk, "D1", kept=60_000)
    at(start + timedelta(days=300))
    order(stays.pk, "S2", kept=60_000)
    at(start + timedelta(days=366))
    assert services.levels_review() == 1
    assert services.levels_review() == 0
    assert (level_of(stays.pk), level_of(drops.pk)) == ("silver", "member")


def test_an_operator_raising_a_threshold_is_applied_by_the_review(
    levels: dict[str, Level], settings: Any
) -> None:
    settings.LEVELS_GRACE_DAYS = 0
    user = UserFactory()
    order(user.pk, "A1", kept=60_000)
    Level.objects.filter(code="silver").update(threshold=800)
    services.level_review(user_id=user.pk)
    assert level_of(user.pk) == "member"


# --- Benefits ----------------------------------------------------------------------------------


def test_points_multiplier_follows_the_level(levels: dict[str, Level]) -> None:
    newcomer, silver, gold = UserFactory(), UserFactory(), UserFactory()
    order(silver.pk, "S1", kept=50_000)
    order(gold.pk, "G1", kept=250_000)
    assert selectors.points_multiplier_percent(newcomer.pk) == 100  # the base level
    assert selectors.points_multiplier_percent(silver.pk) == 110
    assert selectors.points_multiplier_percent(gold.pk) == 125


def test_points_multiplier_without_levels_is_one() -> None:
    assert selectors.points_multiplier_percent(UserFactory().pk) == 100


def quote(user_id: int | None, sku: int, quantity: int = 1) -> Any:
    with translation.override("en"):
        return pricing.quote(
            items=[QuoteItem(sku_id=sku, quantity=quantity)], buyer_id=user_id, region="上海"
        )


def test_a_gold_member_pays_member_prices_and_no_shipping_explained(
    levels: dict[str, Level],
) -> None:
    gold, silver = UserFactory(), UserFactory()
    order(gold.pk, "G1", kept=250_000)
    order(silver.pk, "S1", kept=50_000)
    sku = make_sku(price=3000)
    MemberPrice.objects.create(sku_id=sku, level="gold", price=2500)

    result = quote(gold.pk, sku)
    assert [(a.stage, a.rule, a.label, a.amount) for a in result.adjustments] == [
        ("catalogue", "member_price:gold", "Gold member price", 500),
        ("shipping", "growth.level_free_shipping", "Free shipping for Gold members", 800),
    ]
    assert (result.subtotal, result.shipping_base, result.shipping_fee, result.total) == (
        2500,
        800,
        0,
        2500,
    )
    others = quote(silver.pk, sku)
    assert (others.subtotal, others.shipping_fee, others.adjustments) == (3000, 800, [])
    assert quote(None, sku).shipping_fee == 800


def test_free_shipping_adds_nothing_when_shipping_is_already_free(
    levels: dict[str, Level],
) -> None:
    gold = UserFactory()
    order(gold.pk, "G1", kept=250_000)
    result = quote(gold.pk, make_sku(price=5000), quantity=2)
    assert [a.rule for a in result.adjustments] == ["shipping.free_over"]


# --- Birthday ----------------------------------------------------------------------------------


def test_birthday_is_set_once(levels: dict[str, Level], at: Clock) -> None:
    at(local(2025, 5, 3, 12))
    user = UserFactory()
    assert services.level_birthday_set(user_id=user.pk, birthday=date(1990, 5, 3)) == date(
        1990, 5, 3
    )
    with pytest.raises(Conflict) as refused:
        services.level_birthday_set(user_id=user.pk, birthday=date(1991, 1, 1))
    assert (refused.value.code, refused.value.field) == ("birthday_already_set", "birthday")
    assert GrowthAccount.objects.get(user=user).birthday == date(1990, 5, 3)


@pytest.mark.parametrize("birthday", [date(2025, 5, 4), date(1899, 12, 31)])
def test_an_impossible_birthday_is_refused(
    levels: dict[str, Level], at: Clock, birthday: date
) -> None:
    at(local(2025, 5, 3, 12))
    user = UserFactory()
    with pytest.raises(ValidationFailed) as refused:
        services.level_birthday_set(user_id=user.pk, birthday=birthday)
    assert (refused.value.code, refused.value.field) == ("invalid_birthday", "birthday")
    assert not GrowthAccount.objects.exists()


def birthday_coupons(user_id: int) -> int:
    return UserCoupon.objects.filter(owner_id=user_id).count()


def test_the_birthday_coupon_comes_once_a_year_on_the_day(
    levels: dict[str, Level], at: Clock, birthday_template: CouponTemplate
) -> None:
    at(local(2025, 5, 2, 12))
    gold, silver, unknown = UserFactory(), UserFactory(), UserFactory()
    order(gold.pk, "G1", kept=250_000)
    order(silver.pk, "S1", kept=50_000)
    order(unknown.pk, "U1", kept=250_000)
    services.level_birthday_set(user_id=gold.pk, birthday=date(1990, 5, 3))
    services.level_birthday_set(user_id=silver.pk, birthday=date(1990, 5, 3))
    assert services.birthday_coupons_grant() == 0  # the day before
    at(local(2025, 5, 3, 0, 0, 1))
    assert services.birthday_coupons_grant() == 1
    at(local(2025, 5, 3, 23, 0))
    assert services.birthday_coupons_grant() == 0  # the hourly run again: once a year
    assert (birthday_coupons(gold.pk), birthday_coupons(silver.pk)) == (1, 0)
    assert birthday_coupons(unknown.pk) == 0
    grant = RewardGrant.objects.get(user=gold)
    assert (grant.reason, grant.coupon_template_id, grant.idempotency_key) == (
        "level_birthday",
        birthday_template.pk,
        f"level-birthday:{gold.pk}:2025",
    )
    assert (
        Notification.objects.filter(recipient=gold, kind=NotificationKind.REWARD_GRANTED).count()
        == 1
    )
    at(local(2026, 5, 3, 9))
    order(gold.pk, "G2", kept=250_000)  # still gold next year
    assert services.birthday_coupons_grant() == 1
    assert birthday_coupons(gold.pk) == 2


def test_born_on_29_february_celebrates_on_the_28th_in_other_years(
    levels: dict[str, Level], at: Clock
) -> None:
    at(local(2025, 2, 1, 12))
    user = UserFactory()
    order(user.pk, "G1", kept=250_000)
    services.level_birthday_set(user_id=user.pk, birthday=date(2000, 2, 29))
    at(local(2025, 2, 28, 12))
    assert services.birthday_coupons_grant() == 1
    at(local(2028, 2, 28, 12))  # a leap year: the real day comes tomorrow
    order(user.pk, "G2", kept=250_000)
    assert services.birthday_coupons_grant() == 0
    at(local(2028, 2, 29, 12))
    assert services.birthday_coupons_grant() == 1


def test_a_sold_out_birthday_coupon_is_tried_again_later(
    levels: dict[str, Level], at: Clock, birthday_template: CouponTemplate
) -> None:
    CouponTemplate.objects.filter(pk=birthday_template.pk).update(total_quantity=0)
    at(local(2025, 5, 3, 8))
    user = UserFactory()
    order(user.pk, "G1", kept=250_000)
    services.level_birthday_set(user_id=user.pk, birthday=date(1990, 5, 3))
    assert services.birthday_coupons_grant() == 0
    assert not RewardGrant.objects.exists()
    CouponTemplate.objects.filter(pk=birthday_template.pk).update(total_quantity=10)
    at(local(2025, 5, 3, 9))
    assert services.birthday_coupons_grant() == 1
    assert birthday_coupons(user.pk) == 1


# --- Defaults ----------------------------------------------------------------------------------


def test_defaults_are_made_once() -> None:
    assert services.levels_defaults_ensure() == 4 + 6
    assert services.levels_defaults_ensure() == 0
    assert list(Level.objects.values_list("code", "threshold")) == [
        ("member", 0),
        ("silver", 500),
        ("gold", 2000),
        ("platinum", 6000),
    ]
