"""Demo check-ins and tasks: the default streak ladder (a 7-day cycle, day 7 with a make-up
card) and task definitions; for demo shoppers, streaks of many lengths (some a month long,
some ending yesterday so today's button is open), streak rewards paid into the points ledger,
one streak restored with a make-up card, and task progress (some tasks ready to claim). Every
write has a fixed key or is skipped when present, so a second run adds nothing."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction

from circlemart.core import clock
from circlemart.growth.calendar import growth_today
from circlemart.growth.checkin.models import (
    CheckIn,
    CheckinAccount,
    MakeUpCardMovement,
    StreakRewardRule,
)
from circlemart.growth.checkin.selectors import streak_reward_for
from circlemart.growth.contracts import Reward, RewardKind
from circlemart.growth.rewards import reward_grant
from circlemart.growth.tasks_centre.contracts import TaskEvent, TaskKind
from circlemart.growth.tasks_centre.models import TaskDefinition
from circlemart.growth.tasks_centre.services import task_event_record

MAX_USERS = 40
LADDER = [(1, 5, 0), (2, 5, 0), (3, 10, 0), (4, 10, 0), (5, 15, 0), (6, 15, 0), (7, 30, 1)]
# Streak length by shopper index (mod 8); odd indexes stopped yesterday (today still open).
STREAKS = [30, 21, 12, 7, 5, 3, 2, 0]
MADE_UP_INDEX = 1  # this shopper missed a day and filled it with a make-up card
# code, kind, zh title, en title, event, target, points, make-up cards
TASKS = [
    ("complete_profile", TaskKind.NEWCOMER, "完善个人资料", "Complete your profile",
     TaskEvent.PROFILE_COMPLETED, 1, 20, 0),
    ("follow_3", TaskKind.NEWCOMER, "关注 3 位好友", "Follow 3 people",
     TaskEvent.USER_FOLLOWED, 3, 30, 0),
    ("first_note", TaskKind.NEWCOMER, "发布第一篇笔记", "Publish your first note",
     TaskEvent.NOTE_PUBLISHED, 1, 30, 0),
    ("first_order", TaskKind.NEWCOMER, "完成首单", "Pay your first order",
     TaskEvent.ORDER_PAID, 1, 100, 1),
    ("daily_checkin", TaskKind.DAILY, "每日签到", "Check in today",
     TaskEvent.CHECKED_IN, 1, 5, 0),
    ("like_3", TaskKind.DAILY, "点赞 3 篇笔记", "Like 3 notes", TaskEvent.NOTE_LIKED, 3, 10, 0),
    ("comment_1", TaskKind.DAILY, "发表 1 条评论", "Post a comment",
     TaskEvent.COMMENT_POSTED, 1, 10, 0),
    ("share_1", TaskKind.DAILY, "分享 1 篇笔记", "Share a note", TaskEvent.NOTE_SHARED, 1, 10, 0),
    ("checkin_5", TaskKind.WEEKLY, "本周签到 5 天", "Check in 5 days this week",
     TaskEvent.CHECKED_IN, 5, 20, 1),
    ("review_1", TaskKind.WEEKLY, "发表 1 条评价", "Review a product",
     TaskEvent.REVIEW_PUBLISHED, 1, 30, 0),
]  # fmt: skip


def _definitions() -> None:
    for day, points, cards in LADDER:
        StreakRewardRule.objects.get_or_create(
            streak_day=day, defaults={"points": points, "make_up_cards": cards}
        )
    for position, (code, kind, title, title_en, event, target, points, cards) in enumerate(TASKS):
        TaskDefinition.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind,
                "title": title,
                "title_en": title_en,
                "event": event,
                "target": target,
                "points": points,
                "make_up_cards": cards,
                "position": position,
            },
        )


def _streak_days(index: int, today: date) -> tuple[list[date], date | None]:
    """The days shopper `index` checked in, and the one filled with a card (if any)."""
    length = STREAKS[index % len(STREAKS)]
    end = today - timedelta(days=1) if index % 2 else today
    days = [end - timedelta(days=offset) for offset in range(length)][::-1]
    made_up = days[len(days) // 2] if index == MADE_UP_INDEX and len(days) > 2 else None
    return days, made_up


@transaction.atomic
def _seed_streak(index: int, user_id: int, today: date) -> int:
    if CheckIn.objects.filter(user_id=user_id).exists():
        return 0
    days, made_up = _streak_days(index, today)
    now = clock.now()
    CheckinAccount.objects.get_or_create(user_id=user_id)
    for streak, day in enumerate(days, start=1):
        CheckIn.objects.create(
            user_id=user_id, day=day, streak=streak, is_make_up=day == made_up, created_at=now
        )
        reward = streak_reward_for(streak)
        if reward is None or day == made_up:
            continue
        if reward.points:
            reward_grant(
                user_id=user_id,
                reward=Reward(kind=RewardKind.POINTS, points=reward.points),
                reason="checkin_streak",
                idempotency_key=f"checkin:{user_id}:{day.isoformat()}",
                reference=f"day:{day.isoformat()}",
            )
        if reward.make_up_cards:
            MakeUpCardMovement.objects.create(
                user_id=user_id,
                delta=reward.make_up_cards,
                reason="streak",
                reference=f"day:{day.isoformat()}",
                idempotency_key=f"checkin-cards:{user_id}:{day.isoformat()}",
                created_at=now,
            )
    cards = sum(MakeUpCardMovement.objects.filter(user_id=user_id).values_list("delta", flat=True))
    if made_up is not None:
        MakeUpCardMovement.objects.create(
            user_id=user_id,
            delta=1,
            reason="task",
            reference="seed",
            idempotency_key=f"seed-checkin-card:{user_id}",
            created_at=now,
        )
        MakeUpCardMovement.objects.create(
            user_id=user_id,
            delta=-1,
            reason="make_up",
            reference=f"day:{made_up.isoformat()}",
            idempotency_key=f"checkin-make-up:{user_id}:{made_up.isoformat()}",
            created_at=now,
        )
    CheckinAccount.objects.filter(user_id=user_id).update(
        make_up_cards=cards, longest_streak=len(days), total_days=len(days)
    )
    return len(days)


def _seed_tasks(
    rng: random.Random, index: int, user_id: int, others: list[int], today: date
) -> None:
    """Follows of other demo shoppers towards "follow 3" (every third shopper can claim it),
    and a like or two towards today's "like 3"."""
    follows = (index % 3) + 1
    for other in rng.sample(others, k=min(follows, len(others))):
        task_event_record(
            user_id=user_id, event=TaskEvent.USER_FOLLOWED, object_key=f"user:{other}", day=today
        )
    for note in range(index % 3):
        task_event_record(
            user_id=user_id, event=TaskEvent.NOTE_LIKED, object_key=f"note:seed{note}", day=today
        )


def seed_checkin(*, rng: random.Random, user_ids: list[int], progress: bool = True) -> str:
    _definitions()
    today = growth_today()
    shoppers = user_ids[:MAX_USERS]
    days = 0
    for index, user_id in enumerate(shoppers):
        days += _seed_streak(index, user_id, today)
        # The seed writes check-ins without their events: count this week's towards the
        # daily and weekly check-in tasks as the handler would.
        week_start = today - timedelta(days=today.weekday())
        for day in CheckIn.objects.filter(
            user_id=user_id, day__gte=week_start, is_make_up=False
        ).values_list("day", flat=True):
            task_event_record(
                user_id=user_id, event=TaskEvent.CHECKED_IN, object_key=f"day:{day}", day=day
            )
        others = [other for other in shoppers if other != user_id]
        _seed_tasks(rng, index, user_id, others, today)
    return f"{days} check-in days"
