"""Demo levels and badges: the default levels (the gold and platinum ones with a birthday
coupon) and badge rules; for each demo shopper, growth value from their completed orders, a
carried-over amount that spreads shoppers over every level, ten days of check-ins, their
paid-order and follower counts; one in ten has old growth value only (below their level: in
the grace period); a few have their birthday today and get its coupon. Every write has a fixed
key, so a second run adds nothing."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from circlemart.growth.calendar import growth_today
from circlemart.growth.levels import services
from circlemart.growth.levels.contracts import BadgeCounter, GrowthReason
from circlemart.growth.levels.models import BadgeAward, GrowthAccount, GrowthValueEntry
from circlemart.orders import selectors as order_selectors
from circlemart.promotions.coupons import selectors as coupon_selectors
from circlemart.social import selectors as social_selectors

MAX_USERS = 60
ORDERS_PER_USER = 5
CHECKIN_DAYS = 10
# Carried-over growth value by shopper index (mod 10): most are members or silver, some gold,
# one platinum; index 3 earned theirs long ago (outside the window: in the grace period).
CARRIED = {
    0: (5200, 5600),
    1: (0, 300),
    2: (100, 450),
    3: (2200, 2600),
    4: (500, 1500),
    5: (600, 1800),
    6: (200, 480),
    7: (2000, 4500),
    8: (900, 1900),
    9: (6000, 9000),
}
OLD_INDEX = 3


def _birthday_template_id() -> int | None:
    """A public coupon campaign of the demo serves as the birthday gift (a percent or spend
    threshold one: the fixed demo coupon is for newcomers only)."""
    for coupon in coupon_selectors.claimable_coupons(viewer_id=None):
        if coupon.card.kind in ("percent", "threshold") and not coupon.is_sold_out:
            return coupon.card.template_id
    return None


def _add(user_id: int, *, amount: int, reason: GrowthReason, key: str, days_ago: int) -> None:
    if GrowthValueEntry.objects.filter(idempotency_key=key).exists():
        return
    entry = services.growth_value_add(
        user_id=user_id, amount=amount, reason=reason, idempotency_key=key, reference="demo"
    )
    if entry is not None:
        at = entry.created_at - timedelta(days=days_ago)
        GrowthValueEntry.objects.filter(pk=entry.pk).update(created_at=at)


def _seed_user(rng: random.Random, index: int, user_id: int) -> None:
    orders = order_selectors.orders_of_buyer(
        buyer_id=user_id, status="completed", limit=ORDERS_PER_USER
    )
    for order in orders.items:
        money = order_selectors.order_money(order.number)
        if money is None:
            continue
        kept = sum(max(line.total - line.refunded_amount, 0) for line in money.lines)
        services.growth_value_for_order(
            buyer_id=user_id, order_number=order.number, kept_amount=kept
        )
        services.badge_progress_step(
            user_id=user_id,
            counter=BadgeCounter.ORDERS_PAID,
            idempotency_key=f"badge:orders_paid:{order.number}",
        )
    low, high = CARRIED[index % 10]
    carried = rng.randint(low, high)
    if carried:
        days_ago = rng.randint(400, 500) if index % 10 == OLD_INDEX else rng.randint(20, 200)
        _add(
            user_id,
            amount=carried,
            reason=GrowthReason.IMPORTED,
            key=f"seed-levels:{user_id}:carried",
            days_ago=days_ago,
        )
    for day in range(CHECKIN_DAYS, 0, -1):
        if rng.random() < 0.3:
            continue
        _add(
            user_id,
            amount=2,
            reason=GrowthReason.CHECKIN,
            key=f"seed-levels:{user_id}:checkin:{day}",
            days_ago=day,
        )
    services.badge_progress_set(
        user_id=user_id,
        counter=BadgeCounter.FOLLOWERS,
        value=social_selectors.follower_count(user_id),
    )
    services.badge_progress_set(
        user_id=user_id,
        counter=BadgeCounter.CHECKIN_STREAK,
        value=rng.randint(1, 9),
        only_up=True,
    )


def _birthday(rng: random.Random, index: int, today: date) -> date:
    year = 1975 + rng.randint(0, 30)
    if index % 7 == 0:  # some celebrate today (29 February: the 28th, as in other years)
        return date(year, today.month, 28 if (today.month, today.day) == (2, 29) else today.day)
    return date(year, rng.randint(1, 12), rng.randint(1, 28))


def seed_levels(*, rng: random.Random, user_ids: list[int], progress: bool = True) -> str:
    """Returns a short summary ("levels: N members (…), M badges") for the seed's last line."""
    services.levels_defaults_ensure(birthday_coupon_template_id=_birthday_template_id())
    today = growth_today()
    chosen = user_ids[:MAX_USERS]
    salt = rng.randrange(1 << 30)
    for index, user_id in enumerate(chosen):
        # One stream per shopper: what a second run skips never shifts the others' draws.
        own = random.Random(salt + user_id)
        _seed_user(own, index, user_id)
        birthday = _birthday(own, index, today)
        if (
            index % 2 == 0
            and not GrowthAccount.objects.filter(user_id=user_id, birthday__isnull=False).exists()
        ):
            services.level_birthday_set(user_id=user_id, birthday=birthday)
    for user_id in chosen:
        services.level_review(user_id=user_id)
    services.birthday_coupons_grant()
    held = Counter(
        GrowthAccount.objects.filter(user_id__in=chosen).values_list("level__code", flat=True)
    )
    spread = ", ".join(f"{count} {code}" for code, count in sorted(held.items(), key=str))
    badges = BadgeAward.objects.filter(user_id__in=chosen).count()
    return f"levels: {sum(held.values())} members ({spread}), {badges} badges"
