"""Races on real PostgreSQL with real threads: one open review item however many report it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from circlemart.moderation import services
from circlemart.moderation.models import Report, ReviewItem

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def runner(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # kept for the assertion, not lost in the thread
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_twenty_concurrent_reports_make_one_open_item(settings):
    settings.MODERATION_REPORT_PRIORITY_STEP = 10

    def report(index: int) -> int:
        return services.report_create(
            reporter_id=1000 + index,
            content_type="note",
            content_id=77,
            author_id=1,
            excerpt="加微信",
            reason="spam",
        )

    results = run_together(20, report)
    assert [type(result) for result in results] == [int] * 20, results
    item = ReviewItem.objects.get()
    assert (item.status, item.report_count, item.priority) == ("open", 20, 200)
    assert Report.objects.filter(review_item=item).count() == 20


def test_concurrent_submissions_and_reports_share_one_item():
    def work(index: int) -> int:
        if index % 2:
            return services.review_submit(
                content_type="comment", content_id=5, author_id=1, excerpt="x", reason="filter"
            )
        return services.report_create(
            reporter_id=2000 + index,
            content_type="comment",
            content_id=5,
            author_id=1,
            excerpt="x",
            reason="abuse",
        )

    results = run_together(10, work)
    assert [type(result) for result in results] == [int] * 10, results
    item = ReviewItem.objects.get()
    assert item.report_count == 5
    assert {results[index] for index in range(1, 10, 2)} == {item.pk}


def test_one_report_per_reporter_under_a_race():
    def work(index: int) -> int:
        return services.report_create(
            reporter_id=3000,
            content_type="note",
            content_id=9,
            author_id=1,
            excerpt="x",
            reason="spam",
        )

    results = run_together(8, work)
    assert sum(isinstance(result, int) for result in results) == 1
    assert all(
        isinstance(result, int) or getattr(result, "code", "") == "already_reported"
        for result in results
    ), results
    assert ReviewItem.objects.get().report_count == 1
