"""Writes of levels, growth value and badges.

Growth value: `growth_value_add` writes one entry per key with the user's account row locked,
then moves the member up at once when the value reaches a higher level. Going down happens only
in the periodic review (`levels_review`): a member whose growth value of the last
LEVELS_WINDOW_DAYS fell below their level's threshold keeps the level for LEVELS_GRACE_DAYS,
then drops to the level the value earns (0 days: at once). Every move is recorded, synced to
the member prices (promotions) and notified (LEVEL_CHANGED).

Badges: `badge_progress_step` counts one thing once (its key), `badge_progress_set` sets a live
count (followers) or raises a record (longest streak); each then awards every active rule whose
threshold the count reached, once per (user, rule) — the unique index has the last word."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import Conflict, DomainError, ValidationFailed
from circlemart.growth.calendar import day_start, growth_day
from circlemart.growth.contracts import Reward, RewardKind
from circlemart.growth.levels import errors
from circlemart.growth.levels.contracts import (
    ACTIVITY_REASONS,
    BadgeCounter,
    GrowthReason,
    LevelDirection,
)
from circlemart.growth.levels.models import (
    BadgeAward,
    BadgeProgress,
    BadgeProgressStep,
    BadgeRule,
    GrowthAccount,
    GrowthValueEntry,
    Level,
    LevelChange,
)
from circlemart.growth.levels.selectors import (
    level_for_value,
    levels_ordered,
    window_value,
)
from circlemart.growth.rewards import reward_grant
from circlemart.notifications import services as notification_services
from circlemart.notifications.contracts import NotificationKind, TargetType
from circlemart.promotions.coupons import services as coupon_services

logger = logging.getLogger(__name__)

BIRTHDAY_REASON = "level_birthday"
OLDEST_BIRTHDAY = date(1900, 1, 1)


def _bilingual(name: str, name_en: str) -> str:
    """An excerpt is stored once and read in either language."""
    return f"{name} / {name_en}" if name_en and name_en != name else name


def _lock_account(user_id: int) -> GrowthAccount:
    """The user's growth account, created on first use and locked for this transaction. No
    join in the locking query: a row another writer changed meanwhile is re-read alone, and a
    joined level would be the stale one (its level is read after the lock, when needed)."""
    GrowthAccount.objects.get_or_create(user_id=user_id)
    return GrowthAccount.objects.select_for_update().get(user_id=user_id)


# --- Growth value ----------------------------------------------------------------------------


def _activity_room(user_id: int, now: datetime) -> int:
    """How much activity growth value the user may still earn today (the daily cap)."""
    cap = int(settings.LEVELS_ACTIVITY_DAILY_CAP)
    if cap <= 0:
        return 1 << 62  # no cap
    earned = GrowthValueEntry.objects.filter(
        user_id=user_id, reason__in=list(ACTIVITY_REASONS), created_at__gte=day_start(now)
    ).aggregate(total=Sum("amount"))["total"]
    return max(cap - int(earned or 0), 0)


def growth_value_add(
    *,
    user_id: int,
    amount: int,
    reason: GrowthReason,
    idempotency_key: str,
    reference: str = "",
) -> GrowthValueEntry | None:
    """Add `amount` growth value once per key and move the member up if it earns a higher
    level. Activity (reviews, notes, check-ins) counts up to LEVELS_ACTIVITY_DAILY_CAP a day
    (the rest of a capped award is dropped). Returns the entry (the first one for a repeated
    key), or None when nothing was added (a zero amount or the cap reached)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise ValidationFailed(
            _("Growth value must be a whole number of at least zero."),
            code="invalid_growth_value",
            field="amount",
        )
    if amount == 0:
        return None
    with transaction.atomic():
        account = _lock_account(user_id)
        existing = GrowthValueEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        now = clock.now()
        if reason in ACTIVITY_REASONS:
            amount = min(amount, _activity_room(user_id, now))
        if amount <= 0:
            return None
        entry = GrowthValueEntry.objects.create(
            user_id=user_id,
            amount=amount,
            reason=reason,
            reference=reference,
            idempotency_key=idempotency_key,
            created_at=now,
        )
        GrowthAccount.objects.filter(user_id=user_id).update(total=F("total") + amount)
        account.refresh_from_db(fields=["total"])
        _settle(account, now=now, may_lower=False)
    return entry


