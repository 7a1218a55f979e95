"""Hand-built event sets, stored through events_record, exported with warehouse.duck.sync()
and read back with connect(): the analyses are tested over the real pipeline."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from circlemart.analytics.catalogue import CATALOGUE
from circlemart.analytics.contracts import EventRecord
from circlemart.analytics.services import events_record
from circlemart.analytics.warehouse import duck
from circlemart.analytics.warehouse.export import events_export

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


def at(text: str) -> datetime:
    """ "2026-03-02 10:00" in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event(
    name: str,
    when: datetime,
    *,
    user: int | None = None,
    anon: str = "",
    session: str = "",
    object_id: str = "",
    amount: int | None = None,
) -> EventRecord:
    return EventRecord(
        name=name,
        occurred_at=when,
        origin=CATALOGUE[name].origin.value,
        event_id=uuid.uuid4(),
        user_id=user,
        anonymous_id=anon,
        session_id=session,
        object_id=object_id,
        amount=amount,
        currency="CNY" if amount is not None else "",
    )


def minutes(count: float) -> timedelta:
    return timedelta(minutes=count)


@pytest.fixture
def stored(db: None) -> Iterator[Callable[[list[EventRecord]], duckdb.DuckDBPyConnection]]:
    """Store events, export them, and open the warehouse over them."""
    opened: list[duckdb.DuckDBPyConnection] = []

    def store(records: list[EventRecord]) -> duckdb.DuckDBPyConnection:
        events_record(records, historical=True)
        events_export()  # the event half of duck.sync(); snapshots are not needed here
        connection = duck.connect()
        opened.append(connection)
        return connection

    yield store
    for connection in opened:
        connection.close()
