"""Follow, unfollow and block really send their feed tasks once the transaction commits (they
used to fail Celery's own check of their time limits, and the on-commit hook only logged it)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from circlemart.config.celery import app
from circlemart.social import services
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_tasks() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """social tasks handed to the broker (the port), after Celery's checks in apply_async."""
    sent: list[tuple[str, dict[str, Any]]] = []
    eager = app.conf.task_always_eager
    send_task = app.send_task

    def record(name: str, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        if name.startswith("social."):  # not the outbox relay the events also ask for
            sent.append((name, dict(kwargs or {})))

    app.conf.task_always_eager = False
    app.send_task = record
    try:
        yield sent
    finally:
        app.send_task = send_task
        app.conf.task_always_eager = eager


def test_follow_unfollow_and_block_send_the_feed_tasks(
    sent_tasks, django_capture_on_commit_callbacks, caplog
):
    alice, bob = UserFactory(), UserFactory()
    caplog.set_level(logging.ERROR)

    with django_capture_on_commit_callbacks(execute=True):
        services.follow_create(follower_id=alice.pk, followee_id=bob.pk)
    assert sent_tasks == [
        ("social.feed_backfill_author", {"user_id": alice.pk, "author_id": bob.pk})
    ]

    sent_tasks.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.follow_delete(follower_id=alice.pk, followee_id=bob.pk)
    assert sent_tasks == [("social.feed_forget_author", {"user_id": alice.pk, "author_id": bob.pk})]

    services.follow_create(follower_id=alice.pk, followee_id=bob.pk)
    services.follow_create(follower_id=bob.pk, followee_id=alice.pk)
    sent_tasks.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.block_create(blocker_id=alice.pk, blocked_id=bob.pk)
    assert sent_tasks == [
        ("social.feed_forget_author", {"user_id": alice.pk, "author_id": bob.pk}),
        ("social.feed_forget_author", {"user_id": bob.pk, "author_id": alice.pk}),
    ]
    assert [record.getMessage() for record in caplog.records] == []
