"""Coalesced outbox relays: many commits enqueue one relay task, the relay drains them all while
it holds the "relay requested" marker (so at most one relay is queued or running), and an event
committed as it lets go is delivered by it or by the next one (none waits for the sweep). Also
the delivery details that make a relay cheaper: receipts written together, asynchronous commit
on PostgreSQL."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection, transaction

from circlemart.config.celery import app
from circlemart.core import events, tasks
from circlemart.core.events import (
    DeliveredEvent,
    DomainEvent,
    handles,
    publish,
    register_event,
    relay_pending,
    relay_request_clear,
    request_relay,
)
from circlemart.core.models import HandlerReceipt, OutboxEvent


@register_event
@dataclass(frozen=True)
class LabelPrinted(DomainEvent):
    event_type = "test.LabelPrinted"
    aggregate_type = "label"

    label_id: str

    def aggregate_id(self) -> str:
        return self.label_id


printed: list[str] = []
failing_labels: set[str] = set()
commit_modes: list[str] = []


@handles(LabelPrinted)
def print_label(delivered: DeliveredEvent) -> None:
    assert isinstance(delivered.event, LabelPrinted)
    printed.append(delivered.event.label_id)


@handles(LabelPrinted)
def file_label(delivered: DeliveredEvent) -> None:
    assert isinstance(delivered.event, LabelPrinted)
    if delivered.event.label_id in failing_labels:
        raise RuntimeError("the filing cabinet is stuck")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            commit_modes.append(cursor.fetchone()[0])


PRINT = f"{__name__}.print_label"
FILE = f"{__name__}.file_label"


@pytest.fixture(autouse=True)
def _reset() -> None:
    # Celery reads its configuration (eager or not) from the settings on first use: let it do
    # so now, not while a test below has the settings overridden, or the override would stick.
    assert app.conf.task_always_eager is True
    printed.clear()
    failing_labels.clear()
    commit_modes.clear()


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Relay tasks sent to the broker (recorded, not run)."""
    sent: list[str] = []
    monkeypatch.setattr(tasks.relay_outbox, "delay", lambda slot: sent.append(f"relay {slot}"))
    return sent


