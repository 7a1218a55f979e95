"""A real Celery worker (not eager) relays the outbox: on the embedded filesystem broker, and on
the configured broker (RabbitMQ in CI). Each run gets its own data dir and SQLite database, so
the test database is never touched."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path

import pytest
from django.conf import settings

from circlemart.config import celery_settings
from circlemart.config.celery import app, give_back_database_connections, is_embedded_broker

EMAIL = "worker-test@example.com"
WELCOME_HANDLER = "circlemart.accounts.handlers.send_welcome_email"
ANALYTICS_HANDLER = "circlemart.analytics.handlers.on_tracked_event"
DEADLINE_SECONDS = 60


# --- configuration (fast) ----------------------------------------------------------------------


def test_the_celery_app_follows_the_settings():
    if settings.CELERY_BROKER_URL:
        assert app.conf.broker_url == settings.CELERY_BROKER_URL
        assert not is_embedded_broker()
    else:
        assert app.conf.broker_url == "circlemart-fs://localhost/"  # config/embedded_broker.py
        assert app.conf.broker_transport_options["data_folder_in"] == str(
            settings.CELERY_EMBEDDED_BROKER_DIR / "queue"
        )
        assert app.conf.worker_enable_remote_control is False
        assert is_embedded_broker()
    assert app.conf.task_always_eager is True  # tests/settings.py
    assert app.conf.task_acks_late is True
    assert app.conf.beat_schedule["outbox-sweep"] == {
        "task": "core.sweep_outbox",
        "schedule": float(settings.OUTBOX_SWEEP_SECONDS),
    }
    assert celery_settings.beat_schedule["idempotency-purge"]["task"] == (
        "core.purge_idempotency_records"
    )
    app.loader.import_default_modules()
    assert {"core.relay_outbox", "core.sweep_outbox", "core.purge_idempotency_records"} <= set(
        app.tasks
    )


def _task(*, eager: bool) -> object:
    from types import SimpleNamespace

    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


def test_celerys_django_fixup_no_longer_closes_connections_around_every_task():
    # It closed them (and, in a prefork child, the PostgreSQL pool) before and after each task.
    assert app.conf.get("CELERY_DB_REUSE_MAX") == celery_settings.CELERY_DB_REUSE_MAX >= 100
    from celery.fixups.django import DjangoWorkerFixup

    fixup = DjangoWorkerFixup(app)
    closed: list[int] = []
    fixup._close_database = lambda: closed.append(1)  # type: ignore[method-assign]
    for _ in range(2 * celery_settings.CELERY_DB_REUSE_MAX):
        fixup.close_database()
    assert closed == []
    fixup.close_database()
    assert closed == [1]


def test_after_a_task_its_connections_are_given_back_as_after_a_request(monkeypatch):
    """Django's close_old_connections: back to the pool, or closed if broken or past
    CONN_MAX_AGE. (The connection object itself is not patched: under SQLite in memory it is
    shared with the live server's thread of browser tests.)"""
    import django.db

    calls: list[str] = []
    monkeypatch.setattr(django.db, "close_old_connections", lambda: calls.append("given back"))
    give_back_database_connections(task=_task(eager=True))
    assert calls == []  # an eager task runs inside its caller's request
    give_back_database_connections(task=_task(eager=False))
    assert calls == ["given back"]


# --- a real worker (slow) ----------------------------------------------------------------------


def process_env(data_dir: Path, broker_url: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name
        not in {"DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        CIRCLEMART_DATA_DIR=str(data_dir),
        CELERY_BROKER_URL=broker_url,
        DJANGO_SETTINGS_MODULE="circlemart.config.settings",
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        PYTHONUNBUFFERED="1",
    )
    return env


def circlemart(*arguments: str, env: dict[str, str], cwd: Path) -> str:
    finished = subprocess.run(
        [sys.executable, "-m", "circlemart.config.cli", *arguments],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert finished.returncode == 0, (
        f"circlemart {arguments[0]} failed:\n{finished.stdout}\n{finished.stderr}"
    )
    return finished.stdout


@contextmanager
def running_worker(
    *, env: dict[str, str], cwd: Path, log: Path, queue: str | None
) -> Iterator[subprocess.Popen[bytes]]:
    """`circlemart worker --beat no`; with `queue`, the worker consumes only that queue."""
    cli = ["-m", "circlemart.config.cli"]
    if queue is not None:
        cli = [
            "-c",
            "import sys\n"
            "from circlemart.config import cli\n"
            "cli._setup_django()\n"
            "from circlemart.config.celery import app\n"
            "app.conf.task_default_queue = sys.argv[1]\n"
            "sys.exit(cli.main(sys.argv[2:]))\n",
            queue,
        ]
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [sys.executable, *cli, "worker", "--beat", "no", "--concurrency", "1"],
            env=env,
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the pool children go with it
        )
        try:
            yield worker
        finally:
            worker.terminate()
            with suppress(subprocess.TimeoutExpired):
                worker.wait(timeout=30)
            with suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)  # stragglers of the group we started
            worker.wait(timeout=30)


def wait_for(condition: Callable[[], bool], *, worker: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if worker.poll() is not None:
            pytest.fail(f"the worker exited with {worker.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"not delivered within {DEADLINE_SECONDS}s; worker log:\n{log.read_text()}")
        time.sleep(0.25)


def registered_event(database: Path) -> tuple[str, int, str, str] | None:
    with closing(sqlite3.connect(database, timeout=10)) as db:
        row = db.execute(
            "SELECT status, attempts, payload,"
            " (SELECT group_concat(handler) FROM core_handlerreceipt"
            "  WHERE core_handlerreceipt.event_id = core_outboxevent.id)"
            " FROM core_outboxevent WHERE event_type = 'accounts.UserRegistered'"
        ).fetchall()
    assert len(row) <= 1
    return row[0] if row else None


def check_registration_is_relayed_by_a_real_worker(
    tmp_path: Path, *, broker_url: str, queue: str | None
) -> None:
    env = process_env(tmp_path, broker_url)
    database = tmp_path / "circlemart.sqlite3"
    log = tmp_path / "worker.log"
    circlemart("migrate", "--noinput", env=env, cwd=tmp_path)

    with running_worker(env=env, cwd=tmp_path, log=log, queue=queue) as worker:
        route = "" if queue is None else f"app.conf.task_default_queue = {queue!r}\n"
        registered = circlemart(
            "shell",
            "-c",
            "from circlemart.config.celery import app\n"
            f"{route}"
            "from circlemart.accounts.services import user_register_with_email\n"
            f"user = user_register_with_email(email={EMAIL!r}, password='Correct-Horse-42')\n"
            "print('registered', user.pk)\n",
            env=env,
            cwd=tmp_path,
        )
        user_id = int(registered.split()[-1])

        def delivered() -> bool:
            event = registered_event(database)
            return event is not None and event[0] == "delivered"

        wait_for(delivered, worker=worker, log=log)

    status, attempts, payload, receipts = registered_event(database)
    assert (status, attempts, sorted(receipts.split(","))) == (
        "delivered",
        0,
        [WELCOME_HANDLER, ANALYTICS_HANDLER],
    )
    assert f'"user_id": {user_id}' in payload
    output = log.read_text()
    # the worker, not the registering process, ran the relay and the welcome email handler
    assert re.search(r"Task core\.relay_outbox\[[0-9a-f-]{36}\] succeeded in [0-9.]+s: 1", output)
    assert f"To: {EMAIL}" in output
    if queue is not None:
        assert f".> {queue} exchange={queue}(direct)" in output


@pytest.mark.slow
def test_the_embedded_broker_worker_relays_the_outbox(tmp_path):
    check_registration_is_relayed_by_a_real_worker(tmp_path, broker_url="", queue=None)
    # the message went through the filesystem queue under the data dir and was consumed
    assert list((tmp_path / "broker" / "queue").iterdir()) == []


@pytest.mark.slow
@pytest.mark.broker
def test_the_configured_broker_worker_relays_the_outbox(tmp_path):
    # A queue of its own, so workers of other test runs on the same broker cannot take the task.
    queue = f"circlemart-test-{uuid.uuid4().hex[:12]}"
    try:
        check_registration_is_relayed_by_a_real_worker(
            tmp_path, broker_url=settings.CELERY_BROKER_URL, queue=queue
        )
    finally:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
            connection.default_channel.queue_delete(queue)
