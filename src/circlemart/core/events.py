"""Domain events and the transactional outbox.

`publish` writes the event row inside the caller's transaction; after commit a relay (Celery
task, plus a periodic sweep) hands each event to its handlers at least once, in order per
aggregate. A handler's receipt row commits in the same transaction as the handler's writes, so
a redelivered event is skipped by every handler that already applied it: handlers are
idempotent by event id.

Relay tasks are coalesced: a commit enqueues a relay only when fewer than
OUTBOX_RELAY_CONCURRENCY are already queued or running (a "relay requested" marker per slot, see
`request_relay`), and each relay drains every due event, so the worker's other processes stay
free for other tasks (webhook deliveries, emails).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from circlemart.core import clock
from circlemart.core.models import HandlerReceipt, OutboxEvent
from circlemart.core.transactions import commit_without_waiting_for_disk

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DomainEvent:
    """Base for events. Subclasses are frozen dataclasses of JSON-friendly fields."""

    event_type: ClassVar[str]
    aggregate_type: ClassVar[str]

    def aggregate_id(self) -> str:
        raise NotImplementedError

    def payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class DeliveredEvent:
    """What a handler receives: the event plus its identity in the outbox."""

    event_id: uuid.UUID
    occurred_at: datetime
    event: DomainEvent


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[DeliveredEvent], None]

_event_types: dict[str, type[DomainEvent]] = {}
_handlers: dict[str, list[tuple[str, Handler]]] = defaultdict(list)


def register_event(event_class: type[E]) -> type[E]:
    """Class decorator: makes the event type known so stored rows can be rebuilt."""
    existing = _event_types.get(event_class.event_type)
    if existing is not None and existing is not event_class:
        raise ValueError(f"event type {event_class.event_type!r} registered twice")
    _event_types[event_class.event_type] = event_class
    return event_class


def handles(event_class: type[DomainEvent]) -> Callable[[Handler], Handler]:
    """Decorator: subscribe a handler. Its qualified name is its identity in receipts."""

    def decorate(handler: Handler) -> Handler:
        name = f"{handler.__module__}.{handler.__qualname__}"
        subscribers = _handlers[event_class.event_type]
        if all(existing != name for existing, _ in subscribers):
            subscribers.append((name, handler))
        return handler

    return decorate


def handlers_for(event_type: str) -> list[tuple[str, Handler]]:
    return list(_handlers.get(event_type, []))


def publish(event: DomainEvent) -> OutboxEvent:
    """Write `event` to the outbox. Must run inside the transaction that makes the change."""
    if not connection.in_atomic_block:
        raise RuntimeError("publish() must be called inside transaction.atomic()")
    if type(event).event_type not in _event_types:
        raise ValueError(f"{type(event).__name__} is not registered (@register_event)")
    now = clock.now()
    row = OutboxEvent.objects.create(
        event_type=event.event_type,
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id(),
        payload=event.payload(),
        occurred_at=now,
        available_at=now,
    )
    transaction.on_commit(_schedule_relay, robust=True)
    return row


def _schedule_relay() -> None:
    from circlemart.core.tasks import relay_outbox  # the task module imports this one

    slot = request_relay()
    if slot is not None:
        relay_outbox.delay(slot)


# --- Coalescing relay tasks ----------------------------------------------------------------------
#
# One relay task per commit made the worker spend most of its time starting relays that found
# nothing left to do; and a relay that cleared its marker as it started let every commit during
# its drain enqueue another, so under steady load every worker process ended up relaying and
# webhook deliveries waited behind them. Instead there are OUTBOX_RELAY_CONCURRENCY slots, each
# with a "relay requested" marker. A commit sets the first marker not set and enqueues a relay
# for that slot, or enqueues nothing when all are set; a relay keeps its slot's marker while it
# runs (refreshed after each batch). When it finds nothing more it clears the marker, then looks
# once more: an event committed before the clear may have found every marker set and enqueued
# nothing, so the relay takes its marker back and delivers it; one committed after the clear
# enqueued a relay of its own. No event waits for the sweep, and no more relays are queued or
# running than there are slots. A marker older than OUTBOX_RELAY_COALESCE_SECONDS (its task was
# lost, its relay died) no longer holds enqueuing back.
#
# The marker must be seen by every process that publishes or relays: a Redis key when Redis is
# configured, a file beside the embedded broker's queue otherwise (that broker is one machine's).
# With neither (a remote broker and per-process caches) and in eager mode, nothing is coalesced.

RELAY_REQUESTED_KEY = "outbox:relay-requested"
RELAY_REQUESTED_FILE = ".relay-requested"


def relay_slots() -> int:
    """How many relays may be queued or running at once (OUTBOX_RELAY_CONCURRENCY)."""
    return max(int(settings.OUTBOX_RELAY_CONCURRENCY), 1)


def _marker_key(slot: int) -> str:
    return f"{RELAY_REQUESTED_KEY}:{slot}"


def _relay_marker_file(slot: int) -> Path | None:
    if settings.REDIS_URL or settings.CELERY_BROKER_URL:
        return None
    return Path(settings.CELERY_EMBEDDED_BROKER_DIR) / f"{RELAY_REQUESTED_FILE}-{slot}"


def _coalescing() -> bool:
    return (
        settings.OUTBOX_RELAY_COALESCE_SECONDS > 0
        and not settings.CELERY_TASK_ALWAYS_EAGER
        and bool(settings.REDIS_URL or not settings.CELERY_BROKER_URL)
    )


def _mark_file(path: Path, window: float) -> bool:
    for _attempt in range(2):
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            try:
                age = time.time() - path.stat().st_mtime
            except FileNotFoundError:  # a relay cleared it just now: try to set it again
                continue
            if age < window:
                return False
            os.utime(path)  # stale: its relay never started; the next one is ours to send
            return True
        except FileNotFoundError:  # the broker folder is made by the first worker
            path.parent.mkdir(parents=True, exist_ok=True)
            continue
        return True
    return True


def _mark(slot: int) -> bool:
    """Set this slot's marker; True when it was not set (or had gone stale)."""
    window = float(settings.OUTBOX_RELAY_COALESCE_SECONDS)
    path = _relay_marker_file(slot)
    if path is None:
        return bool(cache.add(_marker_key(slot), 1, timeout=window))
    return _mark_file(path, window)


