"""The live room's websocket (docs/live-protocol.md): welcome, replay from the log on reconnect,
gap-free live frames, chat, likes, presence and moderation."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import translation
from django.utils.translation import gettext as _

from circlemart.core.errors import DomainError
from circlemart.live.realtime import relay as relays
from circlemart.live.realtime import ticker as tickers
from circlemart.live.realtime.auth import SUBPROTOCOL, scope_language
from circlemart.live.realtime.broadcast import FRAME_EVENT, user_group
from circlemart.live.selectors import chat as chat_selectors
from circlemart.live.services import chat as chat_services

MAX_FRAME_BYTES = 2048
LIKES_PER_SECOND = 100  # per connection
REPLAY_PAGE = 500

CLOSE_BAD_FRAME = 4400
CLOSE_UNAUTHENTICATED = 4401  # reserved
CLOSE_FORBIDDEN = 4403
CLOSE_NO_ROOM = 4404
CLOSE_TOO_LARGE = 4413

CLOSED_STATES = frozenset({"ended", "replay"})


class BadFrame(Exception):
    """A client frame that breaks the protocol: the socket closes with 4400."""


def _json(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def _int_field(frame: dict[str, Any], name: str, low: int, high: int) -> int:
    value = frame.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadFrame(name)
    return value


def _str_field(frame: dict[str, Any], name: str, *, max_chars: int = MAX_FRAME_BYTES) -> str:
    value = frame.get(name)
    if not isinstance(value, str) or len(value) > max_chars:
        raise BadFrame(name)
    return value


@dataclass(frozen=True)
class Welcome:
    """What connect() learns in one trip to the database."""

    room: chat_selectors.RoomSnapshot
    user_id: int | None
    name: str
    role: str
    mute: chat_selectors.MuteView | None
    viewers: int
    session_id: int | None


def _visitor_key(scope: dict[str, Any], user_id: int | None) -> str:
    if user_id is not None:
        return f"user:{user_id}"
    session = scope.get("session")
    session_key = getattr(session, "session_key", None) if session is not None else None
    if session_key:
        return "anon:" + hashlib.sha256(session_key.encode()).hexdigest()[:32]
    return "anon:" + uuid.uuid4().hex  # one connection: counted once while it stays


def _welcome(scope: dict[str, Any], room_id: int) -> Welcome | None:
    room = chat_selectors.room_snapshot(room_id=room_id)
    if room is None:
        return None
    user = scope.get("user")
    user_id = int(user.pk) if user is not None and user.is_authenticated else None
    role = chat_selectors.chat_role(room_id=room_id, user_id=user_id)
    mute = None
    name = ""
    if user_id is not None:
        name, _avatar = chat_selectors.display_name(user_id=user_id)
        if not chat_selectors.is_moderator_role(role):
            mute = chat_selectors.active_mute(room_id=room_id, user_id=user_id)
    session_id = None
    if mute is None or not mute.is_kicked:
        session_id = chat_services.viewer_session_open(
            room_id=room_id, user_id=user_id, visitor_key=_visitor_key(scope, user_id)
        )
    return Welcome(
        room=room,
        user_id=user_id,
        name=name,
        role=role,
        mute=mute,
        viewers=chat_selectors.viewers_count(room_id=room_id),
        session_id=session_id,
    )


class LiveRoomConsumer(AsyncWebsocketConsumer):
    """One viewer's connection to one room."""

    room_id: int
    user_id: int | None = None
    role = "anonymous"
    room_state = ""
    last_seq = 0
    session_id: int | None = None
    ticker: tickers.RoomTicker | None = None
    relay: relays.RoomRelay | None = None
    joined_groups: tuple[str, ...] = ()
    likes_window_start = 0.0
    likes_in_window = 0

    # --- connection ------------------------------------------------------------------------

    async def connect(self) -> None:
        self.language = scope_language(self.scope)
        with translation.override(self.language):
            await self._connect()

    async def _connect(self) -> None:
        subprotocol = SUBPROTOCOL if SUBPROTOCOL in (self.scope.get("subprotocols") or []) else None
        await self.accept(subprotocol)
        raw_room_id = str(self.scope["url_route"]["kwargs"].get("room_id", ""))
        if not raw_room_id.isdigit() or len(raw_room_id) > 18:
            await self.close(CLOSE_NO_ROOM)
            return
        self.room_id = int(raw_room_id)
        try:
            resume_from = self._resume_from()
        except BadFrame:
            await self.close(CLOSE_BAD_FRAME)
            return
        # Subscribe before reading the log: a frame committed from now on reaches this
        # connection through the room's relay (held until it has caught up), anything before
        # is in the log.
        self.relay = await relays.subscribe(self.room_id, self)
        welcome = await database_sync_to_async(_welcome)(self.scope, self.room_id)
        if welcome is None:
            await self._leave_groups()
            await self.close(CLOSE_NO_ROOM)
            return
        self.user_id = welcome.user_id
        self.role = welcome.role
        self.room_state = welcome.room.state
        self.session_id = welcome.session_id
        if welcome.mute is not None and welcome.mute.is_kicked:
            await self._leave_groups()
            await self._send_frame(self._kicked_frame(welcome.mute.reason))
            await self.close(CLOSE_FORBIDDEN)
            return
        if self.user_id is not None:
            group = user_group(self.room_id, self.user_id)
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined_groups += (group,)
        self.ticker = tickers.join(
            self.room_id, viewers=welcome.viewers, last_seq=welcome.room.last_sequence
        )
        is_moderator = chat_selectors.is_moderator_role(self.role)
        await self._send_frame(
            {
                "type": "welcome",
                "data": {
                    "room": welcome.room.as_frame_data(),
                    "last_seq": welcome.room.last_sequence,
                    "viewers": welcome.viewers,
                    "you": {
                        "user_id": self.user_id,
                        "name": welcome.name,
                        "can_chat": self.user_id is not None
                        and welcome.mute is None
                        and self.room_state not in CLOSED_STATES,
                        "is_moderator": is_moderator,
                        "role": self.role,
                        "muted": welcome.mute.as_frame_data() if welcome.mute else None,
                    },
                },
            }
        )
        if resume_from is None:
            self.last_seq = welcome.room.last_sequence
        else:
            self.last_seq = resume_from
            await self._send_logged(until_seq=welcome.room.last_sequence)
            self.last_seq = max(self.last_seq, welcome.room.last_sequence)
        while pending := self.relay.take_pending(self):
            for event in pending:
                await self.live_frame(event)

    def _resume_from(self) -> int | None:
        """The client's last applied seq (None: a new client); BadFrame if malformed."""
        query = parse_qs(bytes(self.scope.get("query_string", b"")).decode("latin1"))
        values = query.get("last_seq")
        if not values:
            return None
        value = values[0]
        if not value.isdigit() or len(value) > 18:
            raise BadFrame("last_seq")
        return int(value)

    async def _send_logged(self, *, until_seq: int) -> None:
        """Send the log's frames after self.last_seq up to until_seq, in order, once each."""
        while self.last_seq < until_seq:
            frames = await database_sync_to_async(chat_selectors.frames_after)(
                room_id=self.room_id,
                after_seq=self.last_seq,
                until_seq=until_seq,
                limit=REPLAY_PAGE,
            )
            if not frames:
                return
            for frame in frames:
                await self._send_frame(frame)
                self.last_seq = int(frame["seq"])

    async def disconnect(self, code: int) -> None:
        await self._leave_groups()
        if self.ticker is not None:
            ticker, self.ticker = self.ticker, None
            await tickers.leave(ticker)
        if self.session_id is not None:
            session_id, self.session_id = self.session_id, None
            await database_sync_to_async(chat_services.viewer_session_close)(session_id=session_id)

    async def _leave_groups(self) -> None:
        if self.relay is not None:
            relay, self.relay = self.relay, None
            await relays.unsubscribe(relay, self)
        for group in self.joined_groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined_groups = ()

    # --- from the room ---------------------------------------------------------------------

    async def dispatch(self, message: dict[str, Any]) -> None:
        # The hot path of a room: a frame for this socket touches no database (a gap is filled
        # through database_sync_to_async, which closes stale connections itself), so skip
        # channels' per-message close_old_connections() hop to a thread (5x the fan-out rate).
        if message.get("type") == FRAME_EVENT:
            await self.live_frame(message)
            return
        await super().dispatch(message)

    async def live_frame(self, event: dict[str, Any]) -> None:
        frame: dict[str, Any] = event["frame"]
        seq = frame.get("seq")
        if seq is None:
            await self._send_frame(frame)
            return
        if seq <= self.last_seq:
            return  # already sent (from the log on connect, or filling a gap)
        if seq > self.last_seq + 1:
            # Frames of one room can overtake each other between commits and the layer; the
            # earlier ones are committed (numbers are allocated under the room's row lock).
            await self._send_logged(until_seq=seq - 1)
        if frame.get("type") == "state":
            self.room_state = str(frame.get("data", {}).get("state", self.room_state))
        await self._send_frame(frame, text=event.get("text"))
        self.last_seq = seq

    async def live_close(self, event: dict[str, Any]) -> None:
        with translation.override(self.language):
            reason = str(event.get("frame", {}).get("data", {}).get("reason", ""))
            await self._send_frame(self._kicked_frame(reason))
        await self.close(int(event.get("code", CLOSE_FORBIDDEN)))

    def _kicked_frame(self, reason: str) -> dict[str, Any]:
        message = _("You were sent out of this room. Reason: %(reason)s") % {
            "reason": reason or _("no reason given")
        }
        return {"type": "error", "data": {"code": "kicked", "message": message, "reason": reason}}

    async def _send_frame(self, frame: dict[str, Any], *, text: str | None = None) -> None:
        await self.send(text_data=text or _json(frame))

    # --- from the client -------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self.close(CLOSE_BAD_FRAME)
            return
        if len(text_data) > MAX_FRAME_BYTES or len(text_data.encode()) > MAX_FRAME_BYTES:
            await self.close(CLOSE_TOO_LARGE)
            return
        try:
            frame = json.loads(text_data)
            if not isinstance(frame, dict):
                raise BadFrame("frame")
            kind = frame.get("type")
            handler = self._handlers().get(kind) if isinstance(kind, str) else None
            if handler is None:
                raise BadFrame("type")
            with translation.override(self.language):
                await handler(frame)
        except (ValueError, BadFrame):  # json.JSONDecodeError is a ValueError
            await self.close(CLOSE_BAD_FRAME)

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[None]]]:
        return {
            "ping": self._on_ping,
            "chat": self._on_chat,
            "like": self._on_like,
            "delete": self._on_delete,
            "mute": self._on_mute,
            "unmute": self._on_unmute,
            "kick": self._on_kick,
            "slow_mode": self._on_slow_mode,
            "announce": self._on_announce,
        }

    async def _send_error(self, error: DomainError) -> None:
        await self._send_frame({"type": "error", "data": error.as_dict()})

    async def _call(self, service: Callable[..., Any], **kwargs: Any) -> None:
        """Run a service; a refusal goes back to this client only, as an `error` frame."""
        try:
            await database_sync_to_async(service)(**kwargs)
        except DomainError as error:
            await self._send_error(error)

    async def _on_ping(self, frame: dict[str, Any]) -> None:
        await self._send_frame({"type": "pong", "data": {}})

    async def _on_chat(self, frame: dict[str, Any]) -> None:
        text = _str_field(frame, "text")
        await self._call(
            chat_services.chat_post, room_id=self.room_id, user_id=self.user_id, text=text
        )

    async def _on_like(self, frame: dict[str, Any]) -> None:
        count = _int_field(frame, "count", 1, chat_services.LIKES_MAX_PER_FRAME)
        if self.user_id is None:
            await self._send_error(
                DomainError(_("Sign in to like this live room."), code="sign_in_required")
            )
            return
        if self.room_state in CLOSED_STATES:
            await self._send_error(DomainError(_("This live room has ended."), code="room_closed"))
            return
        # A client may tap fast, not forever: taps over the cap in one second are dropped.
        now = time.monotonic()
        if now - self.likes_window_start >= 1.0:
            self.likes_window_start, self.likes_in_window = now, 0
        count = min(count, LIKES_PER_SECOND - self.likes_in_window)
        if count > 0 and self.ticker is not None:
            self.likes_in_window += count
            self.ticker.add_likes(count)

    async def _on_delete(self, frame: dict[str, Any]) -> None:
        seq = _int_field(frame, "seq", 1, 2**62)
        await self._call(
            chat_services.chat_delete, actor_id=self.user_id, room_id=self.room_id, seq=seq
        )

    async def _on_mute(self, frame: dict[str, Any]) -> None:
        user_id = _int_field(frame, "user_id", 1, 2**62)
        reason = _str_field(frame, "reason")
        minutes = None
        if frame.get("minutes") is not None:
            minutes = _int_field(frame, "minutes", 1, chat_services.MUTE_MAX_MINUTES)
        await self._call(
            chat_services.user_mute,
            actor_id=self.user_id,
            room_id=self.room_id,
            user_id=user_id,
            reason=reason,
            minutes=minutes,
        )

    async def _on_unmute(self, frame: dict[str, Any]) -> None:
        user_id = _int_field(frame, "user_id", 1, 2**62)
        await self._call(
            chat_services.user_unmute, actor_id=self.user_id, room_id=self.room_id, user_id=user_id
        )

    async def _on_kick(self, frame: dict[str, Any]) -> None:
        user_id = _int_field(frame, "user_id", 1, 2**62)
        reason = _str_field(frame, "reason")
        await self._call(
            chat_services.user_kick,
            actor_id=self.user_id,
            room_id=self.room_id,
            user_id=user_id,
            reason=reason,
        )

    async def _on_slow_mode(self, frame: dict[str, Any]) -> None:
        seconds = _int_field(frame, "seconds", 0, chat_services.SLOW_MODE_MAX_SECONDS)
        await self._call(
            chat_services.room_slow_mode_set,
            actor_id=self.user_id,
            room_id=self.room_id,
            seconds=seconds,
        )

    async def _on_announce(self, frame: dict[str, Any]) -> None:
        text = _str_field(frame, "text")
        await self._call(
            chat_services.chat_announce, actor_id=self.user_id, room_id=self.room_id, text=text
        )


class UnknownRouteConsumer(AsyncWebsocketConsumer):
    """Any other websocket path: accepted and closed with 4404, so the client sees why."""

    async def connect(self) -> None:
        await self.accept()
        await self.close(CLOSE_NO_ROOM)
