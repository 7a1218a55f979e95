"""The embedded broker: kombu's filesystem transport made safe to crash in, registered as
`circlemart-fs://`. The worker `circlemart serve` starts beside the web server consumes it.

kombu's own filesystem transport writes a message in place under its final name, so a consumer
can read it half-written (`Unrecoverable error: JSONDecodeError` took the worker down), and it
forgets a message once read, so a killed worker loses the tasks it held. Here:

- a message is written to a hidden temporary file in the queue folder, fsynced and renamed
  into place (`os.replace`): a consumer sees the whole message or nothing;
- a consumer claims a message by renaming it into its own in-flight folder, and only the ack
  deletes it; a reject with requeue or a clean shutdown renames it back;
- each in-flight folder holds an exclusive `flock` on its `.lock` for the life of its process.
  The kernel drops the lock when the process dies (even by SIGKILL), so any consumer that can
  take it knows the owner is gone and puts its messages back in the queue: at least once;
- a message that cannot be parsed is moved to the quarantine folder and logged, never raised
  into the worker.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from queue import Empty
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem, virtual
from kombu.utils import json as kombu_json

SCHEME = "circlemart-fs"
logger = logging.getLogger("circlemart.broker")
# kombu's JSON (it also encodes dates, UUIDs and bytes in headers), typed for our calls.
dumps: Callable[[Any], str] = kombu_json.dumps
loads: Callable[[str], Any] = kombu_json.loads

# A temporary file older than this belongs to a producer that died mid-write.
ABANDONED_WRITE_SECONDS = 3600.0
# How often a consumer looks for in-flight folders of consumers that died.
DEFAULT_SWEEP_SECONDS = 5.0
# Between polls while a consumer waits for acks (see Transport.drain_events).
FULL_CONSUMER_PAUSE_SECONDS = 0.005

# Lock descriptors of this process's in-flight folders: a forked child closes its copies, so
# that the lock dies with the process that owns the folder, not with the last of its children.
_owned_lock_descriptors: set[int] = set()


def _close_inherited_locks() -> None:
    for descriptor in _owned_lock_descriptors:
        with suppress(OSError):
            os.close(descriptor)
    _owned_lock_descriptors.clear()


os.register_at_fork(after_in_child=_close_inherited_locks)


def write_atomically(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Write `data` to `path` so that a reader sees the old file, the new one, or none."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as output:
            output.write(data)
            output.flush()
            if fsync:
                os.fsync(output.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            temporary.unlink()
        raise


def _is_message(name: str, queue: str) -> bool:
    # kombu's naming: "<sort key>.<queue>.msg"; temporary files start with a dot.
    return name.partition(".")[2] == f"{queue}.msg"


def _is_well_formed(payload: Any) -> bool:
    if not isinstance(payload, dict):
        return False
    properties = payload.get("properties")
    return (
        isinstance(properties, dict)
        and isinstance(properties.get("delivery_tag"), str)
        and isinstance(properties.get("delivery_info"), dict)
    )


class QoS(virtual.QoS):
    """Acks delete the claimed file; requeues and shutdown rename it back into the queue."""

    channel: Channel

    def ack(self, delivery_tag: str) -> None:
        self.channel.settle(delivery_tag)
        super().ack(delivery_tag)  # type: ignore[no-untyped-call]

    def reject(self, delivery_tag: str, requeue: bool = False) -> None:
        if requeue:
            self.channel.unclaim(delivery_tag)
        else:
            self.channel.settle(delivery_tag)
        self._quick_ack(delivery_tag)

    def restore_unacked(self) -> list[tuple[BaseException, Any]]:
        self._flush()  # type: ignore[no-untyped-call]
        errors: list[tuple[BaseException, Any]] = []
        while self._delivered:
            delivery_tag, message = self._delivered.popitem()
            try:
                self.channel.unclaim(delivery_tag)
            except OSError as error:
                errors.append((error, message))
        return errors


class Channel(filesystem.Channel):
    QoS = QoS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        self._inflight: Path | None = None
        self._inflight_lock: int | None = None
        self._owner_pid = 0
        self._claimed: dict[str, Path] = {}
        self._no_ack_queues: set[str] = set()
        self._next_sweep = 0.0

    # --- folders and options ---------------------------------------------------------------

    def _folder(self, option: str, default: str) -> Path:
        return Path(self.transport_options.get(option, default))

    @property
    def queue_folder(self) -> Path:
        return Path(self.data_folder_in)

    @property
    def inflight_folder(self) -> Path:
        return self._folder("inflight_folder", "inflight")

    @property
    def quarantine_folder(self) -> Path:
        return self._folder("quarantine_folder", "quarantine")

    @property
    def fsync(self) -> bool:
        return bool(self.transport_options.get("fsync", True))

    @property
    def sweep_seconds(self) -> float:
        return float(self.transport_options.get("sweep_seconds", DEFAULT_SWEEP_SECONDS))

    # --- producing -------------------------------------------------------------------------

    # kombu's two base classes name the second argument differently (message, payload).
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        # Sorts in publishing order; kombu parses "<key>.<queue>.msg".
        name = f"{time.time_ns():020d}_{uuid.uuid4().hex}.{queue}.msg"
        path = Path(self.data_folder_out) / name
        try:
            write_atomically(path, dumps(payload).encode(), fsync=self.fsync)
        except OSError as error:
            raise ChannelError(f"Cannot add {path} to the queue") from error

    @contextmanager
    def _exchange_locked(self, file: Path) -> Iterator[None]:
        self.control_folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(file.with_name(f".{file.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        file: Path = self._exchange_file(exchange)  # type: ignore[no-untyped-call]
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._exchange_locked(file):
            bindings: list[Any] = self.get_table(exchange)  # type: ignore[no-untyped-call]
            if binding not in bindings:
                write_atomically(file, dumps([binding, *bindings]).encode(), fsync=self.fsync)

    def _delete(self, queue: str, exchange: str, routing_key: str, pattern: str, *args: Any,
                **kwargs: Any) -> None:  # fmt: skip
        file: Path = self._exchange_file(exchange)  # type: ignore[no-untyped-call]
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._exchange_locked(file):
            bindings: list[Any] = self.get_table(exchange)  # type: ignore[no-untyped-call]
            if binding in bindings:
                bindings.remove(binding)
                write_atomically(file, dumps(bindings).encode(), fsync=self.fsync)

    # --- consuming -------------------------------------------------------------------------

    def basic_consume(self, queue: str, no_ack: bool, *args: Any, **kwargs: Any) -> Any:
        if no_ack:
            self._no_ack_queues.add(queue)
        return super().basic_consume(queue, no_ack, *args, **kwargs)  # type: ignore[no-untyped-call]

    def basic_get(self, queue: str, no_ack: bool = False, **kwargs: Any) -> Any:
        message = super().basic_get(queue, no_ack=no_ack, **kwargs)  # type: ignore[no-untyped-call]
        if message is not None and no_ack:
            self.settle(message.delivery_tag)
        return message

    def _get(self, queue: str, timeout: float | None = None) -> dict[str, Any]:
        inflight = self._own_inflight_folder()
        if time.monotonic() >= self._next_sweep:
            self.sweep()
        for name in sorted(os.listdir(self.queue_folder)):
            if not _is_message(name, queue):
                continue
            claimed = inflight / name
            try:
                os.rename(self.queue_folder / name, claimed)
            except FileNotFoundError:
                if not inflight.is_dir():  # removed under us: make a new one next time
                    self._release_inflight_lock()
                    raise Empty() from None
                continue  # another consumer took it
            payload = self._read_claimed(claimed)
            if payload is None:
                continue
            delivery_tag = payload["properties"]["delivery_tag"]
            if queue in self._no_ack_queues:
                claimed.unlink()
            else:
                self._claimed[delivery_tag] = claimed
            return payload
        raise Empty()

    def _read_claimed(self, path: Path) -> dict[str, Any] | None:
        try:
            payload = loads(path.read_bytes().decode())
        except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
            self._quarantine(path, f"{type(error).__name__}: {error}")
            return None
        if not _is_well_formed(payload):
            self._quarantine(path, "not a kombu message (no properties or delivery tag)")
            return None
        return payload

    def _quarantine(self, path: Path, reason: str) -> None:
        self.quarantine_folder.mkdir(parents=True, exist_ok=True)
        destination = self.quarantine_folder / path.name
        os.replace(path, destination)
        logger.error("unreadable message moved to %s (%s)", destination, reason)

    def settle(self, delivery_tag: str) -> None:
        """The message is done with: delete its claimed file."""
        claimed = self._claimed.pop(delivery_tag, None)
        if claimed is not None and self._owns_inflight():
            with suppress(FileNotFoundError):
                claimed.unlink()

    def unclaim(self, delivery_tag: str) -> None:
        """Put the message back in the queue under its old name (ahead of newer ones)."""
        claimed = self._claimed.pop(delivery_tag, None)
        if claimed is not None and self._owns_inflight():
            with suppress(FileNotFoundError):
                os.rename(claimed, self.queue_folder / claimed.name)

    # --- in-flight folders -----------------------------------------------------------------

    def _owns_inflight(self) -> bool:
        # A forked child holds a copy of this channel; only the process that claimed touches it.
        return self._inflight is not None and self._owner_pid == os.getpid()

    def _own_inflight_folder(self) -> Path:
        if self._inflight is not None and self._owns_inflight():
            return self._inflight
        root = self.inflight_folder
        root.mkdir(parents=True, exist_ok=True)
        name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        # Made and locked under a hidden name, then renamed: a sweeper never sees it unlocked.
        staging = root / f".{name}"
        staging.mkdir()
        descriptor = os.open(staging / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        os.rename(staging, root / name)
        _owned_lock_descriptors.add(descriptor)
        self._inflight, self._inflight_lock, self._owner_pid = root / name, descriptor, os.getpid()
        self._claimed.clear()
        self._next_sweep = 0.0
        return root / name

    def _release_inflight_lock(self) -> None:
        if self._inflight_lock is not None and self._owner_pid == os.getpid():
            _owned_lock_descriptors.discard(self._inflight_lock)
            with suppress(OSError):
                os.close(self._inflight_lock)
        self._inflight = self._inflight_lock = None

    def sweep(self) -> int:
        """Return to the queue the messages of consumers that died; drop abandoned writes."""
        self._next_sweep = time.monotonic() + self.sweep_seconds
        restored = 0
        root = self.inflight_folder
        if root.is_dir():
            for entry in os.scandir(root):
                if entry.name.startswith(".") or not entry.is_dir():
                    continue
                if self._inflight is not None and entry.path == str(self._inflight):
                    continue
                restored += self._restore_if_dead(Path(entry.path))
        cutoff = time.time() - ABANDONED_WRITE_SECONDS
        for entry in os.scandir(self.queue_folder):
            if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                with suppress(FileNotFoundError):
                    if entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
                        logger.warning("removed %s, abandoned by a producer mid-write", entry.path)
        return restored

    def _restore_if_dead(self, folder: Path) -> int:
        try:
            descriptor = os.open(folder / ".lock", os.O_RDWR)
        except FileNotFoundError:
            # Its owner or a sweeper is removing it, or stopped half-way: nothing left in it
            # has anyone else to go back to the queue.
            return self._requeue_all(folder)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0  # its consumer is alive
            return self._requeue_all(folder)
        finally:
            os.close(descriptor)

    def _requeue_all(self, folder: Path) -> int:
        restored = 0
        with suppress(FileNotFoundError):
            for name in sorted(os.listdir(folder)):
                if name.endswith(".msg"):
                    with suppress(FileNotFoundError):
                        os.rename(folder / name, self.queue_folder / name)
                        restored += 1
        with suppress(FileNotFoundError):
            (folder / ".lock").unlink()
        with suppress(OSError):
            folder.rmdir()
        if restored:
            logger.warning("requeued %d messages of a consumer that died (%s)", restored, folder)
        return restored

    def close(self) -> None:
        super().close()  # type: ignore[no-untyped-call]  # requeues what it holds unacked
        if self._inflight is None:
            return
        if self._owns_inflight():
            for delivery_tag in list(self._claimed):
                self.unclaim(delivery_tag)
            with suppress(OSError):
                (self._inflight / ".lock").unlink()
            with suppress(OSError):
                self._inflight.rmdir()
        self._release_inflight_lock()


class Transport(filesystem.Transport):
    Channel = Channel
    # Declared exchanges and bindings, per process (kombu's filesystem transport keeps its own).
    global_state = virtual.BrokerState()  # type: ignore[no-untyped-call]

    def drain_events(self, connection: Any, timeout: float | None = None, **kwargs: Any) -> None:
        """kombu's loop, except for the pause between polls: the polling interval when the
        queue was empty, but only a short one when the consumer is full (its prefetch limit
        reached): an ack is due any moment, and sleeping the whole interval after each
        batch would cap a worker at prefetch / interval tasks a second."""
        started = time.monotonic()
        cycle = self.cycle
        assert cycle is not None  # made with the transport
        while True:
            try:
                cycle.get(self._deliver, timeout=timeout)  # type: ignore[no-untyped-call]
            except Empty:
                if timeout is not None and time.monotonic() - started >= timeout:
                    raise TimeoutError from None  # socket.timeout, as kombu raises
                time.sleep(self._pause())
            else:
                return

    def _pause(self) -> float:
        interval = float(self.polling_interval or 0.0)
        for channel in self.channels:
            if channel._consumers and not channel.qos.can_consume():
                return min(FULL_CONSUMER_PAUSE_SECONDS, interval)
        return interval

    driver_type = SCHEME
    driver_name = SCHEME


TRANSPORT_ALIASES[SCHEME] = f"{__name__}:Transport"
