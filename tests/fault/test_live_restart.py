"""Fault injection: the live rooms' websocket server (uvicorn on the ASGI application, started as
`circlemart serve` starts it) is SIGKILLed in the middle of a room with chat flowing, then
started again. Two clients (the `websockets` library) reconnect with their last sequence number.

Afterwards the room's persisted chat (RoomMessage) holds every message exactly once, numbered
1..N with no gap, and each client received every sequence number exactly once over all its
connections: what it missed while the server was down came back from the log on reconnect,
and nothing it already had was sent again.

The clients follow the reconnect rule of docs/live-protocol.md: keep the highest seq applied,
reconnect with `?last_seq=`. A message sent just before the kill may or may not have been
committed; the client learns which from the replay (the log is the truth) and sends again only
what the replay did not contain — so the test can demand "exactly once".

The server runs on a temporary data dir (its own SQLite database, WAL): no test database.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from circlemart.config.cli import live_arguments
from tests.fault.test_worker_kill import free_port

pytestmark = [pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
MESSAGES_BEFORE_KILL = 12  # per client
MESSAGES_AFTER_RESTART = 12  # per client
SEND_EVERY_SECONDS = 0.08
SERVER_START_SECONDS = 120.0
SETTLE_SECONDS = 120.0

SETUP = """
from django.utils import timezone
from circlemart.accounts.services import token_pair_issue, user_register_with_email
from circlemart.live.models import Room, RoomAssistant

host = user_register_with_email(
    email="host@fault.test", password="Fault-live-2718-pw", nickname="host"
)
helper = user_register_with_email(
    email="helper@fault.test", password="Fault-live-2718-pw", nickname="helper"
)
now = timezone.now()
room = Room.objects.create(host=host, title="Fault room", state="live", scheduled_start=now,
                           started_at=now)
RoomAssistant.objects.create(room=room, user=helper)
print("ROOM=" + str(room.pk))
print("HOST=" + token_pair_issue(user=host).access_token)
print("HELPER=" + token_pair_issue(user=helper).access_token)
"""


def circlemart(environment: dict[str, str], *arguments: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "circlemart.config.cli", *arguments],
        env=environment,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


@dataclass
class Server:
    """The websocket server in a session of its own; kill() is SIGKILL to the whole group."""

    environment: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        command = live_arguments(host="127.0.0.1", port=self.port, workers=1, verbose=False)
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command,
                env=self.environment,
                cwd=REPO,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        assert self.process is not None
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])


@dataclass
class Client:
    """A chatting viewer that follows the protocol's reconnect rule."""

    name: str
    url: str
    token: str
    last_seq: int = 0
    connections: int = 0
    received: list[int] = field(default_factory=list)  # every sequenced seq, all connections
    texts: dict[int, str] = field(default_factory=dict)  # seq -> chat text
    pending: list[str] = field(default_factory=list)  # sent, not yet seen in the room
    outbox: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    resends: int = 0

    def seen(self, text: str) -> bool:
        return text in self.texts.values()

    async def run(self, done: asyncio.Event, server_up: asyncio.Event) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        while not done.is_set():
            await server_up.wait()
            query = f"?last_seq={self.last_seq}" if self.connections else ""
            try:
                socket_ = await connect(
                    self.url + query,
                    additional_headers={"Authorization": f"Bearer {self.token}"},
                    open_timeout=10,
                    ping_interval=None,
                )
            except (OSError, TimeoutError, ConnectionClosed):
                await asyncio.sleep(0.2)  # back-off while the server is down
                continue
            self.connections += 1
            try:
                await self._session(socket_, done)
            except ConnectionClosed:
                continue  # dropped: reconnect with last_seq

    async def _session(self, socket_: Any, done: asyncio.Event) -> None:
        welcome = json.loads(await socket_.recv())
        assert welcome["type"] == "welcome", welcome
        assert welcome["data"]["you"]["can_chat"], welcome
        replay_until = int(welcome["data"]["last_seq"])
        if self.connections == 1:
            self.last_seq = replay_until  # a new client starts from the room's present
        sender: asyncio.Task[None] | None = None
        if self.last_seq >= replay_until:  # nothing to replay
            sender = await self._resume(socket_)
        try:
            async for raw in socket_:
                frame = json.loads(raw)
                seq = frame.get("seq")
                if seq is None:
                    continue  # presence, pong, …
                self.received.append(seq)
                if seq <= self.last_seq:
                    continue  # a duplicate (the test asserts there are none)
                assert seq == self.last_seq + 1, (self.name, self.last_seq, seq)
                self.last_seq = seq
                if frame["type"] == "chat":
                    text = frame["data"]["text"]
                    self.texts[seq] = text
                    if text in self.pending:
                        self.pending.remove(text)
                if sender is None and self.last_seq >= replay_until:
                    sender = await self._resume(socket_)
                if done.is_set():
                    return
        finally:
            if sender is not None:
                sender.cancel()

    async def _resume(self, socket_: Any) -> asyncio.Task[None]:
        """The log is replayed up to the welcome: what is still pending never reached it (the
        server that took it died before committing), so it is sent again; then new ones."""
        for text in list(self.pending):
            self.resends += 1
            await socket_.send(json.dumps({"type": "chat", "text": text}))
        return asyncio.create_task(self._send(socket_))

    async def _send(self, socket_: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        with suppress(ConnectionClosed):  # still pending: sent again after the reconnect
            while True:
                text = await self.outbox.get()
                self.pending.append(text)
                await socket_.send(json.dumps({"type": "chat", "text": text}))


def persisted_chat(database: Path, room_id: int) -> list[tuple[int, str]]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT sequence, kind, payload FROM live_roommessage WHERE room_id = ? "
            "ORDER BY sequence",
            (room_id,),
        ).fetchall()
    return [(sequence, json.loads(payload).get("text", "")) for sequence, kind, payload in rows]


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        server.stop()


