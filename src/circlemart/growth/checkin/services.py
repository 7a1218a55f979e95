"""Writes of the daily check-in. Every write of one shopper runs with their check-in account
row locked (check-ins, make-ups and card grants of one shopper run one after another); the
unique (user, day) index and the cards ≥ 0 check are the database's last word."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import Conflict, DomainError, ValidationFailed
from circlemart.core.events import publish
from circlemart.growth.calendar import growth_day
from circlemart.growth.checkin import errors
from circlemart.growth.checkin.contracts import CheckinResult
from circlemart.growth.checkin.events import CheckedIn
from circlemart.growth.checkin.models import CheckIn, CheckinAccount, MakeUpCardMovement
from circlemart.growth.checkin.selectors import make_up_window, streak_reward_for
from circlemart.growth.contracts import Reward, RewardKind
from circlemart.growth.rewards import reward_grant

logger = logging.getLogger(__name__)


def _lock_account(user_id: int) -> CheckinAccount:
    """The shopper's check-in account, created on first use and locked for this transaction."""
    CheckinAccount.objects.get_or_create(user_id=user_id)
    return CheckinAccount.objects.select_for_update().get(user_id=user_id)


def _already_checked_in(field: str) -> Conflict:
    return Conflict(
        _("You have already checked in on this day."),
        code=errors.ALREADY_CHECKED_IN,
        field=field,
    )


def make_up_cards_grant(
    *, user_id: int, count: int, reason: str, idempotency_key: str, reference: str = ""
) -> bool:
    """Give `count` make-up cards, once per key (False when the key was already used). Runs in
    the caller's transaction when there is one."""
    if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
        raise ValidationFailed(
            _("Give at least one card."), code=errors.INVALID_CARD_COUNT, field="count"
        )
    with transaction.atomic():
        _lock_account(user_id)
        try:
            with transaction.atomic():
                MakeUpCardMovement.objects.create(
                    user_id=user_id,
                    delta=count,
                    reason=reason,
                    reference=reference,
                    idempotency_key=idempotency_key,
                    created_at=clock.now(),
                )
        except IntegrityError:
            return False
        CheckinAccount.objects.filter(user_id=user_id).update(
            make_up_cards=F("make_up_cards") + count
        )
    return True


def _pay_streak_reward(*, user_id: int, day: date, streak: int) -> tuple[int, int | None, int]:
    """Pay what the streak's cycle day pays, once per shopper and day. A coupon that can no
    longer be given (sold out, template ended) is skipped: the check-in and its points stand."""
    reward = streak_reward_for(streak)
    if reward is None:
        return 0, None, 0
    reference = f"day:{day.isoformat()}"
    points = 0
    if reward.points:
        paid = reward_grant(
            user_id=user_id,
            reward=Reward(kind=RewardKind.POINTS, points=reward.points),
            reason="checkin_streak",
            idempotency_key=f"checkin:{user_id}:{day.isoformat()}",
            reference=reference,
        )
        points = paid.points
    coupon_template_id = None
    if reward.coupon_template_id:
        try:
            with transaction.atomic():
                reward_grant(
                    user_id=user_id,
                    reward=Reward(
                        kind=RewardKind.COUPON, coupon_template_id=reward.coupon_template_id
                    ),
                    reason="checkin_streak",
                    idempotency_key=f"checkin-coupon:{user_id}:{day.isoformat()}",
                    reference=reference,
                )
            coupon_template_id = reward.coupon_template_id
        except DomainError as refusal:
            logger.warning(
                "check-in coupon not given",
                extra={
                    "user_id": user_id,
                    "template_id": reward.coupon_template_id,
                    "code": refusal.code,
                },
            )
    cards = 0
    if reward.make_up_cards and make_up_cards_grant(
        user_id=user_id,
        count=reward.make_up_cards,
        reason="streak",
        reference=reference,
        idempotency_key=f"checkin-cards:{user_id}:{day.isoformat()}",
    ):
        cards = reward.make_up_cards
    return points, coupon_template_id, cards


def _insert(*, user_id: int, day: date, streak: int, is_make_up: bool, field: str) -> None:
    try:
        with transaction.atomic():
            CheckIn.objects.create(
                user_id=user_id,
                day=day,
                streak=streak,
                is_make_up=is_make_up,
                created_at=clock.now(),
            )
    except IntegrityError as clash:  # the unique index has the last word
        raise _already_checked_in(field) from clash