def growth_value_for_order(*, buyer_id: int, order_number: str, kept_amount: int) -> int:
    """Growth value for what a buyer kept of an order (minor units, shipping excluded):
    LEVELS_GROWTH_PER_YUAN per whole yuan. Once per order."""
    value = max(kept_amount, 0) // 100 * int(settings.LEVELS_GROWTH_PER_YUAN)
    entry = growth_value_add(
        user_id=buyer_id,
        amount=value,
        reason=GrowthReason.ORDER_KEPT,
        idempotency_key=f"levels:order:{order_number}",
        reference=order_number,
    )
    return entry.amount if entry is not None else 0


# --- Levels ----------------------------------------------------------------------------------


def _rank(level: Level | None) -> int:
    return -1 if level is None else level.threshold


def _move(account: GrowthAccount, *, to: Level | None, value: int, now: datetime) -> LevelChange:
    before = account.level
    direction = LevelDirection.UP if _rank(to) > _rank(before) else LevelDirection.DOWN
    GrowthAccount.objects.filter(pk=account.pk).update(level=to, level_since=now, grace_until=None)
    account.level, account.level_since, account.grace_until = to, now, None
    change = LevelChange.objects.create(
        user_id=account.user_id,
        from_level=before,
        to_level=to,
        direction=direction,
        growth_value=value,
        created_at=now,
    )
    coupon_services.member_level_set(
        user_id=account.user_id, level=(to.member_price_level or None) if to else None
    )
    if to is not None:
        notification_services.notification_record(
            recipient_id=account.user_id,
            kind=NotificationKind.LEVEL_CHANGED,
            target_type=TargetType.GROWTH,
            target_id=change.pk,
            actor_id=account.user_id,
            about_self=True,
            excerpt=_bilingual(to.name, to.name_en),
        )
    return change


def _settle(account: GrowthAccount, *, now: datetime, may_lower: bool) -> LevelChange | None:
    """Put the (locked) account on the level its window value earns: up at once; down only
    when `may_lower` (the review), after the grace period."""
    value = window_value(account.user_id, now=now, total=account.total)
    earned = level_for_value(levels_ordered(), value)
    current = account.level
    if _rank(earned) > _rank(current):
        return _move(account, to=earned, value=value, now=now)
    if _rank(earned) == _rank(current):
        if account.grace_until is not None:
            GrowthAccount.objects.filter(pk=account.pk).update(grace_until=None)
            account.grace_until = None
        return None
    if not may_lower:
        return None
    grace = int(settings.LEVELS_GRACE_DAYS)
    if grace > 0 and account.grace_until is None:
        account.grace_until = now + timedelta(days=grace)
        GrowthAccount.objects.filter(pk=account.pk).update(grace_until=account.grace_until)
        return None
    if account.grace_until is not None and account.grace_until > now:
        return None
    return _move(account, to=earned, value=value, now=now)


def level_review(*, user_id: int) -> LevelChange | None:
    """Review one member: up if the value earns more, down after the grace period if it earns
    less. Returns the change made, if any."""
    with transaction.atomic():
        account = _lock_account(user_id)
        now = clock.now()
        change = _settle(account, now=now, may_lower=True)
        GrowthAccount.objects.filter(pk=account.pk).update(reviewed_at=now)
    return change


def levels_review(*, batch_size: int = 500) -> int:
    """The periodic review of every member (each in its own short transaction). Returns how
    many levels changed. Safe to run twice: a second run finds nothing to change."""
    changed = 0
    last = 0
    while True:
        ids = list(
            GrowthAccount.objects.filter(user_id__gt=last)
            .order_by("user_id")
            .values_list("user_id", flat=True)[:batch_size]
        )
        if not ids:
            return changed
        for user_id in ids:
            changed += int(level_review(user_id=user_id) is not None)
        last = ids[-1]


# --- Birthday --------------------------------------------------------------------------------


def level_birthday_set(*, user_id: int, birthday: date) -> date:
    """Record the member's birthday, once: it cannot be changed afterwards (the birthday
    coupon would otherwise be a coupon a month). 400 invalid_birthday for a date in the future
    or before 1900, 409 birthday_already_set the second time; nothing is written then."""
    if not isinstance(birthday, date) or isinstance(birthday, datetime):
        raise ValidationFailed(
            _("Enter a valid date."), code=errors.INVALID_BIRTHDAY, field="birthday"
        )
    if birthday > growth_day(clock.now()) or birthday < OLDEST_BIRTHDAY:
        raise ValidationFailed(
            _("Enter your real birthday: not in the future, not before 1900."),
            code=errors.INVALID_BIRTHDAY,
            field="birthday",
        )
    with transaction.atomic():
        account = _lock_account(user_id)
        if account.birthday is not None:
            raise Conflict(
                _("Your birthday is already set; it cannot be changed."),
                code=errors.BIRTHDAY_ALREADY_SET,
                field="birthday",
            )
        GrowthAccount.objects.filter(pk=account.pk).update(birthday=birthday)
    return birthday