@pytest.fixture(params=["embedded-broker-file", "redis-key"])
def coalescing(request: pytest.FixtureRequest, settings, tmp_path: Path) -> str:
    """Queued (not eager) relays with the marker in a file beside the embedded broker's queue,
    or in the shared cache (as when Redis is configured; the test's cache stands in for it)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.OUTBOX_RELAY_COALESCE_SECONDS = 10.0
    settings.OUTBOX_RELAY_CONCURRENCY = 1  # one slot, unless a test says otherwise
    settings.CELERY_EMBEDDED_BROKER_DIR = tmp_path / "broker"
    if request.param == "redis-key":
        settings.REDIS_URL = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
        settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
    else:
        settings.REDIS_URL = ""
        settings.CELERY_BROKER_URL = ""
    return str(request.param)


def print_labels(*label_ids: str) -> None:
    for label_id in label_ids:
        with transaction.atomic():
            publish(LabelPrinted(label_id=label_id))


def marker_is_set(settings, slot: int = 0) -> bool:
    from django.core.cache import cache

    path = events._relay_marker_file(slot)
    if path is None:
        return cache.get(events._marker_key(slot)) is not None
    return path.exists()


@pytest.mark.django_db
def test_many_commits_enqueue_one_relay_and_that_relay_delivers_them_all(
    coalescing, settings, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        print_labels("L1", "L2", "L3")

    assert len(callbacks) == 3  # every commit asked for a relay
    assert enqueued == ["relay 0"]  # … but only the first one sent a task
    assert marker_is_set(settings)
    assert OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING).count() == 3

    assert tasks.relay_outbox() == 3  # the worker runs the one task

    assert printed == ["L1", "L2", "L3"]
    assert set(OutboxEvent.objects.values_list("status", flat=True)) == {"delivered"}
    assert not marker_is_set(settings)


@pytest.mark.django_db
def test_a_commit_while_the_relay_runs_enqueues_nothing_and_that_relay_delivers_it(
    coalescing, settings, enqueued, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        print_labels("L1")
    assert enqueued == ["relay 0"]
    real_relay_pending = events.relay_pending
    seen_during_relay: list[bool] = []

    def relay_pending_with_a_commit_meanwhile(**kwargs: object) -> int:
        seen_during_relay.append(marker_is_set(settings))
        delivered = real_relay_pending(**kwargs)  # type: ignore[arg-type]
        if len(seen_during_relay) == 1:
            with django_capture_on_commit_callbacks(execute=True):
                print_labels("L2")  # a checkout commits while the relay is still draining
        return delivered

    monkeypatch.setattr(events, "relay_pending", relay_pending_with_a_commit_meanwhile)
    assert tasks.relay_outbox() == 2

    assert seen_during_relay == [True, True]  # the marker stays while the relay runs
    assert enqueued == ["relay 0"]  # so the commit sent no second relay
    assert printed == ["L1", "L2"]
    assert not marker_is_set(settings)


@pytest.mark.django_db
def test_a_commit_just_before_the_relay_lets_go_is_delivered_by_that_relay(
    coalescing, settings, enqueued, monkeypatch, django_capture_on_commit_callbacks
):
    """The race the final look exists for: the relay has found nothing more, then an event
    commits and sees the marker still set (so enqueues nothing), then the relay clears it."""
    with django_capture_on_commit_callbacks(execute=True):
        print_labels("L1")
    real_clear = events.relay_request_clear
    clears: list[int] = []

    def clear_after_a_late_commit(slot: int) -> None:
        clears.append(1)
        if len(clears) == 1:
            with django_capture_on_commit_callbacks(execute=True):
                print_labels("L2")
        real_clear(slot)

    monkeypatch.setattr(events, "relay_request_clear", clear_after_a_late_commit)
    assert tasks.relay_outbox() == 2

    assert enqueued == ["relay 0"]
    assert printed == ["L1", "L2"]
    assert len(clears) == 2  # it took the marker back, delivered L2, let go again
    assert not marker_is_set(settings)


@pytest.mark.django_db
def test_a_commit_after_the_relay_let_go_enqueues_the_next_relay(
    coalescing, settings, enqueued, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        print_labels("L1")
    real_clear = events.relay_request_clear
    clears: list[int] = []

    def clear_then_a_commit(slot: int) -> None:
        real_clear(slot)
        clears.append(1)
        if len(clears) == 1:
            with django_capture_on_commit_callbacks(execute=True):
                print_labels("L2")

    monkeypatch.setattr(events, "relay_request_clear", clear_then_a_commit)
    assert tasks.relay_outbox() == 1

    assert enqueued == ["relay 0", "relay 0"]  # L2's commit sent the next relay …
    assert printed == ["L1"]  # … which delivers it; this one left it alone
    assert marker_is_set(settings)  # and the marker stands for that next relay
    assert tasks.relay_outbox() == 1
    assert printed == ["L1", "L2"]


@pytest.mark.django_db
def test_under_steady_load_the_relay_hands_over_to_a_fresh_task(
    coalescing, settings, enqueued, django_capture_on_commit_callbacks
):
    settings.OUTBOX_RELAY_SLICE_SECONDS = 0.0  # the slice is over after the first batch
    with django_capture_on_commit_callbacks(execute=True):
        print_labels(*[f"L{index}" for index in range(55)])
    assert enqueued == ["relay 0"]

    assert tasks.relay_outbox() == 50  # one batch
    assert enqueued == ["relay 0", "relay 0"]
    assert marker_is_set(settings)
    assert tasks.relay_outbox() == 5
    assert len(printed) == 55
    assert enqueued == ["relay 0", "relay 0"]
    assert not marker_is_set(settings)


@pytest.mark.django_db
def test_the_sweep_relays_only_when_no_relay_is_queued_or_running(
    coalescing, settings, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        print_labels("L1")
    assert marker_is_set(settings)  # the relay L1's commit sent has not run yet

    assert tasks.sweep_outbox() == 0  # it will deliver L1: the sweep leaves it alone
    assert printed == []

    relay_request_clear(0)  # that relay was lost, and its marker went with it
    assert tasks.sweep_outbox() == 1
    assert printed == ["L1"]
    assert not marker_is_set(settings)


@pytest.mark.django_db
def test_with_two_slots_two_relays_share_the_work_and_no_third_is_enqueued(
    coalescing, settings, enqueued, django_capture_on_commit_callbacks
):
    settings.OUTBOX_RELAY_CONCURRENCY = 2
    with django_capture_on_commit_callbacks(execute=True):
        print_labels("L1", "L2", "L3", "L4")
    assert enqueued == ["relay 0", "relay 1"]  # the third and fourth commits found both set
    assert marker_is_set(settings, 0)
    assert marker_is_set(settings, 1)

    # The second relay takes each batch newest first (each aggregate's own order still holds).
    assert tasks.relay_outbox(1) == 4
    assert printed == ["L4", "L3", "L2", "L1"]
    assert not marker_is_set(settings, 1)
    assert marker_is_set(settings, 0)  # the first has not run: it still stands for its task
    assert tasks.relay_outbox(0) == 0
    assert not marker_is_set(settings, 0)
    with django_capture_on_commit_callbacks(execute=True):
        print_labels("L5")
    assert enqueued == ["relay 0", "relay 1", "relay 0"]


@pytest.mark.django_db
def test_a_relay_message_for_a_slot_that_no_longer_exists_relays_in_the_last_one(
    coalescing, settings, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        print_labels("L1")
    assert tasks.relay_outbox(5) == 1  # sent when OUTBOX_RELAY_CONCURRENCY was larger
    assert printed == ["L1"]
    assert not marker_is_set(settings, 0)


def test_a_stale_marker_no_longer_holds_enqueuing_back(settings, tmp_path):
    """The relay a marker stood for was lost (its message never reached a worker): after
    OUTBOX_RELAY_COALESCE_SECONDS the next commit sends one again."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = ""
    settings.CELERY_EMBEDDED_BROKER_DIR = tmp_path / "broker"
    settings.OUTBOX_RELAY_COALESCE_SECONDS = 5.0

    settings.OUTBOX_RELAY_CONCURRENCY = 1
    assert request_relay() == 0  # also makes the broker folder
    assert request_relay() is None
    marker = tmp_path / "broker" / f"{events.RELAY_REQUESTED_FILE}-0"
    old = time.time() - 6
    os.utime(marker, (old, old))

    assert request_relay() == 0
    assert request_relay() is None  # the takeover refreshed the marker