def request_relay() -> int | None:
    """Mark that a relay is wanted. Returns the slot of the relay the caller must enqueue, or
    None when every slot's relay is already queued or running (and will see the caller's
    event). When the markers cannot be read or written, slot 0: a task too many is harmless."""
    if not _coalescing():
        return 0
    try:
        for slot in range(relay_slots()):
            if _mark(slot):
                return slot
    except Exception:  # Redis down, disk full: fall back to one task per commit
        logger.warning("outbox relay marker unavailable; enqueuing a relay", exc_info=True)
        return 0
    return None


def relay_request_refresh(slot: int) -> None:
    """A running relay still holds its slot: commits need not enqueue another relay."""
    if not _coalescing():
        return
    window = float(settings.OUTBOX_RELAY_COALESCE_SECONDS)
    try:
        path = _relay_marker_file(slot)
        if path is None:
            cache.set(_marker_key(slot), 1, timeout=window)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
    except Exception:  # then a commit may enqueue a relay too many: harmless
        logger.warning("outbox relay marker not refreshed", exc_info=True)


def relay_request_clear(slot: int) -> None:
    """The relay found nothing more: from now on a commit must enqueue the next one."""
    if not _coalescing():
        return
    try:
        path = _relay_marker_file(slot)
        if path is None:
            cache.delete(_marker_key(slot))
        else:
            path.unlink(missing_ok=True)
    except Exception:  # the marker then expires on its own (OUTBOX_RELAY_COALESCE_SECONDS)
        logger.warning("outbox relay marker not cleared", exc_info=True)