def _birthday_candidates(today: date) -> Iterable[tuple[int, int]]:
    """(user id, coupon template id) of members whose birthday is today and whose level gives
    a birthday coupon. Born on 29 February: celebrated on the 28th in other years."""
    days = [today.day]
    is_leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    if today.month == 2 and today.day == 28 and not is_leap:
        days.append(29)
    return (
        GrowthAccount.objects.filter(
            birthday__month=today.month,
            birthday__day__in=days,
            level__birthday_coupon_template__isnull=False,
        )
        .order_by("user_id")
        .values_list("user_id", "level__birthday_coupon_template_id")
        .iterator()
    )


def birthday_coupons_grant() -> int:
    """Give today's birthday members their level's coupon, once per member per year (the
    reward key). Run it hourly: a member who sets the birthday on the day still gets it, and
    a coupon that could not be given (sold out) is tried again next run."""
    today = growth_day(clock.now())
    granted = 0
    for user_id, template_id in list(_birthday_candidates(today)):
        key = f"level-birthday:{user_id}:{today.year}"
        try:
            with transaction.atomic():
                paid = reward_grant(
                    user_id=user_id,
                    reward=Reward(kind=RewardKind.COUPON, coupon_template_id=template_id),
                    reason=BIRTHDAY_REASON,
                    idempotency_key=key,
                    reference=str(today.year),
                )
                if paid.was_new and paid.user_coupon_id is not None:
                    notification_services.notification_record(
                        recipient_id=user_id,
                        kind=NotificationKind.REWARD_GRANTED,
                        target_type=TargetType.GROWTH,
                        target_id=paid.user_coupon_id,
                        actor_id=user_id,
                        about_self=True,
                        excerpt="🎂 生日快乐 / Happy birthday",
                    )
        except DomainError as error:  # a refused coupon: logged, retried by the next run
            logger.warning(
                "birthday coupon not given",
                extra={"user_id": user_id, "template_id": template_id, "code": error.code},
            )
            continue
        granted += int(paid.was_new)
    return granted


# --- Badges ----------------------------------------------------------------------------------


def _lock_progress(user_id: int, counter: BadgeCounter) -> BadgeProgress:
    BadgeProgress.objects.get_or_create(user_id=user_id, counter=counter)
    return BadgeProgress.objects.select_for_update().get(user_id=user_id, counter=counter)


def _award_due(*, user_id: int, counter: str, value: int) -> list[BadgeAward]:
    """Award every active rule over `counter` whose threshold `value` reached, once each."""
    held = BadgeAward.objects.filter(user_id=user_id).values("rule_id")
    rules = BadgeRule.objects.filter(is_active=True, counter=counter, threshold__lte=value).exclude(
        pk__in=held
    )
    awarded = []
    now = clock.now()
    for rule in rules.order_by("threshold", "id"):
        try:
            with transaction.atomic():
                award = BadgeAward.objects.create(user_id=user_id, rule=rule, awarded_at=now)
        except IntegrityError:  # awarded meanwhile (a backfill): once is enough
            continue
        notification_services.notification_record(
            recipient_id=user_id,
            kind=NotificationKind.BADGE_AWARDED,
            target_type=TargetType.GROWTH,
            target_id=award.pk,
            actor_id=user_id,
            about_self=True,
            excerpt=f"{rule.icon} {_bilingual(rule.name, rule.name_en)}",
        )
        awarded.append(award)
    return awarded


def badge_progress_step(
    *, user_id: int, counter: BadgeCounter, idempotency_key: str
) -> list[BadgeAward]:
    """Count one more of `counter` for the user, once per key; returns the badges it earned."""
    with transaction.atomic():
        _lock_progress(user_id, counter)
        try:
            with transaction.atomic():
                BadgeProgressStep.objects.create(
                    idempotency_key=idempotency_key,
                    user_id=user_id,
                    counter=counter,
                    created_at=clock.now(),
                )
        except IntegrityError:  # counted before: a redelivered event
            return []
        BadgeProgress.objects.filter(user_id=user_id, counter=counter).update(value=F("value") + 1)
        value = BadgeProgress.objects.get(user_id=user_id, counter=counter).value
        return _award_due(user_id=user_id, counter=counter, value=value)