@pytest.mark.parametrize(
    "setting",
    [
        {"CELERY_TASK_ALWAYS_EAGER": True},  # the relay runs in the committing process
        {"OUTBOX_RELAY_COALESCE_SECONDS": 0},  # switched off
        # a remote broker without Redis: no marker every process can see
        {"REDIS_URL": "", "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//"},
    ],
    ids=["eager", "off", "remote-broker-without-redis"],
)
def test_without_a_shared_marker_every_commit_enqueues_a_relay(settings, tmp_path, setting):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = ""
    settings.CELERY_EMBEDDED_BROKER_DIR = tmp_path / "broker"
    settings.OUTBOX_RELAY_COALESCE_SECONDS = 10.0
    for name, value in setting.items():
        setattr(settings, name, value)

    assert [request_relay() for _ in range(3)] == [0, 0, 0]
    assert not list((tmp_path / "broker").glob(f"{events.RELAY_REQUESTED_FILE}*"))


def test_an_unreachable_marker_store_falls_back_to_one_relay_per_commit(
    settings, monkeypatch, caplog
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.OUTBOX_RELAY_COALESCE_SECONDS = 10.0
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    def unreachable(*args: object, **kwargs: object) -> bool:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(events.cache, "add", unreachable)
    monkeypatch.setattr(events.cache, "delete", unreachable)

    assert [request_relay() for _ in range(2)] == [0, 0]
    relay_request_clear(0)  # logs, does not raise: the relay still runs
    assert [r.getMessage() for r in caplog.records] == [
        "outbox relay marker unavailable; enqueuing a relay",
        "outbox relay marker unavailable; enqueuing a relay",
        "outbox relay marker not cleared",
    ]


# --- delivery ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_receipts_of_the_handlers_that_succeeded_are_kept_when_a_later_one_fails():
    failing_labels.add("L1")
    print_labels("L1")

    assert relay_pending() == 0
    row = OutboxEvent.objects.get()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == f"{FILE}: RuntimeError: the filing cabinet is stuck"
    assert list(HandlerReceipt.objects.values_list("handler", flat=True)) == [PRINT]

    failing_labels.clear()
    OutboxEvent.objects.update(available_at=row.occurred_at)
    assert relay_pending() == 1
    assert printed == ["L1"]  # not printed twice
    assert sorted(HandlerReceipt.objects.values_list("handler", flat=True)) == [FILE, PRINT]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("synchronous", "mode"), [(False, "off"), (True, "on")])
def test_deliveries_commit_asynchronously_on_postgresql_unless_told(
    settings, monkeypatch, synchronous, mode
):
    settings.OUTBOX_RELAY_SYNCHRONOUS_COMMIT = synchronous
    monkeypatch.setattr(events, "_schedule_relay", lambda: None)  # relayed below, not on commit
    print_labels("L1")

    assert relay_pending() == 1
    assert commit_modes == [mode]
    with connection.cursor() as cursor:  # SET LOCAL: only the delivery's own transaction
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_relay_inside_a_callers_transaction_leaves_its_commit_synchronous(monkeypatch):
    monkeypatch.setattr(events, "_schedule_relay", lambda: None)
    print_labels("L1")  # the test's own transaction is still open around everything

    assert relay_pending() == 1
    assert commit_modes == ["on"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
