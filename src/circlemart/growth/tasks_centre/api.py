"""Task centre API (mounted by growth.api at /api/v1/growth/tasks): my tasks with progress in
the current period, and claiming a completed task's reward (once; 409 otherwise)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from circlemart.core.web import signed_in_id
from circlemart.growth.tasks_centre import selectors, services
from circlemart.growth.tasks_centre.schemas import TaskClaimedOut, TaskListOut

router = Router(tags=["growth"])


@router.get("", response=TaskListOut, summary="My tasks: newcomer, daily, weekly, with progress")
def tasks(request: HttpRequest) -> dict[str, Any]:
    return dataclasses.asdict(selectors.task_list(user_id=signed_in_id(request)))


@router.post(
    "/{code}/claim", response={201: TaskClaimedOut}, summary="Claim a completed task's reward"
)
def claim(request: HttpRequest, code: str) -> Status[Any]:
    claimed = services.task_claim(user_id=signed_in_id(request), code=code)
    return Status(201, dataclasses.asdict(claimed))
