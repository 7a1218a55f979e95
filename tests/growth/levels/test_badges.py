"""Badges: counters moved once per counted thing, each rule awarded once (a unique index has
the last word), notified, kept when a live count drops; rules added later are backfilled."""

from __future__ import annotations

import pytest

from circlemart.growth.levels import selectors, services
from circlemart.growth.levels.contracts import BadgeCounter
from circlemart.growth.levels.models import BadgeAward, BadgeProgress, BadgeRule
from circlemart.notifications.contracts import NotificationKind
from circlemart.notifications.models import Notification
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def held(user_id: int) -> list[str]:
    return list(
        BadgeAward.objects.filter(user_id=user_id)
        .order_by("rule__position")
        .values_list("rule__code", flat=True)
    )


def count(user_id: int, counter: BadgeCounter) -> int:
    return BadgeProgress.objects.get(user_id=user_id, counter=counter).value


def paid(user_id: int, number: str) -> list[BadgeAward]:
    return services.badge_progress_step(
        user_id=user_id,
        counter=BadgeCounter.ORDERS_PAID,
        idempotency_key=f"badge:orders_paid:{number}",
    )


def test_first_order_badge_is_awarded_once_and_notified(badges: dict[str, BadgeRule]) -> None:
    user = UserFactory()
    awarded = paid(user.pk, "A1")
    assert [award.rule.code for award in awarded] == ["first-order"]
    assert paid(user.pk, "A1") == []  # the same order again counts nothing
    assert count(user.pk, BadgeCounter.ORDERS_PAID) == 1
    assert held(user.pk) == ["first-order"]
    notes = Notification.objects.filter(recipient=user, kind=NotificationKind.BADGE_AWARDED)
    assert [row.excerpt for row in notes] == ["🛍️ 首单达成 / First order"]


def test_ten_orders_earn_the_second_order_badge(badges: dict[str, BadgeRule]) -> None:
    user = UserFactory()
    earned = [award.rule.code for number in range(10) for award in paid(user.pk, f"A{number}")]
    assert earned == ["first-order", "shopper-10"]
    assert count(user.pk, BadgeCounter.ORDERS_PAID) == 10
    assert BadgeAward.objects.filter(user=user).count() == 2


def test_followers_are_a_live_count_and_the_badge_stays(badges: dict[str, BadgeRule]) -> None:
    user = UserFactory()
    set_to = services.badge_progress_set
    assert set_to(user_id=user.pk, counter=BadgeCounter.FOLLOWERS, value=99) == []
    assert [
        a.rule.code for a in set_to(user_id=user.pk, counter=BadgeCounter.FOLLOWERS, value=100)
    ] == ["followers-100"]
    assert set_to(user_id=user.pk, counter=BadgeCounter.FOLLOWERS, value=100) == []
    set_to(user_id=user.pk, counter=BadgeCounter.FOLLOWERS, value=98)
    assert count(user.pk, BadgeCounter.FOLLOWERS) == 98
    assert held(user.pk) == ["followers-100"]
    set_to(user_id=user.pk, counter=BadgeCounter.FOLLOWERS, value=101)
    assert BadgeAward.objects.filter(user=user).count() == 1


def test_a_record_only_goes_up(badges: dict[str, BadgeRule]) -> None:
    user = UserFactory()
    for streak in (3, 7, 2):
        services.badge_progress_set(
            user_id=user.pk, counter=BadgeCounter.CHECKIN_STREAK, value=streak, only_up=True
        )
    assert count(user.pk, BadgeCounter.CHECKIN_STREAK) == 7
    assert held(user.pk) == ["streak-7"]


def test_inactive_rules_award_nothing_until_backfilled(badges: dict[str, BadgeRule]) -> None:
    BadgeRule.objects.filter(code="first-note").update(is_active=False)
    author, other = UserFactory(), UserFactory()
    services.badge_progress_step(
        user_id=author.pk, counter=BadgeCounter.NOTES, idempotency_key="n1"
    )
    assert held(author.pk) == []
    BadgeRule.objects.filter(code="first-note").update(is_active=True)
    assert services.badge_rule_backfill(rule_id=badges["first-note"].pk) == 1
    assert services.badge_rule_backfill(rule_id=badges["first-note"].pk) == 0
    assert (held(author.pk), held(other.pk)) == (["first-note"], [])


def test_my_badges_show_progress_and_others_see_only_public_earned_ones(
    badges: dict[str, BadgeRule],
) -> None:
    user = UserFactory()
    BadgeRule.objects.filter(code="shopper-10").update(is_public=False)
    for number in range(10):
        paid(user.pk, f"A{number}")
    for review in range(3):
        services.badge_progress_step(
            user_id=user.pk, counter=BadgeCounter.REVIEWS, idempotency_key=f"r{review}"
        )
    mine = {badge.code: badge for badge in selectors.my_badges(user.pk)}
    assert [code for code, badge in mine.items() if badge.is_earned] == [
        "first-order",
        "shopper-10",
    ]
    assert (mine["reviewer-10"].progress, mine["reviewer-10"].threshold) == (3, 10)
    assert (mine["first-order"].progress, mine["followers-100"].progress) == (1, 0)
    assert [badge.code for badge in selectors.public_badges(user.pk)] == ["first-order"]
