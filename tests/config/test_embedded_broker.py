"""The embedded broker (circlemart.config.embedded_broker) cannot deliver a partial message,
never raises an unreadable one into the worker, and redelivers what a dead consumer held."""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection, Exchange, Queue

from circlemart.config import embedded_broker
from circlemart.config.celery_settings import embedded_broker_options
from circlemart.config.embedded_broker import SCHEME

# As Celery routes: a direct exchange of the same name, its table in the control folder.
QUEUE = Queue("jobs", Exchange("jobs"), routing_key="jobs")


@contextmanager
def broker(root: Path) -> Iterator[Connection]:
    # A process remembers what it declared; these tests use a new broker folder each time.
    embedded_broker.Transport.global_state.clear()
    with Connection(
        f"{SCHEME}://localhost/", transport_options=embedded_broker_options(root)
    ) as connection:
        yield connection


def publish(connection: Connection, *bodies: dict[str, Any]) -> None:
    producer = connection.Producer()
    for body in bodies:
        producer.publish(
            body, exchange=QUEUE.exchange, routing_key=QUEUE.routing_key, declare=[QUEUE]
        )


def take(connection: Connection) -> Any:
    """The next message (unacknowledged), or None."""
    return QUEUE(connection.default_channel).get(no_ack=False)


