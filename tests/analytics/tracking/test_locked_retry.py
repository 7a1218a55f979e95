"""A batch meeting SQLite's "table is locked" is written again, a few times, not lost; any
other database error is not hidden."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from circlemart.analytics.contracts import RecordResult
from circlemart.analytics.tracking import services


def test_a_locked_table_is_retried_until_the_write_goes_through() -> None:
    attempts: list[int] = []

    def write() -> RecordResult:
        attempts.append(1)
        if len(attempts) < 3:
            raise OperationalError("database table is locked: analytics_event")
        return RecordResult(stored=2, duplicates=0)

    assert services._retried_while_locked(write) == RecordResult(stored=2, duplicates=0)
    assert len(attempts) == 3


def test_other_errors_and_a_lock_that_stays_are_raised() -> None:
    def broken() -> RecordResult:
        raise OperationalError("no such table: analytics_event")

    def locked() -> RecordResult:
        raise OperationalError("database table is locked")

    with pytest.raises(OperationalError, match="no such table"):
        services._retried_while_locked(broken)
    with pytest.raises(OperationalError, match="locked"):
        services._retried_while_locked(locked)
