"""The transactional outbox: written with the change, relayed after commit, at least once,
ordered per aggregate, retried with back-off, idempotent by event id."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction

from circlemart.core import clock, events
from circlemart.core.events import (
    DeliveredEvent,
    DomainEvent,
    handlers_for,
    handles,
    pending_count,
    publish,
    rebuild,
    register_event,
    relay_pending,
    retry_delay,
)
from circlemart.core.models import HandlerReceipt, OutboxEvent

PENDING = OutboxEvent.Status.PENDING
DELIVERED = OutboxEvent.Status.DELIVERED
DEAD = OutboxEvent.Status.DEAD
T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

RECORDER = "tests.core.test_events.record_scan"
REFUSER = "tests.core.test_events.refuse_when_told"


@register_event
@dataclass(frozen=True)
class ParcelScanned(DomainEvent):
    event_type = "test.ParcelScanned"
    aggregate_type = "parcel"

    parcel_id: str
    label: str

    def aggregate_id(self) -> str:
        return self.parcel_id


@register_event
@dataclass(frozen=True)
class GroupRequested(DomainEvent):
    event_type = "test.GroupRequested"
    aggregate_type = "group"

    name: str

    def aggregate_id(self) -> str:
        return self.name


@dataclass(frozen=True)
class NeverRegistered(DomainEvent):
    event_type = "test.NeverRegistered"
    aggregate_type = "nothing"

    def aggregate_id(self) -> str:
        return "0"


# What the handlers saw, and which labels they must refuse. Reset before every test.
scanned: list[str] = []  # labels, in the order record_scan ran
completed: list[str] = []  # labels whose last handler succeeded
refusals: list[str] = []  # labels refuse_when_told refused
failing: set[str] = set()


@handles(ParcelScanned)
def record_scan(delivered: DeliveredEvent) -> None:
    assert isinstance(delivered.event, ParcelScanned)
    scanned.append(delivered.event.label)


@handles(ParcelScanned)
def refuse_when_told(delivered: DeliveredEvent) -> None:
    assert isinstance(delivered.event, ParcelScanned)
    if delivered.event.label in failing:
        refusals.append(delivered.event.label)
        raise RuntimeError(f"cannot scan {delivered.event.label}")
    completed.append(delivered.event.label)


@handles(GroupRequested)
def create_group_then_maybe_fail(delivered: DeliveredEvent) -> None:
    assert isinstance(delivered.event, GroupRequested)
    Group.objects.create(name=delivered.event.name)
    if delivered.event.name in failing:
        raise RuntimeError("the group service is down")


@pytest.fixture(autouse=True)
def _reset_handler_state():
    for collected in (scanned, completed, refusals, failing):
        collected.clear()
    yield
    for collected in (scanned, completed, refusals, failing):
        collected.clear()


class FrozenClock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def frozen_clock(monkeypatch):
    frozen = FrozenClock(T0)
    monkeypatch.setattr(clock, "now", frozen)
    return frozen


def scan(parcel_id: str, label: str) -> OutboxEvent:
    with transaction.atomic():
        return publish(ParcelScanned(parcel_id=parcel_id, label=label))


def row_of(label: str) -> OutboxEvent:
    return OutboxEvent.objects.get(payload__label=label)


def receipts_of(row: OutboxEvent) -> list[str]:
    return sorted(HandlerReceipt.objects.filter(event=row).values_list("handler", flat=True))


# --- publishing ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match=r"^publish\(\) must be called inside"):
        publish(ParcelScanned(parcel_id="p1", label="A"))
    assert OutboxEvent.objects.count() == 0


@pytest.mark.django_db
def test_publish_refuses_an_event_type_nobody_registered():
    unregistered = r"^NeverRegistered is not registered \(@register_event\)$"
    with transaction.atomic(), pytest.raises(ValueError, match=unregistered):
        publish(NeverRegistered())
    assert OutboxEvent.objects.count() == 0


@pytest.mark.django_db
def test_publish_writes_the_event_row_in_the_callers_transaction(frozen_clock):
    with transaction.atomic():
        row = publish(ParcelScanned(parcel_id="p-42", label="first scan"))
        # visible inside the transaction that made the change
        assert OutboxEvent.objects.filter(pk=row.pk).exists()

    stored = OutboxEvent.objects.get()
    assert stored.event_type == "test.ParcelScanned"
    assert stored.aggregate_type == "parcel"
    assert stored.aggregate_id == "p-42"
    assert stored.payload == {"parcel_id": "p-42", "label": "first scan"}
    assert stored.status == PENDING
    assert stored.attempts == 0
    assert stored.occurred_at == T0
    assert stored.available_at == T0
    assert stored.delivered_at is None
    assert stored.last_error == ""
    assert pending_count() == 1


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_event_and_schedules_no_relay(
    django_capture_on_commit_callbacks,
):
    class Refused(Exception):
        pass

    def change_then_refuse() -> None:
        with transaction.atomic():
            Group.objects.create(name="buyers")
            publish(ParcelScanned(parcel_id="p1", label="A"))
            raise Refused

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Refused):
        change_then_refuse()

    assert OutboxEvent.objects.count() == 0
    assert not Group.objects.filter(name="buyers").exists()
    assert callbacks == []


@pytest.mark.django_db
def test_the_relay_runs_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            publish(ParcelScanned(parcel_id="p1", label="A"))
        # committed from the caller's point of view, but the relay waits for the real commit
        assert scanned == []
        assert row_of("A").status == PENDING

    assert len(callbacks) == 1
    # CELERY_TASK_ALWAYS_EAGER: the relay task ran in-process when the callback fired
    assert scanned == ["A"]
    assert completed == ["A"]
    assert row_of("A").status == DELIVERED


# --- relaying ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_relay_delivers_each_event_to_every_handler(frozen_clock):
    scan("p1", "A")
    scan("p2", "B")
    frozen_clock.advance(seconds=5)

    assert relay_pending() == 2

    assert scanned == ["A", "B"]
    assert completed == ["A", "B"]
    for label in ("A", "B"):
        row = row_of(label)
        assert row.status == DELIVERED
        assert row.delivered_at == T0 + timedelta(seconds=5)
        assert row.attempts == 0
        assert receipts_of(row) == [RECORDER, REFUSER]
    assert pending_count() == 0
    # nothing left: a second relay finds no work
    assert relay_pending() == 0
    assert scanned == ["A", "B"]


@pytest.mark.django_db
def test_handlers_receive_the_rebuilt_event_with_its_outbox_identity(frozen_clock):
    original = ParcelScanned(parcel_id="p9", label="Z")
    with transaction.atomic():
        row = publish(original)

    delivered = rebuild(OutboxEvent.objects.get(pk=row.pk))

    assert delivered.event == original
    assert delivered.event_id == row.event_id
    assert delivered.occurred_at == T0


@pytest.mark.django_db
def test_a_failing_handler_is_retried_with_back_off_and_keeps_the_error(frozen_clock):
    failing.add("A")
    scan("p1", "A")

    assert relay_pending() == 0

    row = row_of("A")
    assert row.status == PENDING
    assert row.attempts == 1
    assert row.available_at == T0 + timedelta(seconds=2)
    assert row.last_error == f"{REFUSER}: RuntimeError: cannot scan A"
    assert row.delivered_at is None
    # the handler that succeeded keeps its receipt; the failed one left none
    assert receipts_of(row) == [RECORDER]
    assert refusals == ["A"]

    # not due yet: nothing runs, nothing changes
    frozen_clock.advance(seconds=1)
    assert relay_pending() == 0
    assert refusals == ["A"]
    row.refresh_from_db()
    assert (row.attempts, row.available_at) == (1, T0 + timedelta(seconds=2))

    # due and still failing: the delay doubles
    frozen_clock.advance(seconds=1)
    assert relay_pending() == 0
    row.refresh_from_db()
    assert row.attempts == 2
    assert row.available_at == T0 + timedelta(seconds=2 + 4)
    assert refusals == ["A", "A"]

    # the failure clears: the event is delivered, and only the missing handler runs again
    failing.clear()
    frozen_clock.advance(seconds=4)
    assert relay_pending() == 1
    row.refresh_from_db()
    assert row.status == DELIVERED
    assert row.attempts == 2
    assert row.delivered_at == T0 + timedelta(seconds=6)
    assert scanned == ["A"]
    assert completed == ["A"]
    assert receipts_of(row) == [RECORDER, REFUSER]


@pytest.mark.django_db
def test_a_failed_handler_leaves_none_of_its_writes_behind(frozen_clock):
    failing.add("buyers")
    with transaction.atomic():
        publish(GroupRequested(name="buyers"))

    assert relay_pending() == 0
    # rolled back with the handler's savepoint
    assert not Group.objects.filter(name="buyers").exists()
    row = OutboxEvent.objects.get()
    assert row.last_error == (
        "tests.core.test_events.create_group_then_maybe_fail: "
        "RuntimeError: the group service is down"
    )

    failing.clear()
    frozen_clock.advance(seconds=2)
    assert relay_pending() == 1
    assert Group.objects.filter(name="buyers").count() == 1


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(0, 1), (1, 2), (2, 4), (3, 8), (10, 1024), (11, 2048), (12, 3600), (40, 3600)],
)
def test_retry_delay_doubles_and_is_capped_at_one_hour(attempts, seconds):
    assert retry_delay(attempts) == timedelta(seconds=seconds)


@pytest.mark.django_db
def test_an_event_goes_dead_after_the_maximum_attempts(frozen_clock, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    failing.add("A")
    scan("p1", "A")

    for expected_attempts in (1, 2):
        assert relay_pending() == 0
        row = row_of("A")
        assert (row.status, row.attempts) == (PENDING, expected_attempts)
        frozen_clock.advance(hours=2)

    assert relay_pending() == 0
    row = row_of("A")
    assert row.status == DEAD
    assert row.attempts == 3
    assert row.last_error == f"{REFUSER}: RuntimeError: cannot scan A"
    assert pending_count() == 0

    # dead is final: later relays leave it alone even once the handler would succeed
    failing.clear()
    frozen_clock.advance(hours=2)
    assert relay_pending() == 0
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DEAD, 3)
    assert refusals == ["A", "A", "A"]
    assert completed == []


@pytest.mark.django_db
def test_a_stuck_event_blocks_later_events_of_its_aggregate_only(frozen_clock):
    failing.add("A1")
    scan("parcel-1", "A1")
    scan("parcel-1", "A2")
    scan("parcel-2", "B1")

    assert relay_pending() == 1

    assert completed == ["B1"]
    assert row_of("B1").status == DELIVERED
    first, second = row_of("A1"), row_of("A2")
    assert (first.status, first.attempts) == (PENDING, 1)
    # the later event of the same aggregate was not even attempted
    assert (second.status, second.attempts) == (PENDING, 0)
    assert receipts_of(second) == []
    assert "A2" not in scanned

    # still blocked while the first one waits out its back-off
    assert relay_pending() == 0
    assert row_of("A2").attempts == 0

    failing.clear()
    frozen_clock.advance(seconds=2)
    assert relay_pending() == 2
    assert completed == ["B1", "A1", "A2"]
    assert scanned == ["A1", "B1", "A2"]
    assert set(OutboxEvent.objects.values_list("status", flat=True)) == {DELIVERED}


@pytest.mark.django_db
def test_redelivery_does_not_run_handlers_again(frozen_clock):
    scan("p1", "A")
    assert relay_pending() == 1

    # an operator requeues it (or a relay crashed before recording the delivery)
    OutboxEvent.objects.update(status=PENDING, delivered_at=None)
    frozen_clock.advance(minutes=1)
    assert relay_pending() == 1

    assert scanned == ["A"]
    assert completed == ["A"]
    row = row_of("A")
    assert row.status == DELIVERED
    assert row.delivered_at == T0 + timedelta(minutes=1)
    assert HandlerReceipt.objects.filter(event=row).count() == 2


@pytest.mark.parametrize(
    ("stale", "error"),
    [
        # a row written by an older release whose payload no longer fits the event class
        (
            {"payload": {"parcel_id": "p1", "label": "A", "weight_grams": 120}},
            "rebuild: TypeError: ParcelScanned.__init__() got an unexpected keyword argument "
            "'weight_grams'",
        ),
        # an event type this process does not know (renamed, or its app is not installed)
        ({"event_type": "test.ParcelRenamed"}, "rebuild: KeyError: 'test.ParcelRenamed'"),
    ],
    ids=["stale-payload", "unknown-type"],
)
@pytest.mark.django_db
def test_an_event_that_cannot_be_rebuilt_does_not_block_the_outbox(
    frozen_clock, settings, stale, error
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    scan("p1", "A")
    scan("p2", "B")
    poisoned = OutboxEvent.objects.get(aggregate_id="p1")
    OutboxEvent.objects.filter(pk=poisoned.pk).update(**stale)

    assert relay_pending() == 1

    assert completed == ["B"]
    poisoned.refresh_from_db()
    assert poisoned.status == PENDING
    assert poisoned.attempts == 1
    assert poisoned.last_error == error
    assert poisoned.available_at == T0 + timedelta(seconds=2)

    frozen_clock.advance(seconds=2)
    assert relay_pending() == 0
    poisoned.refresh_from_db()
    assert (poisoned.status, poisoned.attempts) == (DEAD, 2)
    assert receipts_of(poisoned) == []
    assert scanned == ["B"]


# --- registration ------------------------------------------------------------------------------


def test_an_event_type_cannot_be_registered_by_two_classes():
    @dataclass(frozen=True)
    class Impostor(DomainEvent):
        event_type = "test.ParcelScanned"
        aggregate_type = "parcel"

    with pytest.raises(ValueError, match=r"^event type 'test.ParcelScanned' registered twice$"):
        register_event(Impostor)
    assert events._event_types["test.ParcelScanned"] is ParcelScanned
    # registering the same class again is harmless
    assert register_event(ParcelScanned) is ParcelScanned


def test_subscribing_the_same_handler_twice_keeps_one_subscription():
    handles(ParcelScanned)(record_scan)
    assert [name for name, _ in handlers_for("test.ParcelScanned")] == [RECORDER, REFUSER]
    assert handlers_for("test.Unknown") == []


# --- concurrency (PostgreSQL) -----------------------------------------------------------------


@register_event
@dataclass(frozen=True)
class CounterTicked(DomainEvent):
    event_type = "test.CounterTicked"
    aggregate_type = "counter"

    counter: str
    sequence: int

    def aggregate_id(self) -> str:
        return self.counter


runs_lock = threading.Lock()
runs_by_event: Counter[str] = Counter()
sequence_by_counter: dict[str, list[int]] = defaultdict(list)


@handles(CounterTicked)
def count_tick(delivered: DeliveredEvent) -> None:
    assert isinstance(delivered.event, CounterTicked)
    with runs_lock:
        runs_by_event[str(delivered.event_id)] += 1
        sequence_by_counter[delivered.event.counter].append(delivered.event.sequence)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_relays_run_each_handler_once_per_event_in_aggregate_order(monkeypatch):
    runs_by_event.clear()
    sequence_by_counter.clear()
    monkeypatch.setattr(events, "_schedule_relay", lambda: None)  # the threads relay, not commit
    counters = [f"counter-{number}" for number in range(10)]
    with transaction.atomic():
        for sequence in range(10):
            for counter in counters:
                publish(CounterTicked(counter=counter, sequence=sequence))
    event_ids = {
        str(event_id) for event_id in OutboxEvent.objects.values_list("event_id", flat=True)
    }
    assert len(event_ids) == 100

    threads_count = 6
    start = threading.Barrier(threads_count)
    delivered_by_thread: list[int] = []
    errors: list[BaseException] = []

    def relay() -> None:
        try:
            start.wait(timeout=30)
            delivered_by_thread.append(relay_pending(batch_size=3))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=relay) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    assert sum(delivered_by_thread) == 100
    assert set(runs_by_event) == event_ids
    assert set(runs_by_event.values()) == {1}
    assert dict(sequence_by_counter) == {counter: list(range(10)) for counter in counters}
    assert OutboxEvent.objects.filter(status=DELIVERED).count() == 100
    assert HandlerReceipt.objects.count() == 100
