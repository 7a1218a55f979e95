"""Writes of the task centre: progress counted from domain events (once per object, so a
redelivered event or a repeated follow counts once) and claiming a completed task's reward
(once: a conditional UPDATE of claimed_at decides, then the reward is paid under a key per
shopper, task and period)."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import Conflict, NotFound
from circlemart.core.events import publish
from circlemart.growth.calendar import growth_today
from circlemart.growth.checkin.events import TaskCompleted, TaskRewardClaimed
from circlemart.growth.checkin.services import make_up_cards_grant
from circlemart.growth.contracts import Reward, RewardKind
from circlemart.growth.rewards import reward_grant
from circlemart.growth.tasks_centre import errors
from circlemart.growth.tasks_centre.contracts import TaskClaimed, TaskEvent
from circlemart.growth.tasks_centre.models import TaskDefinition, TaskProgress, TaskStep
from circlemart.growth.tasks_centre.selectors import task_period


def _count(*, task: TaskDefinition, user_id: int, period: str, object_key: str) -> bool:
    """Count `object_key` towards one task; True when this made the task complete."""
    with transaction.atomic():
        progress, _created = TaskProgress.objects.get_or_create(
            user_id=user_id, task=task, period=period
        )
        if progress.completed_at is not None:
            return False
        try:
            with transaction.atomic():
                TaskStep.objects.create(
                    progress=progress, object_key=object_key, created_at=clock.now()
                )
        except IntegrityError:  # this object was already counted
            return False
        grew = TaskProgress.objects.filter(pk=progress.pk, count__lt=task.target).update(
            count=F("count") + 1
        )
        completed = grew and TaskProgress.objects.filter(
            pk=progress.pk, count__gte=task.target, completed_at__isnull=True
        ).update(completed_at=clock.now())
        if completed:
            publish(
                TaskCompleted(
                    user_id=user_id, task_code=task.code, task_kind=task.kind, period=period
                )
            )
        return bool(completed)


def task_event_record(*, user_id: int, event: TaskEvent, object_key: str, day: date) -> list[str]:
    """Count one proven action (`object_key` names its object: "user:12", "note:5") towards
    every active task that counts `event`, in the period `day` falls in. Returns the codes of
    the tasks this completed."""
    completed = []
    for task in TaskDefinition.objects.filter(is_active=True, event=event).order_by("id"):
        period = task_period(task.kind, day)
        if _count(task=task, user_id=user_id, period=period, object_key=object_key):
            completed.append(task.code)
    return completed


def task_claim(*, user_id: int, code: str) -> TaskClaimed:
    """Pay a completed task's reward, once. Refused with 404 (unknown task) or 409 (not yet
    completed in this period, or already claimed) naming the field `task`; a coupon that
    can no longer be given refuses the claim with its 409 and leaves the task claimable."""
    task = TaskDefinition.objects.filter(code=code, is_active=True).first()
    if task is None:
        raise NotFound(_("This task does not exist."), code=errors.TASK_NOT_FOUND, field="task")
    period = task_period(task.kind, growth_today())
    mine = TaskProgress.objects.filter(user_id=user_id, task=task, period=period)
    with transaction.atomic():
        claimed = mine.filter(completed_at__isnull=False, claimed_at__isnull=True).update(
            claimed_at=clock.now()
        )
        if not claimed:
            if mine.filter(claimed_at__isnull=False).exists():
                raise Conflict(
                    _("You have already claimed this reward."),
                    code=errors.TASK_ALREADY_CLAIMED,
                    field="task",
                )
            raise Conflict(
                _("Finish the task first."), code=errors.TASK_NOT_COMPLETED, field="task"
            )
        key = f"{user_id}:{task.code}:{period or 'once'}"
        reference = f"task:{task.code}"
        if task.points:
            reward_grant(
                user_id=user_id,
                reward=Reward(kind=RewardKind.POINTS, points=task.points),
                reason="task",
                idempotency_key=f"task:{key}",
                reference=reference,
            )
        if task.coupon_template_id:
            reward_grant(
                user_id=user_id,
                reward=Reward(kind=RewardKind.COUPON, coupon_template_id=task.coupon_template_id),
                reason="task",
                idempotency_key=f"task-coupon:{key}",
                reference=reference,
            )
        if task.make_up_cards:
            make_up_cards_grant(
                user_id=user_id,
                count=task.make_up_cards,
                reason="task",
                reference=reference,
                idempotency_key=f"task-cards:{key}",
            )
        publish(
            TaskRewardClaimed(
                user_id=user_id,
                task_code=task.code,
                task_kind=task.kind,
                period=period,
                points=task.points,
                coupon_template_id=task.coupon_template_id,
            )
        )
    return TaskClaimed(
        code=task.code,
        period=period,
        points=task.points,
        coupon_template_id=task.coupon_template_id,
        make_up_cards=task.make_up_cards,
    )