def _streak_before(*, user_id: int, day: date) -> int:
    previous = CheckIn.objects.filter(user_id=user_id, day=day - timedelta(days=1))
    return int(previous.values_list("streak", flat=True).first() or 0)


def _count_day(*, user_id: int, streak: int) -> None:
    CheckinAccount.objects.filter(user_id=user_id).update(
        total_days=F("total_days") + 1, longest_streak=Greatest("longest_streak", streak)
    )


def checkin_today(*, user_id: int) -> CheckinResult:
    """Check in for today (in GROWTH_TIME_ZONE) and pay the streak reward. A second check-in on
    the same day is refused with 409 already_checked_in and writes nothing."""
    today = growth_day(clock.now())
    with transaction.atomic():
        _lock_account(user_id)
        if CheckIn.objects.filter(user_id=user_id, day=today).exists():
            raise _already_checked_in("day")
        streak = _streak_before(user_id=user_id, day=today) + 1
        _insert(user_id=user_id, day=today, streak=streak, is_make_up=False, field="day")
        _count_day(user_id=user_id, streak=streak)
        points, coupon_template_id, cards = _pay_streak_reward(
            user_id=user_id, day=today, streak=streak
        )
        publish(CheckedIn(user_id=user_id, day=today.isoformat(), streak=streak))
        held = CheckinAccount.objects.get(user_id=user_id).make_up_cards
    return CheckinResult(
        day=today,
        streak=streak,
        is_make_up=False,
        points=points,
        coupon_template_id=coupon_template_id,
        make_up_cards_earned=cards,
        make_up_cards=held,
    )


def _check_make_up_day(day: date, today: date) -> None:
    if day > today:
        raise ValidationFailed(
            _("You cannot check in for a day that has not come yet."),
            code=errors.DATE_IN_FUTURE,
            field="date",
        )
    if day == today:
        raise ValidationFailed(
            _("Today needs no make-up card: check in instead."),
            code=errors.DATE_IS_TODAY,
            field="date",
        )
    first, _last = make_up_window(today)
    if day < first:
        raise ValidationFailed(
            _("Make-up cards fill missed days of this month only."),
            code=errors.DATE_OUTSIDE_WINDOW,
            field="date",
        )


def checkin_make_up(*, user_id: int, day: date) -> CheckinResult:
    """Spend one make-up card to check in for a missed `day` of this month before today. The
    streak is rebuilt through the following days; a make-up pays no daily reward (the
    restored streak pays on the next check-in). Refusals (future, today, outside the month,
    already checked, no card) name the field `date` and write nothing."""
    today = growth_day(clock.now())
    _check_make_up_day(day, today)
    with transaction.atomic():
        _lock_account(user_id)
        if CheckIn.objects.filter(user_id=user_id, day=day).exists():
            raise _already_checked_in("date")
        spent = CheckinAccount.objects.filter(user_id=user_id, make_up_cards__gte=1).update(
            make_up_cards=F("make_up_cards") - 1
        )
        if not spent:
            raise Conflict(
                _("You have no make-up card."), code=errors.NO_MAKE_UP_CARD, field="date"
            )
        MakeUpCardMovement.objects.create(
            user_id=user_id,
            delta=-1,
            reason="make_up",
            reference=f"day:{day.isoformat()}",
            idempotency_key=f"checkin-make-up:{user_id}:{day.isoformat()}",
            created_at=clock.now(),
        )
        streak = _streak_before(user_id=user_id, day=day) + 1
        _insert(user_id=user_id, day=day, streak=streak, is_make_up=True, field="date")
        run_end = _rechain(user_id=user_id, day=day, streak=streak, today=today)
        _count_day(user_id=user_id, streak=run_end)
        publish(CheckedIn(user_id=user_id, day=day.isoformat(), streak=streak, is_make_up=True))
        held = CheckinAccount.objects.get(user_id=user_id).make_up_cards
    return CheckinResult(
        day=day,
        streak=run_end,
        is_make_up=True,
        points=0,
        coupon_template_id=None,
        make_up_cards_earned=0,
        make_up_cards=held,
    )


def _rechain(*, user_id: int, day: date, streak: int, today: date) -> int:
    """Renumber the run of check-ins that follows a filled `day`; returns the run's streak."""
    following = CheckIn.objects.filter(user_id=user_id, day__gt=day, day__lte=today).order_by("day")
    expected, current = day + timedelta(days=1), streak
    for row_id, row_day in following.values_list("id", "day"):
        if row_day != expected:
            break
        current += 1
        CheckIn.objects.filter(pk=row_id).update(streak=current)
        expected += timedelta(days=1)
    return current
