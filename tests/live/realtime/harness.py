"""Websocket clients for the live consumer tests: Channels' communicator against the real ASGI
application (origin check, session and bearer-token auth, routing), with sync helpers run
through asgiref so the tests need no asyncio plugin."""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import unquote, urlparse

from asgiref.sync import async_to_sync, sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client

from circlemart.accounts.models import User
from circlemart.config.asgi import application

SITE_ORIGIN = b"http://127.0.0.1:8000"
TIMEOUT = 5  # generous: a slow machine waits, a fast one never does


class WebsocketCommunicator(ApplicationCommunicator):  # type: ignore[misc]
    """channels.testing.WebsocketCommunicator's shortcuts (channels.testing itself imports
    daphne, which this project does not install)."""

    def __init__(
        self,
        application: Any,
        path: str,
        headers: list[tuple[bytes, bytes]] | None = None,
        subprotocols: list[str] | None = None,
    ) -> None:
        parsed = urlparse(path)
        scope = {
            "type": "websocket",
            "path": unquote(parsed.path),
            "query_string": parsed.query.encode(),
            "headers": headers or [],
            "subprotocols": subprotocols or [],
        }
        super().__init__(application, scope)

    async def connect(self, timeout: float = TIMEOUT) -> tuple[bool, Any]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept"
        return True, response.get("subprotocol")

    async def send_to(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is not None:
            await self.send_input({"type": "websocket.receive", "text": text_data})
        else:
            await self.send_input({"type": "websocket.receive", "bytes": bytes_data})

    async def receive_json_from(self, timeout: float = TIMEOUT) -> Any:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self, code: int = 1000, timeout: float = TIMEOUT) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


def session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return f"{settings.SESSION_COOKIE_NAME}={value}".encode()


def communicator(
    room_id: int | str,
    *,
    user: User | None = None,
    cookie: bytes | None = None,
    last_seq: int | None = None,
    origin: bytes | None = SITE_ORIGIN,
    headers: Iterable[tuple[bytes, bytes]] = (),
    subprotocols: list[str] | None = None,
    path: str | None = None,
) -> WebsocketCommunicator:
    """A client for /ws/live/<room_id>/ (sign in with `cookie` from session_cookie())."""
    all_headers = list(headers)
    if origin is not None:
        all_headers.append((b"origin", origin))
    if cookie is not None:
        all_headers.append((b"cookie", cookie))
    all_headers.append((b"accept-language", b"en"))
    url = path or f"/ws/live/{room_id}/"
    if last_seq is not None:
        url += f"?last_seq={last_seq}"
    return WebsocketCommunicator(application, url, headers=all_headers, subprotocols=subprotocols)


async def open_socket(comm: WebsocketCommunicator) -> dict[str, Any]:
    """Connect and return the welcome frame."""
    connected, _subprotocol = await comm.connect(timeout=TIMEOUT)
    assert connected
    welcome = await comm.receive_json_from(timeout=TIMEOUT)
    assert welcome["type"] == "welcome", welcome
    return welcome


async def receive(comm: WebsocketCommunicator) -> dict[str, Any]:
    return await comm.receive_json_from(timeout=TIMEOUT)


async def receive_kind(comm: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    """The next frame of this type, skipping unsequenced presence frames only."""
    while True:
        frame = await receive(comm)
        if frame["type"] == "presence" and kind != "presence":
            continue
        assert frame["type"] == kind, frame
        return frame


async def next_frame(comm: WebsocketCommunicator) -> dict[str, Any]:
    """The next frame that is not a presence update."""
    while True:
        frame = await receive(comm)
        if frame["type"] != "presence":
            return frame


async def expect_close(comm: WebsocketCommunicator) -> int:
    """Drain frames until the server closes; returns the close code."""
    while True:
        output = await comm.receive_output(timeout=TIMEOUT)
        if output["type"] == "websocket.close":
            return int(output.get("code", 1000))


async def send(comm: WebsocketCommunicator, frame: dict[str, Any]) -> None:
    await comm.send_to(text_data=json.dumps(frame))


def run(body: Callable[[], Awaitable[None]]) -> None:
    """Run the async test body on a thread of its own: in the full suite an earlier browser
    test (Playwright's sync API) can leave an event loop running on the main thread, where
    async_to_sync refuses to start."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            async_to_sync(body)()
        except BaseException as error:  # handed to the test's thread below
            failure.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name="live-test-body")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


db = sync_to_async  # run ORM/service code from the async test body (same thread as the test)

# Transactional tests (the consumer commits, then broadcasts) flush the database after each
# test; limiting the flush to the apps these tests write keeps it cheap. Django skips the
# post_migrate after such a limited flush, so auth and contenttypes stay out of the list: had
# their tables been emptied, the next transactional test on this worker would start with no
# permissions and no content types (its merchant staff could not ship an order).
REALTIME_APPS = [
    "django.contrib.sessions",
    "circlemart.core",
    "circlemart.accounts",
    "circlemart.moderation",
    "circlemart.live",
]
