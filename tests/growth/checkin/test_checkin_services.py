"""Check-in services: once a day in GROWTH_TIME_ZONE, streaks, the reward ladder and its
cycle, make-up cards (every refusal names `date` and writes nothing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest
from django.db.models import Sum

from circlemart.core.errors import Conflict, DomainError, ValidationFailed
from circlemart.core.models import OutboxEvent
from circlemart.growth.checkin import selectors, services
from circlemart.growth.checkin.models import (
    CheckIn,
    CheckinAccount,
    MakeUpCardMovement,
    StreakRewardRule,
)
from circlemart.growth.models import RewardGrant
from circlemart.growth.points import selectors as points_selectors
from circlemart.promotions.coupons.models import UserCoupon
from tests.accounts.factories import UserFactory
from tests.growth.checkin.conftest import local
from tests.promotions.conftest import template

pytestmark = pytest.mark.django_db
Clock = Callable[[datetime], None]


def written(user_id: int) -> tuple[int, int, int, int]:
    """Everything a check-in writes, counted."""
    return (
        CheckIn.objects.filter(user_id=user_id).count(),
        RewardGrant.objects.filter(user_id=user_id).count(),
        MakeUpCardMovement.objects.filter(user_id=user_id).count(),
        OutboxEvent.objects.filter(event_type="growth.CheckedIn").count(),
    )


def check_in_on(at: Clock, user_id: int, *days: int) -> None:
    for day in days:
        at(local(2025, 5, day, 9, 0))
        services.checkin_today(user_id=user_id)


def test_first_check_in_pays_day_one_and_a_second_is_refused(at: Clock, ladder: list) -> None:
    user = UserFactory()
    at(local(2025, 5, 3, 10, 0))
    result = services.checkin_today(user_id=user.pk)
    assert (result.day, result.streak, result.points, result.make_up_cards_earned) == (
        date(2025, 5, 3),
        1,
        5,
        0,
    )
    assert points_selectors.points_balance(user.pk) == 5
    before = written(user.pk)
    assert before == (1, 1, 0, 1)
    with pytest.raises(Conflict) as refused:
        services.checkin_today(user_id=user.pk)
    assert (refused.value.code, refused.value.field) == ("already_checked_in", "day")
    assert written(user.pk) == before
    assert points_selectors.points_balance(user.pk) == 5


def test_the_day_turns_at_midnight_in_the_growth_time_zone(at: Clock, ladder: list) -> None:
    user = UserFactory()
    at(local(2025, 5, 3, 23, 59, 59))  # 15:59:59 UTC
    first = services.checkin_today(user_id=user.pk)
    with pytest.raises(Conflict):
        services.checkin_today(user_id=user.pk)  # still the 3rd in Shanghai
    at(local(2025, 5, 4, 0, 0, 0))  # 16:00:00 UTC, the same UTC day
    second = services.checkin_today(user_id=user.pk)
    assert (first.day, second.day) == (date(2025, 5, 3), date(2025, 5, 4))
    assert (first.streak, second.streak) == (1, 2)
    assert list(CheckIn.objects.order_by("day").values_list("day", flat=True)) == [
        date(2025, 5, 3),
        date(2025, 5, 4),
    ]


def test_a_utc_midnight_is_not_a_new_day_in_shanghai(at: Clock, ladder: list) -> None:
    user = UserFactory()
    at(datetime.fromisoformat("2025-05-03T23:59:59+00:00"))  # 07:59:59 on the 4th in Shanghai
    services.checkin_today(user_id=user.pk)
    at(datetime.fromisoformat("2025-05-04T00:00:00+00:00"))  # 08:00 on the 4th in Shanghai
    with pytest.raises(Conflict):
        services.checkin_today(user_id=user.pk)
    assert CheckIn.objects.get().day == date(2025, 5, 4)


def test_streak_grows_pays_the_ladder_and_starts_a_new_cycle(at: Clock, ladder: list) -> None:
    user = UserFactory()
    check_in_on(at, user.pk, *range(1, 9))
    streaks = list(CheckIn.objects.order_by("day").values_list("streak", flat=True))
    assert streaks == [1, 2, 3, 4, 5, 6, 7, 8]
    paid = list(RewardGrant.objects.order_by("id").values_list("points", flat=True))
    assert paid == [5, 5, 10, 10, 15, 15, 30, 5]  # day 8 is day 1 of the next cycle
    assert points_selectors.points_balance(user.pk) == 95
    account = CheckinAccount.objects.get(user=user)
    assert (account.make_up_cards, account.longest_streak, account.total_days) == (1, 8, 8)
    assert list(MakeUpCardMovement.objects.values_list("delta", "reason", "reference")) == [
        (1, "streak", "day:2025-05-07")
    ]


def test_a_missed_day_breaks_the_streak(at: Clock, ladder: list) -> None:
    user = UserFactory()
    check_in_on(at, user.pk, 1, 2, 4)
    assert list(CheckIn.objects.order_by("day").values_list("streak", flat=True)) == [1, 2, 1]
    at(local(2025, 5, 4, 20, 0))
    assert selectors.checkin_calendar(user_id=user.pk).streak == 1
    at(local(2025, 5, 6, 8, 0))  # the 5th was missed too: the streak is gone
    found = selectors.checkin_calendar(user_id=user.pk)
    assert (found.streak, found.checked_in_today, found.next_streak_day) == (0, False, 1)


def test_a_coupon_that_cannot_be_given_leaves_the_check_in_and_its_points(
    at: Clock, ladder: list
) -> None:
    user = UserFactory()
    gone = template(is_public=False, total_quantity=1)
    StreakRewardRule.objects.filter(streak_day=1).update(coupon_template_id=gone.pk)
    other = UserFactory()
    at(local(2025, 5, 1, 9, 0))
    first = services.checkin_today(user_id=other.pk)
    second = services.checkin_today(user_id=user.pk)
    assert (first.coupon_template_id, second.coupon_template_id) == (gone.pk, None)
    assert (first.points, second.points) == (5, 5)
    assert UserCoupon.objects.filter(owner=other).count() == 1
    assert UserCoupon.objects.filter(owner=user).count() == 0
    assert CheckIn.objects.filter(user=user).count() == 1


def test_no_rule_for_the_day_pays_nothing(at: Clock) -> None:
    user = UserFactory()
    at(local(2025, 5, 1, 9, 0))
    result = services.checkin_today(user_id=user.pk)
    assert (result.points, result.coupon_template_id, result.make_up_cards_earned) == (0, None, 0)
    assert RewardGrant.objects.count() == 0


# --- Make-up cards ---------------------------------------------------------------------------


def give_card(user_id: int, key: str = "gift") -> None:
    assert services.make_up_cards_grant(
        user_id=user_id, count=1, reason="operator", idempotency_key=key
    )


def test_a_make_up_card_fills_a_missed_day_and_restores_the_streak(at: Clock, ladder: list) -> None:
    user = UserFactory()
    check_in_on(at, user.pk, 1, 2, 4, 5)
    give_card(user.pk)
    at(local(2025, 5, 5, 21, 0))
    points_before = points_selectors.points_balance(user.pk)
    result = services.checkin_make_up(user_id=user.pk, day=date(2025, 5, 3))
    assert (result.day, result.streak, result.is_make_up, result.points) == (
        date(2025, 5, 3),
        5,
        True,
        0,
    )
    assert result.make_up_cards == 0
    rows = list(CheckIn.objects.order_by("day").values_list("day", "streak", "is_make_up"))
    assert rows == [
        (date(2025, 5, 1), 1, False),
        (date(2025, 5, 2), 2, False),
        (date(2025, 5, 3), 3, True),
        (date(2025, 5, 4), 4, False),
        (date(2025, 5, 5), 5, False),
    ]
    assert points_selectors.points_balance(user.pk) == points_before  # a make-up pays nothing
    account = CheckinAccount.objects.get(user=user)
    assert (account.make_up_cards, account.longest_streak, account.total_days) == (0, 5, 5)
    spent = MakeUpCardMovement.objects.filter(delta__lt=0)
    assert list(spent.values_list("delta", "reason", "reference")) == [
        (-1, "make_up", "day:2025-05-03")
    ]
    found = selectors.checkin_calendar(user_id=user.pk)
    assert found.streak == 5
    assert [d.day.day for d in found.days if d.is_make_up] == [3]
    # The next check-in counts the restored streak.
    at(local(2025, 5, 6, 9, 0))
    assert services.checkin_today(user_id=user.pk).streak == 6


@pytest.mark.parametrize(
    ("day", "code", "status"),
    [
        (date(2025, 5, 11), "date_in_future", 400),
        (date(2025, 5, 10), "date_is_today", 400),
        (date(2025, 4, 30), "date_outside_window", 400),
        (date(2025, 5, 2), "already_checked_in", 409),
    ],
)
def test_make_up_refusals_name_the_date_and_write_nothing(
    at: Clock, ladder: list, day: date, code: str, status: int
) -> None:
    user = UserFactory()
    check_in_on(at, user.pk, 2)
    give_card(user.pk)
    at(local(2025, 5, 10, 12, 0))
    before = written(user.pk)
    with pytest.raises(DomainError) as refused:
        services.checkin_make_up(user_id=user.pk, day=day)
    assert (refused.value.code, refused.value.field, refused.value.status) == (
        code,
        "date",
        status,
    )
    assert written(user.pk) == before
    assert selectors.make_up_cards(user.pk) == 1


def test_without_a_card_a_make_up_is_refused_and_the_count_stays_zero(at: Clock) -> None:
    user = UserFactory()
    check_in_on(at, user.pk, 1)
    at(local(2025, 5, 3, 12, 0))
    with pytest.raises(Conflict) as refused:
        services.checkin_make_up(user_id=user.pk, day=date(2025, 5, 2))
    assert (refused.value.code, refused.value.field) == ("no_make_up_card", "date")
    assert CheckinAccount.objects.get(user=user).make_up_cards == 0
    assert CheckIn.objects.filter(user=user).count() == 1
    assert MakeUpCardMovement.objects.count() == 0


def test_one_card_fills_one_day(at: Clock) -> None:
    user = UserFactory()
    give_card(user.pk)
    at(local(2025, 5, 9, 12, 0))
    services.checkin_make_up(user_id=user.pk, day=date(2025, 5, 5))
    with pytest.raises(Conflict) as refused:
        services.checkin_make_up(user_id=user.pk, day=date(2025, 5, 6))
    assert refused.value.code == "no_make_up_card"
    assert CheckinAccount.objects.get(user=user).make_up_cards == 0


def test_on_the_first_of_the_month_nothing_can_be_made_up(at: Clock) -> None:
    user = UserFactory()
    give_card(user.pk)
    at(local(2025, 6, 1, 0, 0, 0))
    with pytest.raises(ValidationFailed) as refused:
        services.checkin_make_up(user_id=user.pk, day=date(2025, 5, 31))
    assert refused.value.code == "date_outside_window"
    found = selectors.checkin_calendar(user_id=user.pk)
    assert not any(day.may_make_up for day in found.days)


def test_cards_are_given_once_per_key_and_refuse_a_bad_count() -> None:
    user = UserFactory()
    assert services.make_up_cards_grant(
        user_id=user.pk, count=2, reason="task", idempotency_key="t:1"
    )
    assert not services.make_up_cards_grant(
        user_id=user.pk, count=2, reason="task", idempotency_key="t:1"
    )
    assert selectors.make_up_cards(user.pk) == 2
    for bad in (0, -1, True):
        with pytest.raises(ValidationFailed) as refused:
            services.make_up_cards_grant(
                user_id=user.pk, count=bad, reason="task", idempotency_key=f"bad{bad}"
            )
        assert refused.value.field == "count"
    total = MakeUpCardMovement.objects.aggregate(total=Sum("delta"))["total"]
    assert total == 2


def test_the_calendar_shows_the_month_and_what_may_be_filled(at: Clock, ladder: list) -> None:
    user = UserFactory()
    check_in_on(at, user.pk, 1, 2)
    give_card(user.pk)
    at(local(2025, 5, 4, 12, 0))  # a Sunday; May 2025 starts on a Thursday
    found = selectors.checkin_calendar(user_id=user.pk)
    assert (found.month, found.today, len(found.days), found.leading_blanks) == (
        date(2025, 5, 1),
        date(2025, 5, 4),
        31,
        3,
    )
    assert [d.day.day for d in found.days if d.is_checked] == [1, 2]
    assert [d.day.day for d in found.days if d.may_make_up] == [3]
    assert [d.day.day for d in found.days if d.is_today] == [4]
    assert (found.streak, found.make_up_cards, found.next_streak_day) == (0, 1, 1)
    assert found.next_reward is not None
    assert found.next_reward.points == 5
    assert [step.points for step in found.ladder] == [5, 5, 10, 10, 15, 15, 30]
    april = selectors.checkin_calendar(user_id=user.pk, month=date(2025, 4, 20))
    assert (april.month, len(april.days)) == (date(2025, 4, 1), 30)
    assert not any(d.is_checked or d.may_make_up for d in april.days)
