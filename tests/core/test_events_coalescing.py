"""Coalesced outbox relays: many commits enqueue one relay task, the relay drains them all, and
an event committed after a relay started enqueues the next one (none waits for the sweep). Also
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
    RELAY_REQUESTED_FILE,
    RELAY_REQUESTED_KEY,
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
    monkeypatch.setattr(tasks.relay_outbox, "delay", lambda: sent.append("relay"))
    return sent


@pytest.fixture(params=["embedded-broker-file", "redis-key"])
def coalescing(request: pytest.FixtureRequest, settings, tmp_path: Path) -> str:
    """Queued (not eager) relays with the marker in a file beside the embedded broker's queue,
    or in the shared cache (as when Redis is configured; the test's cache stands in for it)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.OUTBOX_RELAY_COALESCE_SECONDS = 10.0
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


def marker_is_set(settings) -> bool:
    from django.core.cache import cache

    if settings.REDIS_URL:
        return cache.get(RELAY_REQUESTED_KEY) is not None
    return (settings.CELERY_EMBEDDED_BROKER_DIR / RELAY_REQUESTED_FILE).exists()


@pytest.mark.django_db
def test_many_commits_enqueue_one_relay_and_that_relay_delivers_them_all(
    coalescing, settings, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        print_labels("L1", "L2", "L3")

    assert len(callbacks) == 3  # every commit asked for a relay
    assert enqueued == ["relay"]  # … but only the first one sent a task
    assert marker_is_set(settings)
    assert OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING).count() == 3

    assert tasks.relay_outbox() == 3  # the worker runs the one task

    assert printed == ["L1", "L2", "L3"]
    assert set(OutboxEvent.objects.values_list("status", flat=True)) == {"delivered"}
    assert not marker_is_set(settings)


@pytest.mark.django_db
def test_a_commit_after_the_relay_started_enqueues_the_next_relay(
    coalescing, settings, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        print_labels("L1")
    assert enqueued == ["relay"]

    # The relay starts (clears the marker) before it looks for events: a commit from now on
    # cannot count on it and must send the next relay.
    relay_request_clear()
    with django_capture_on_commit_callbacks(execute=True):
        print_labels("L2")
    assert enqueued == ["relay", "relay"]

    with django_capture_on_commit_callbacks(execute=True):
        print_labels("L3")  # the second relay has not started yet: nothing more to send
    assert enqueued == ["relay", "relay"]
    assert tasks.relay_outbox() == 3
    assert printed == ["L1", "L2", "L3"]


@pytest.mark.django_db
def test_the_relay_task_clears_the_marker_before_it_delivers(
    coalescing, settings, enqueued, monkeypatch
):
    assert request_relay() is True
    seen_during_relay: list[bool] = []

    def relay_that_looks() -> int:
        seen_during_relay.append(marker_is_set(settings))
        return 0

    monkeypatch.setattr(tasks, "relay_pending", relay_that_looks)
    tasks.relay_outbox()

    assert seen_during_relay == [False]


def test_a_stale_marker_no_longer_holds_enqueuing_back(settings, tmp_path):
    """The relay a marker stood for was lost (its message never reached a worker): after
    OUTBOX_RELAY_COALESCE_SECONDS the next commit sends one again."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = ""
    settings.CELERY_EMBEDDED_BROKER_DIR = tmp_path / "broker"
    settings.OUTBOX_RELAY_COALESCE_SECONDS = 5.0

    assert request_relay() is True  # also makes the broker folder
    assert request_relay() is False
    marker = tmp_path / "broker" / RELAY_REQUESTED_FILE
    old = time.time() - 6
    os.utime(marker, (old, old))

    assert request_relay() is True
    assert request_relay() is False  # the takeover refreshed the marker


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

    assert [request_relay() for _ in range(3)] == [True, True, True]
    assert not (tmp_path / "broker" / RELAY_REQUESTED_FILE).exists()


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

    assert [request_relay() for _ in range(2)] == [True, True]
    relay_request_clear()  # logs, does not raise: the relay still runs
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