def rebuild(row: OutboxEvent) -> DeliveredEvent:
    event_class = _event_types[row.event_type]
    return DeliveredEvent(
        event_id=row.event_id, occurred_at=row.occurred_at, event=event_class(**row.payload)
    )


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off: 2, 4, 8 … seconds, capped at one hour."""
    return timedelta(seconds=min(2**attempts, 3600))


def _due_ids(batch_size: int) -> list[int]:
    """The oldest due event of each aggregate; later events of an aggregate wait their turn."""
    earlier_pending = OutboxEvent.objects.filter(
        status=OutboxEvent.Status.PENDING,
        aggregate_type=OuterRef("aggregate_type"),
        aggregate_id=OuterRef("aggregate_id"),
        id__lt=OuterRef("id"),
    )
    query = (
        OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING, available_at__lte=clock.now())
        .exclude(Exists(earlier_pending))
        .order_by("id")
    )
    return list(query.values_list("id", flat=True)[:batch_size])


def _claim(event_id: int) -> OutboxEvent | None:
    """Lock one pending event for this transaction; None if another relay has it or is done."""
    query = OutboxEvent.objects.filter(pk=event_id, status=OutboxEvent.Status.PENDING)
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True)
    return query.first()


def _record_failure(row: OutboxEvent, name: str, exc: Exception) -> None:
    row.attempts += 1
    row.last_error = f"{name}: {type(exc).__name__}: {exc}"[:4000]
    if row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        row.status = OutboxEvent.Status.DEAD
    row.available_at = clock.now() + retry_delay(row.attempts)
    row.save(update_fields=["attempts", "last_error", "status", "available_at"])
    logger.exception(
        "outbox handler failed",
        extra={"event_id": str(row.event_id), "handler": name, "attempts": row.attempts},
    )


def _deliver(row: OutboxEvent) -> bool:
    """Run every handler that has not yet receipted this event. True when all succeeded."""
    try:
        delivered = rebuild(row)
    except Exception as exc:  # unknown type or stale payload: must not wedge the whole outbox
        _record_failure(row, "rebuild", exc)
        return False
    done = set(HandlerReceipt.objects.filter(event=row).values_list("handler", flat=True))
    # Each handler in a savepoint of its own (a failing one leaves none of its writes behind);
    # the receipts of those that succeeded are written together afterwards, still inside this
    # event's transaction, so each receipt commits (or not) with its handler's writes.
    applied: list[str] = []
    failure: tuple[str, Exception] | None = None
    for name, handler in handlers_for(row.event_type):
        if name in done:
            continue
        try:
            with transaction.atomic():
                handler(delivered)
        except Exception as exc:  # recorded and retried with back-off, never swallowed silently
            failure = (name, exc)
            break
        applied.append(name)
    if applied:
        HandlerReceipt.objects.bulk_create(
            [HandlerReceipt(event=row, handler=name) for name in applied]
        )
    if failure is not None:
        _record_failure(row, *failure)
        return False
    row.status = OutboxEvent.Status.DELIVERED
    row.delivered_at = clock.now()
    row.save(update_fields=["status", "delivered_at"])
    return True


def _commit_without_waiting_for_disk() -> None:
    """PostgreSQL: this delivery's commit does not wait for its WAL flush (asynchronous commit;
    OUTBOX_RELAY_SYNCHRONOUS_COMMIT turns it back on). The event row itself was committed
    durably by whoever published it. A crash can lose only the last moments' deliveries, each
    whole (its receipts, its handlers' writes and its "delivered" mark together), and those
    events are then pending again and delivered again: at least once still holds. Any later
    durable commit makes every earlier asynchronous one durable too (the WAL is one sequence)."""
    if not settings.OUTBOX_RELAY_SYNCHRONOUS_COMMIT:
        commit_without_waiting_for_disk()


def relay_pending(
    *,
    batch_size: int = 50,
    max_batches: int = 1000,
    after_batch: Callable[[], None] | None = None,
    deadline: float | None = None,
    newest_first: bool = False,
) -> int:
    """Deliver due events until none are left (or `deadline`, a `time.monotonic()` value, has
        passed). Safe to run in several processes at once; one that takes each batch `newest_first`
    (each aggregate's oldest due event still comes first) seldom reaches for the same events as one
    that does not.

        Each event is delivered in a transaction of its own, so the row locks its handlers take
        (stock, orders, refunds) are held for one event, never for a batch of unrelated ones —
        batches made two relays (or a relay and a checkout) lock rows in opposite orders."""
    delivered = 0
    # Only when each delivery is a transaction of its own: inside a caller's transaction the
    # setting would last until (and weaken) the caller's commit.
    asynchronous_commit = not connection.in_atomic_block
    for _ in range(max_batches):
        claimed_any = False
        due = _due_ids(batch_size)
        for event_id in reversed(due) if newest_first else due:
            with transaction.atomic():
                if asynchronous_commit:
                    _commit_without_waiting_for_disk()
                row = _claim(event_id)
                if row is None:
                    continue
                claimed_any = True
                delivered += int(_deliver(row))
        if not claimed_any or (deadline is not None and time.monotonic() >= deadline):
            break
        if after_batch is not None:
            after_batch()
    return delivered


def relay_while_requested(
    *, slot: int, enqueue_relay: Callable[[int], None], slice_seconds: float
) -> int:
    """The relay task's body: drain while holding its slot's "relay requested" marker, then
    release it without losing an event committed meanwhile (see Coalescing relay tasks above).
    After `slice_seconds` of steady load it hands its slot over to a fresh task
    (`enqueue_relay`), so that no relay runs into the task's time limit."""
    if not _coalescing():
        return relay_pending()
    slot = min(max(slot, 0), relay_slots() - 1)
    delivered = 0
    deadline = time.monotonic() + slice_seconds
    while True:
        delivered += relay_pending(
            after_batch=lambda: relay_request_refresh(slot),
            deadline=deadline,
            newest_first=slot % 2 == 1,
        )
        relay_request_clear(slot)
        try:
            retaken = bool(_due_ids(1)) and _mark(slot)
        except Exception:  # the marker store failed: this relay's events wait for the sweep
            logger.warning("outbox relay marker unavailable", exc_info=True)
            return delivered
        if not retaken:
            return delivered  # nothing left, or a commit since the clear enqueued a relay
        if time.monotonic() >= deadline:
            enqueue_relay(slot)  # the marker is ours again: it now stands for that task
            return delivered


def pending_count() -> int:
    return OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING).count()
