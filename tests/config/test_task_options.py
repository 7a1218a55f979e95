"""Every registered Celery task's options hold under the real Celery configuration, and every
task of ours can really be sent: Celery refuses to send a task whose soft time limit exceeds
its hard one, and the caller (an on-commit hook) only logs it — the task is never queued."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Task
from kombu import Connection

from circlemart.config import celery_settings
from circlemart.config.celery import app
from circlemart.config.celery_settings import embedded_broker_options
from circlemart.config.embedded_broker import SCHEME

# The apps whose tasks the worker discovers (circlemart.config.celery).
OUR_PREFIXES = (
    "core.",
    "analytics.",
    "accounts.",
    "social.",
    "search.",
    "moderation.",
    "notifications.",
    "cart.",
    "orders.",
    "payments.",
    "promotions.",
    "reviews.",
    "growth.",
    "live.",
    "recommend.",
)


def registered() -> dict[str, Task]:
    app.loader.import_default_modules()
    return dict(sorted(app.tasks.items()))


def ours() -> dict[str, Task]:
    return {name: task for name, task in registered().items() if not name.startswith("celery.")}


def test_the_global_limits_leave_room_for_the_soft_one():
    assert 0 < celery_settings.task_soft_time_limit < celery_settings.task_time_limit
    assert app.conf.task_soft_time_limit == celery_settings.task_soft_time_limit
    assert app.conf.task_time_limit == celery_settings.task_time_limit


def test_every_registered_task_has_a_soft_limit_below_its_hard_limit():
    problems = []
    for name, task in registered().items():
        soft, hard = task.soft_time_limit, task.time_limit
        if not soft or not hard:
            problems.append(f"{name}: soft_time_limit={soft}, time_limit={hard} (both needed)")
        elif soft >= hard:
            # soft > hard: Celery refuses to send it; soft == hard: no time to clean up.
            problems.append(f"{name}: soft_time_limit={soft} >= time_limit={hard}")
    assert problems == []
    assert {"social.feed_backfill_author", "social.feed_forget_author"} <= set(registered())


def test_every_task_of_ours_is_named_for_its_app_and_retries_a_bounded_number_of_times():
    tasks = ours()
    assert len(tasks) >= 15  # discovery worked
    problems = [name for name in tasks if not name.startswith(OUR_PREFIXES)]
    for name, task in tasks.items():
        if task.max_retries is None:
            problems.append(f"{name}: retries forever")
        if getattr(task, "autoretry_for", ()) and not 0 < task.max_retries <= 10:
            problems.append(f"{name}: autoretry with max_retries={task.max_retries}")
        if not task.acks_late:
            problems.append(f"{name}: acknowledged before it runs (lost if the worker dies)")
    assert problems == []


def test_every_scheduled_task_is_registered():
    scheduled = {entry["task"] for entry in celery_settings.beat_schedule.values()}
    assert scheduled - set(registered()) == set()


def arguments_for(task: Task) -> tuple[list[Any], dict[str, Any]]:
    """Ids for every required parameter: tasks take ids (CONVENTIONS.md)."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for parameter in inspect.signature(task.run).parameters.values():
        if parameter.default is not inspect.Parameter.empty or parameter.kind in {
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        }:
            continue
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = 1
        else:
            args.append(1)
    return args, kwargs


@pytest.fixture
def embedded_queue(tmp_path: Path) -> Iterator[Any]:
    """A producer on the embedded broker in a folder of this test, tasks really sent."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    options = embedded_broker_options(tmp_path)
    try:
        with Connection(f"{SCHEME}://localhost/", transport_options=options) as connection:
            yield app.amqp.Producer(connection), tmp_path / "queue"
    finally:
        app.conf.task_always_eager = eager


def test_every_task_of_ours_can_be_sent_with_its_limits(embedded_queue):
    producer, queue = embedded_queue
    tasks = ours()
    refused = {}
    for name, task in tasks.items():
        args, kwargs = arguments_for(task)
        try:
            task.apply_async(args, kwargs, producer=producer)
        except ValueError as error:
            refused[name] = str(error)
    assert refused == {}

    sent = {}
    for path in queue.iterdir():
        headers = json.loads(path.read_text())["headers"]
        sent[headers["task"]] = headers["timelimit"]
    assert sent == {name: [task.time_limit, task.soft_time_limit] for name, task in tasks.items()}
    assert sent["social.feed_backfill_author"] == [60, 50]
