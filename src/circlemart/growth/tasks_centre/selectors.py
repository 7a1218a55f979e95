"""Reads of the task centre: which period a task counts in, and a shopper's own task list."""

from __future__ import annotations

from datetime import date

from circlemart.growth.calendar import growth_today
from circlemart.growth.checkin.selectors import growth_week
from circlemart.growth.tasks_centre.contracts import TaskCard, TaskKind, TaskList
from circlemart.growth.tasks_centre.models import TaskDefinition, TaskProgress


def task_period(kind: str, day: date) -> str:
    """The period a task's progress on `day` (GROWTH_TIME_ZONE) belongs to."""
    if kind == TaskKind.DAILY:
        return day.isoformat()
    if kind == TaskKind.WEEKLY:
        return growth_week(day)
    return ""


def _card(task: TaskDefinition, progress: TaskProgress | None, period: str) -> TaskCard:
    completed = progress is not None and progress.completed_at is not None
    claimed = progress is not None and progress.claimed_at is not None
    return TaskCard(
        code=task.code,
        kind=task.kind,
        title=task.shown_title,
        description=task.description,
        event=task.event,
        target=task.target,
        progress=min(progress.count, task.target) if progress else 0,
        period=period,
        is_completed=completed,
        is_claimed=claimed,
        may_claim=completed and not claimed,
        points=task.points,
        coupon_template_id=task.coupon_template_id,
        make_up_cards=task.make_up_cards,
    )


def task_list(*, user_id: int) -> TaskList:
    """The active tasks with the shopper's progress in the current period of each (two
    queries, whatever the number of tasks)."""
    today = growth_today()
    tasks = list(TaskDefinition.objects.filter(is_active=True).order_by("position", "id"))
    periods = {task.pk: task_period(task.kind, today) for task in tasks}
    rows = {
        (row.task_id, row.period): row
        for row in TaskProgress.objects.filter(
            user_id=user_id, task_id__in=periods, period__in=set(periods.values())
        )
    }
    cards: dict[str, list[TaskCard]] = {kind.value: [] for kind in TaskKind}
    for task in tasks:
        period = periods[task.pk]
        cards[task.kind].append(_card(task, rows.get((task.pk, period)), period))
    return TaskList(
        newcomer=cards[TaskKind.NEWCOMER],
        daily=cards[TaskKind.DAILY],
        weekly=cards[TaskKind.WEEKLY],
    )


def open_claims(*, user_id: int) -> int:
    """How many tasks of the current periods are done and waiting to be claimed."""
    tasks = task_list(user_id=user_id)
    return sum(card.may_claim for card in [*tasks.newcomer, *tasks.daily, *tasks.weekly])
