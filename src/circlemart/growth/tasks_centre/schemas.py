"""Response shapes of the task centre API, derived from its contracts."""

from __future__ import annotations

from ninja import Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.growth.tasks_centre.contracts import TaskCard, TaskClaimed, TaskList


@derived_from(TaskCard)
class TaskCardOut(Schema): ...


@derived_from(TaskList, nested={TaskCard: TaskCardOut})
class TaskListOut(Schema): ...


@derived_from(TaskClaimed)
class TaskClaimedOut(Schema): ...
