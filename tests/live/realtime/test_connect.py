"""Connecting: welcome, unknown rooms, origin check, session and bearer-token auth, ping."""

from __future__ import annotations

import pytest

from circlemart.accounts import services as accounts_services
from circlemart.live.models import ViewerSession
from tests.live.factories import RoomAssistantFactory, RoomMuteFactory, UserFactory, live_room
from tests.live.realtime.harness import (
    REALTIME_APPS,
    communicator,
    expect_close,
    open_socket,
    receive,
    run,
    send,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True, available_apps=REALTIME_APPS)


def test_anonymous_viewer_is_welcomed_and_may_watch() -> None:
    room = live_room(title="冬季外套", like_count=7, slow_mode_seconds=3)

    async def body() -> None:
        comm = communicator(room.pk)
        connected, subprotocol = await comm.connect()
        assert connected
        assert subprotocol is None
        welcome = await receive(comm)
        assert welcome == {
            "type": "welcome",
            "data": {
                "room": {
                    "id": room.pk,
                    "state": "live",
                    "title": "冬季外套",
                    "pinned_product_id": None,
                    "like_count": 7,
                    "slow_mode_seconds": 3,
                },
                "last_seq": 0,
                "viewers": 1,
                "you": {
                    "user_id": None,
                    "name": "",
                    "can_chat": False,
                    "is_moderator": False,
                    "role": "anonymous",
                    "muted": None,
                },
            },
        }
        await comm.disconnect()

    run(body)
    session = ViewerSession.objects.get(room=room)
    assert session.user_id is None
    assert session.visitor_key.startswith("anon:")
    assert session.left_at is not None
    room.refresh_from_db()
    assert room.peak_viewers == 1


def test_signed_in_viewer_host_and_assistant_roles() -> None:
    room = live_room()
    viewer = UserFactory(nickname="小林")
    assistant = RoomAssistantFactory(room=room).user
    cookies = {
        "viewer": session_cookie(viewer),
        "host": session_cookie(room.host),
        "assistant": session_cookie(assistant),
    }

    async def body() -> None:
        you = {}
        for name, cookie in cookies.items():
            comm = communicator(room.pk, cookie=cookie)
            you[name] = (await open_socket(comm))["data"]["you"]
            await comm.disconnect()
        assert you["viewer"] == {
            "user_id": viewer.pk,
            "name": "小林",
            "can_chat": True,
            "is_moderator": False,
            "role": "viewer",
            "muted": None,
        }
        assert you["host"]["role"] == "host"
        assert you["host"]["is_moderator"] is True
        assert you["assistant"]["role"] == "assistant"
        assert you["assistant"]["is_moderator"] is True

    run(body)
    assert ViewerSession.objects.filter(room=room, left_at__isnull=True).count() == 0
    assert ViewerSession.objects.filter(room=room, visitor_key=f"user:{viewer.pk}").count() == 1


def test_muted_viewer_is_told_in_the_welcome() -> None:
    room = live_room()
    viewer = UserFactory()
    RoomMuteFactory(room=room, user=viewer, reason="刷屏")
    cookie = session_cookie(viewer)

    async def body() -> None:
        comm = communicator(room.pk, cookie=cookie)
        you = (await open_socket(comm))["data"]["you"]
        assert you["can_chat"] is False
        assert you["muted"] == {"reason": "刷屏", "until": None}
        await comm.disconnect()

    run(body)


def test_unknown_room_is_closed_with_4404() -> None:
    async def body() -> None:
        for path in ("/ws/live/999999/", "/ws/live/abc/", "/ws/elsewhere/"):
            comm = communicator(0, path=path)
            connected, _ = await comm.connect()
            assert connected
            assert await expect_close(comm) == 4404
            await comm.disconnect()

    run(body)
    assert ViewerSession.objects.count() == 0


def test_malformed_last_seq_is_closed_with_4400() -> None:
    room = live_room()

    async def body() -> None:
        comm = communicator(room.pk, path=f"/ws/live/{room.pk}/?last_seq=-3")
        connected, _ = await comm.connect()
        assert connected
        assert await expect_close(comm) == 4400
        await comm.disconnect()

    run(body)


@pytest.mark.parametrize(
    "origin",
    [b"http://evil.example", b"https://127.0.0.1.evil.example", b"null", b"file://"],
)
def test_foreign_origin_is_refused_with_4403(origin: bytes) -> None:
    room = live_room()

    async def body() -> None:
        comm = communicator(room.pk, origin=origin)
        connected, _ = await comm.connect()
        assert connected
        assert await expect_close(comm) == 4403
        await comm.disconnect()

    run(body)
    assert ViewerSession.objects.count() == 0


@pytest.mark.parametrize(
    "origin", [b"http://127.0.0.1:8000", b"http://localhost:8001", b"http://testserver", None]
)
def test_site_origins_and_non_browsers_are_allowed(origin: bytes | None) -> None:
    room = live_room()

    async def body() -> None:
        comm = communicator(room.pk, origin=origin)
        await open_socket(comm)
        await comm.disconnect()

    run(body)


def test_bearer_token_in_the_authorization_header() -> None:
    room = live_room()
    viewer = UserFactory()
    token = accounts_services.token_pair_issue(user=viewer).access_token

    async def body() -> None:
        comm = communicator(room.pk, headers=[(b"authorization", f"Bearer {token}".encode())])
        you = (await open_socket(comm))["data"]["you"]
        assert you["user_id"] == viewer.pk
        assert you["can_chat"] is True
        await comm.disconnect()

    run(body)


def test_bearer_token_as_a_subprotocol_is_not_echoed() -> None:
    room = live_room()
    viewer = UserFactory()
    token = accounts_services.token_pair_issue(user=viewer).access_token

    async def body() -> None:
        comm = communicator(room.pk, subprotocols=["live.v1", f"bearer.{token}"])
        connected, subprotocol = await comm.connect()
        assert connected
        assert subprotocol == "live.v1"
        welcome = await receive(comm)
        assert welcome["data"]["you"]["user_id"] == viewer.pk
        await comm.disconnect()

    run(body)


def test_invalid_or_query_string_token_leaves_the_viewer_anonymous() -> None:
    room = live_room()
    viewer = UserFactory()
    token = accounts_services.token_pair_issue(user=viewer).access_token

    async def body() -> None:
        bad = communicator(room.pk, headers=[(b"authorization", b"Bearer cma_not-a-token")])
        assert (await open_socket(bad))["data"]["you"]["user_id"] is None
        await bad.disconnect()
        in_query = communicator(room.pk, path=f"/ws/live/{room.pk}/?token={token}")
        assert (await open_socket(in_query))["data"]["you"]["user_id"] is None
        await in_query.disconnect()

    run(body)


def test_ping_is_answered_with_pong() -> None:
    room = live_room()

    async def body() -> None:
        comm = communicator(room.pk)
        await open_socket(comm)
        await send(comm, {"type": "ping"})
        assert await receive(comm) == {"type": "pong", "data": {}}
        await comm.disconnect()

    run(body)