def test_a_killed_websocket_server_loses_and_repeats_no_chat_message(tmp_path):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    environment.update(
        CIRCLEMART_DATA_DIR=str(tmp_path),
        LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    circlemart(environment, "migrate", "--noinput")
    values = dict(
        line.split("=", 1)
        for line in circlemart(environment, "shell", "-c", SETUP).splitlines()
        if "=" in line
    )
    room_id = int(values["ROOM"])
    server = Server(environment=environment, port=free_port(), log=tmp_path / "live.log")
    url = f"ws://127.0.0.1:{server.port}/ws/live/{room_id}/"
    host = Client("host", url, values["HOST"].strip())
    helper = Client("helper", url, values["HELPER"].strip())
    clients = [host, helper]
    expected = [
        f"{client.name} {index}"
        for index in range(MESSAGES_BEFORE_KILL + MESSAGES_AFTER_RESTART)
        for client in clients
    ]

    async def scenario() -> None:
        done = asyncio.Event()
        server_up = asyncio.Event()
        server.start()
        server_up.set()
        tasks = [asyncio.create_task(client.run(done, server_up)) for client in clients]

        async def until(condition: Any, seconds: float, what: str) -> None:
            deadline = time.monotonic() + seconds
            while not condition():
                for task in tasks:
                    if task.done():
                        task.result()  # a client's assertion
                assert time.monotonic() < deadline, f"{what}\n{server.log_tail()}"
                await asyncio.sleep(0.02)

        async def chat(first: int, last: int) -> None:
            for index in range(first, last):
                for client in clients:
                    client.outbox.put_nowait(f"{client.name} {index}")
                await asyncio.sleep(SEND_EVERY_SECONDS)

        await until(
            lambda: all(c.connections == 1 and c.outbox.qsize() == 0 for c in clients),
            SERVER_START_SECONDS,
            "the clients did not connect",
        )
        # Chat flows; the server is killed while the last messages are in flight.
        await chat(0, MESSAGES_BEFORE_KILL - 3)
        await until(
            lambda: all(len(c.texts) >= 2 * (MESSAGES_BEFORE_KILL - 6) for c in clients),
            SETTLE_SECONDS,
            "chat did not flow before the kill",
        )
        await chat(MESSAGES_BEFORE_KILL - 3, MESSAGES_BEFORE_KILL)
        server_up.clear()
        server.kill()
        killed_at = [len(c.texts) for c in clients]
        server.start()
        server_up.set()
        await until(
            lambda: all(c.connections == 2 for c in clients),
            SERVER_START_SECONDS,
            "the clients did not reconnect after the restart",
        )
        await chat(MESSAGES_BEFORE_KILL, MESSAGES_BEFORE_KILL + MESSAGES_AFTER_RESTART)
        await until(
            lambda: all(c.seen(text) for c in clients for text in expected),
            SETTLE_SECONDS,
            "not every message reached every client",
        )
        done.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert all(count < len(expected) for count in killed_at)  # the kill was mid-room

    with running(server):
        asyncio.run(scenario())

    assert server.starts == 2
    chat_log = persisted_chat(tmp_path / "circlemart.sqlite3", room_id)
    sequences = [sequence for sequence, _text in chat_log]
    texts = [text for _sequence, text in chat_log]
    # Every message persisted exactly once, numbered without a gap.
    assert Counter(texts) == Counter(expected)
    assert sequences == list(range(1, len(expected) + 1))
    for client in clients:
        # Over both connections, every seq arrived exactly once and in order.
        assert client.received == sequences, client.name
        assert sorted(client.texts.values()) == sorted(expected), client.name
        assert client.pending == []
        assert client.connections == 2