def in_child(body: Callable[[], None]) -> int:
    """Run `body` in a forked child; its wait status, as os.waitstatus_to_exitcode gives it."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover  (the child)
        code = 1
        try:
            body()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_the_options_put_every_folder_under_the_broker_dir(tmp_path):
    options = embedded_broker_options(tmp_path / "broker")
    root = tmp_path / "broker"
    assert options == {
        "data_folder_in": str(root / "queue"),
        "data_folder_out": str(root / "queue"),
        "inflight_folder": str(root / "inflight"),
        "quarantine_folder": str(root / "quarantine"),
        "control_folder": str(root / "control"),
        "polling_interval": 0.1,
    }
    assert names(root) == ["control", "inflight", "quarantine", "queue"]


def test_a_message_is_delivered_once_acknowledged_and_then_gone(tmp_path):
    with broker(tmp_path) as connection:
        publish(connection, {"n": 1}, {"n": 2})
        assert len(names(tmp_path / "queue")) == 2
        first = take(connection)
        assert first.payload == {"n": 1}
        assert len(names(tmp_path / "queue")) == 1
        first.ack()
        second = take(connection)
        assert second.payload == {"n": 2}
        second.ack()
        assert take(connection) is None
    assert names(tmp_path / "queue") == []
    assert names(tmp_path / "inflight") == []  # the consumer's folder goes with it
    assert names(tmp_path / "control") == [".jobs.exchange.lock", "jobs.exchange"]


def test_a_requeued_message_comes_back_first_and_unacked_ones_return_at_close(tmp_path):
    with broker(tmp_path) as connection:
        publish(connection, {"n": 1}, {"n": 2})
        first = take(connection)
        first.reject(requeue=True)
        again = take(connection)
        assert (again.payload, again.delivery_tag) == ({"n": 1}, first.delivery_tag)
        assert take(connection).payload == {"n": 2}  # held, never acknowledged
    with broker(tmp_path) as connection:
        assert [take(connection).payload, take(connection).payload] == [{"n": 1}, {"n": 2}]


def test_a_producer_killed_mid_write_leaves_nothing_to_deliver(tmp_path, monkeypatch):
    def die(descriptor: int) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    def publish_and_die() -> None:
        with broker(tmp_path) as connection:
            QUEUE(connection.default_channel).declare()
            monkeypatch.setattr(embedded_broker.os, "fsync", die)  # written, not yet renamed
            publish(connection, {"n": "partial", "padding": "x" * 100_000})

    assert in_child(publish_and_die) == -signal.SIGKILL
    (abandoned,) = (tmp_path / "queue").iterdir()
    assert abandoned.name.startswith(".")
    assert abandoned.name.endswith(".tmp")
    with broker(tmp_path) as connection:
        assert take(connection) is None
        publish(connection, {"n": 1})
        assert take(connection).payload == {"n": 1}
        # an hour later the sweep drops the abandoned write
        old = time.time() - embedded_broker.ABANDONED_WRITE_SECONDS - 1
        os.utime(abandoned, (old, old))
        connection.default_channel.sweep()
    assert not abandoned.exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"body": "eyJ0YXNrIjog', "JSONDecodeError"),
        (b"\xff\xfe\x00", "UnicodeDecodeError"),
        (b"[1, 2]", "not a kombu message"),
        (b'{"body": "", "properties": {}}', "not a kombu message"),
    ],
)
def test_an_unreadable_message_is_quarantined_and_logged_not_raised(
    tmp_path, caplog, content, reason
):
    with broker(tmp_path) as connection:
        publish(connection, {"n": 1})
        broken = tmp_path / "queue" / f"{0:020d}_broken.jobs.msg"  # sorts first
        broken.write_bytes(content)
        with caplog.at_level(logging.ERROR, logger="circlemart.broker"):
            message = take(connection)
        assert message.payload == {"n": 1}
        message.ack()
    assert names(tmp_path / "quarantine") == [broken.name]
    assert (tmp_path / "quarantine" / broken.name).read_bytes() == content
    (record,) = caplog.records
    assert record.getMessage().startswith(
        f"unreadable message moved to {tmp_path / 'quarantine' / broken.name} ({reason}"
    )


def test_the_messages_of_a_consumer_killed_mid_task_are_delivered_again(tmp_path):
    with broker(tmp_path) as connection:
        publish(connection, {"n": 1}, {"n": 2}, {"n": 3})

    def take_two_and_die() -> None:
        with broker(tmp_path) as connection:
            take(connection)
            take(connection)
            os.kill(os.getpid(), signal.SIGKILL)

    assert in_child(take_two_and_die) == -signal.SIGKILL
    (dead,) = (tmp_path / "inflight").iterdir()
    assert len([name for name in names(dead) if name.endswith(".msg")]) == 2

    with broker(tmp_path) as connection:
        taken = [take(connection) for _ in range(3)]
        assert [message.payload for message in taken] == [{"n": 1}, {"n": 2}, {"n": 3}]
        for message in taken:
            message.ack()
        assert take(connection) is None
    assert not dead.exists()


def test_a_live_consumers_messages_are_left_alone(tmp_path):
    with broker(tmp_path) as holder, broker(tmp_path) as other:
        publish(holder, {"n": 1})
        held = take(holder)
        assert held.payload == {"n": 1}
        assert other.default_channel.sweep() == 0  # its owner is alive: the lock is held
        assert take(other) is None
        held.ack()


def test_a_dead_consumers_forked_children_do_not_keep_its_messages(tmp_path):
    """A prefork pool child inherits the lock descriptor; it must not keep the lock alive."""
    with broker(tmp_path) as connection:
        publish(connection, {"n": 1})
    read, write = os.pipe()
    started_read, started_write = os.pipe()

    def take_fork_and_die() -> None:
        with broker(tmp_path) as connection:
            take(connection)
            child = os.fork()
            if child == 0:  # the "pool child": lives on after its parent
                # Past fork(), so its at-fork handlers have run: say so before the parent dies
                # (on a loaded machine the parent could otherwise die first, and the lock would
                # briefly outlive it in the child's not-yet-closed copy).
                os.write(started_write, b"!")
                os.close(write)
                os.read(read, 1)  # until the test says so
                os._exit(0)
            os.read(started_read, 1)
            os.kill(os.getpid(), signal.SIGKILL)

    try:
        assert in_child(take_fork_and_die) == -signal.SIGKILL
        with broker(tmp_path) as connection:
            message = take(connection)
            assert message is not None
            assert message.payload == {"n": 1}
            message.ack()
    finally:
        for descriptor in (read, write, started_read, started_write):
            os.close(descriptor)  # the orphan reads EOF and exits


def test_the_exchange_table_is_replaced_whole(tmp_path):
    with broker(tmp_path) as connection:
        publish(connection, {"n": 1})
        publish(connection, {"n": 2})  # declared again: the binding is not added twice
    table = json.loads((tmp_path / "control" / "jobs.exchange").read_text())
    assert table == [["jobs", "", "jobs"]]
    assert [name for name in names(tmp_path / "control") if name.endswith(".tmp")] == []


def test_a_consumer_folder_left_without_its_lock_is_emptied_back_into_the_queue(tmp_path):
    with broker(tmp_path) as connection:
        publish(connection, {"n": 1})
        (message,) = (tmp_path / "queue").iterdir()
        stranded = tmp_path / "inflight" / "elsewhere-1-abc"
        stranded.mkdir()
        message.rename(stranded / message.name)
        assert take(connection).payload == {"n": 1}  # its first poll sweeps
    assert not stranded.exists()


def test_a_consumer_whose_folder_was_removed_makes_a_new_one(tmp_path):
    with broker(tmp_path) as connection:
        publish(connection, {"n": 1})
        take(connection).ack()
        (folder,) = (tmp_path / "inflight").iterdir()
        (folder / ".lock").unlink()
        folder.rmdir()
        publish(connection, {"n": 2})
        assert take(connection) is None  # noticed, nothing lost
        assert names(tmp_path / "queue") != []
        assert take(connection).payload == {"n": 2}
