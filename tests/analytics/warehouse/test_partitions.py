"""The event log partitioned by month on PostgreSQL (migration 0004 and
analytics.ensure_partitions)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, connections, transaction

from circlemart.analytics.models import Event
from circlemart.analytics.warehouse import export, partitions
from circlemart.core import clock
from tests.analytics.warehouse.helpers import exported_ids, record

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _partition_of(event_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM analytics_event WHERE id = %s", [event_id]
        )
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


def _event(occurred_at: datetime, event_id: uuid.UUID | None = None) -> Event:
    return Event(
        event_id=event_id or uuid.uuid4(),
        name="order_paid",
        origin="server",
        occurred_at=occurred_at,
        received_at=clock.now(),
    )


def test_the_event_log_is_partitioned_by_month_with_a_default_partition() -> None:
    this_month = clock.now().date().replace(day=1)
    expected = {
        partitions.partition_name(partitions.month_add(this_month, offset))
        for offset in range(-1, 4)
    }

    assert partitions.is_partitioned(connection)
    names = set(partitions.partitions_of(connection))
    assert expected | {"analytics_event_default"} <= names
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_partkeydef('analytics_event'::regclass),"
            " (SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            "  WHERE conrelid = 'analytics_event'::regclass AND contype = 'p')"
        )
        assert cursor.fetchone() == ("RANGE (occurred_at)", "PRIMARY KEY (id, occurred_at)")


def test_events_land_in_the_partition_of_their_month() -> None:
    now = clock.now()
    last_month = now.replace(day=1) - timedelta(days=1)
    this_id, last_id = record([now - timedelta(minutes=1), last_month])

    assert _partition_of(this_id) == partitions.partition_name(now.date().replace(day=1))
    assert _partition_of(last_id) == partitions.partition_name(last_month.date().replace(day=1))


def test_duplicates_are_still_refused_across_the_partitioned_table() -> None:
    moment = clock.now() - timedelta(minutes=5)
    same = uuid.uuid4()
    Event.objects.bulk_create([_event(moment, same)])

    with transaction.atomic(), pytest.raises(IntegrityError):
        Event.objects.bulk_create([_event(moment, same)])
    Event.objects.bulk_create([_event(moment, same)], ignore_conflicts=True)

    assert Event.objects.filter(event_id=same).count() == 1


def test_bulk_create_and_create_get_increasing_ids_back() -> None:
    moment = clock.now()
    created = Event.objects.bulk_create([_event(moment), _event(moment - timedelta(days=40))])
    single = Event.objects.create(
        **{
            field: getattr(_event(moment), field)
            for field in ("event_id", "name", "origin", "occurred_at", "received_at")
        }
    )

    ids = [event.pk for event in created]
    assert None not in ids
    assert ids[0] < ids[1] < single.pk
    assert Event.objects.filter(pk__in=[*ids, single.pk]).count() == 3


def test_old_events_wait_in_the_default_partition_until_their_month_is_created() -> None:
    long_ago = datetime(2010, 12, 1, 8, 26, tzinfo=UTC)
    [event_id] = record([long_ago])
    assert _partition_of(event_id) == "analytics_event_default"

    created = partitions.partitions_ensure()

    assert created == ["analytics_event_p201012"]
    assert _partition_of(event_id) == "analytics_event_p201012"
    assert Event.objects.get(pk=event_id).occurred_at == long_ago
    stored = Event.objects.get(pk=event_id)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Event.objects.bulk_create([_event(long_ago, stored.event_id)])
    assert partitions.partitions_ensure() == []


def test_the_months_ahead_are_created_by_the_periodic_task() -> None:
    far = date(2031, 5, 17)

    created = partitions.partitions_ensure(today=far)

    assert created[-4:] == [
        "analytics_event_p203105",
        "analytics_event_p203106",
        "analytics_event_p203107",
        "analytics_event_p203108",
    ]
    [event_id] = record([datetime(2031, 7, 2, tzinfo=UTC)])
    assert _partition_of(event_id) == "analytics_event_p203107"


@pytest.mark.django_db(transaction=True)
def test_an_id_committed_after_a_higher_one_is_not_skipped(
    warehouse_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real concurrent transactions: the lower id commits after the higher one was visible."""
    inserted, release = threading.Event(), threading.Event()
    slow_id: list[int] = []

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                slow_id.extend(record([clock.now() - timedelta(minutes=1)]))
                inserted.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert inserted.wait(timeout=30)
    [fast_id] = record([clock.now() - timedelta(minutes=1)])  # committed, higher id
    assert fast_id > slow_id[0]

    early = export.events_export(grace=timedelta(seconds=30))

    release.set()
    writer.join(timeout=30)
    assert (early.rows, early.position) == (0, 0)
    later = clock.now() + timedelta(seconds=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    done = export.events_export(grace=timedelta(seconds=30))
    assert (done.rows, done.position) == (2, fast_id)
    assert exported_ids(warehouse_dir) == [slow_id[0], fast_id]