def badge_progress_set(
    *, user_id: int, counter: BadgeCounter, value: int, only_up: bool = False
) -> list[BadgeAward]:
    """Set a count read from its source (followers), or with `only_up` raise a record (the
    longest streak) — both idempotent by nature. Badges once earned are kept."""
    value = max(int(value), 0)
    with transaction.atomic():
        progress = _lock_progress(user_id, counter)
        if only_up and value <= progress.value:
            return []
        if value != progress.value:
            BadgeProgress.objects.filter(pk=progress.pk).update(value=value)
        return _award_due(user_id=user_id, counter=counter, value=value)


def badge_rule_backfill(*, rule_id: int) -> int:
    """Award an (active) rule to everyone whose count already reached it — for a rule added
    after people qualified. Returns how many were awarded."""
    rule = BadgeRule.objects.filter(pk=rule_id, is_active=True).first()
    if rule is None:
        return 0
    user_ids = list(
        BadgeProgress.objects.filter(counter=rule.counter, value__gte=rule.threshold)
        .exclude(user_id__in=BadgeAward.objects.filter(rule=rule).values("user_id"))
        .values_list("user_id", flat=True)
    )
    awarded = 0
    for user_id in user_ids:
        with transaction.atomic():
            progress = _lock_progress(user_id, BadgeCounter(rule.counter))
            awarded += len(_award_due(user_id=user_id, counter=rule.counter, value=progress.value))
    return awarded


# --- Defaults --------------------------------------------------------------------------------

DEFAULT_LEVELS = (
    # code, name, name_en, threshold, member price level, free shipping, multiplier
    ("member", "普通会员", "Member", 0, "", False, 100),
    ("silver", "白银会员", "Silver", 500, "silver", False, 110),
    ("gold", "黄金会员", "Gold", 2000, "gold", True, 125),
    ("platinum", "铂金会员", "Platinum", 6000, "platinum", True, 150),
)
DEFAULT_BADGES = (
    # code, name, name_en, description, description_en, icon, counter, threshold
    ("first-order", "首单达成", "First order", "完成第一笔订单", "Paid a first order", "🛍️",
     BadgeCounter.ORDERS_PAID, 1),
    ("shopper-10", "购物达人", "Keen shopper", "累计支付 10 笔订单", "Paid 10 orders", "💎",
     BadgeCounter.ORDERS_PAID, 10),
    ("first-note", "初次分享", "First note", "发布第一篇笔记", "Published a first note", "📝",
     BadgeCounter.NOTES, 1),
    ("reviewer-10", "点评达人", "Reviewer", "发表 10 条评价", "Wrote 10 reviews", "⭐",
     BadgeCounter.REVIEWS, 10),
    ("followers-100", "人气之星", "Rising star", "拥有 100 位粉丝", "Has 100 followers", "🌟",
     BadgeCounter.FOLLOWERS, 100),
    ("streak-7", "坚持一周", "Week streak", "连续签到 7 天", "Checked in 7 days in a row", "📅",
     BadgeCounter.CHECKIN_STREAK, 7),
)  # fmt: skip


def levels_defaults_ensure(*, birthday_coupon_template_id: int | None = None) -> int:
    """Create the default levels and badge rules when none exist yet (operators edit them in
    the back office afterwards). Returns how many rows were made."""
    made = 0
    with transaction.atomic():
        if not Level.objects.exists():
            for code, name, name_en, threshold, price_level, free, multiplier in DEFAULT_LEVELS:
                Level.objects.create(
                    code=code,
                    name=name,
                    name_en=name_en,
                    threshold=threshold,
                    member_price_level=price_level,
                    has_free_shipping=free,
                    points_multiplier_percent=multiplier,
                    birthday_coupon_template_id=(
                        birthday_coupon_template_id if threshold >= 2000 else None
                    ),
                )
                made += 1
        if not BadgeRule.objects.exists():
            for position, row in enumerate(DEFAULT_BADGES):
                code, name, name_en, description, description_en, icon, counter, threshold = row
                BadgeRule.objects.create(
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
                made += 1
    return made
