"""One subscription to a room's group per server process, shared by all of the process's
viewers of that room: each frame crosses the channel layer once and is handed to every local
connection, instead of one channel-layer receive (and task) per viewer — the fan-out of a room
with a thousand viewers costs one layer message, not a thousand (bench/live_fanout.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from channels.layers import get_channel_layer

from circlemart.live.realtime.broadcast import FRAME_EVENT, room_group

logger = logging.getLogger(__name__)


class Member(Protocol):
    async def live_frame(self, event: dict[str, Any]) -> None: ...


class RoomRelay:
    """Lives while this process has at least one connection to the room."""

    def __init__(self, room_id: int) -> None:
        self.room_id = room_id
        self.loop = asyncio.get_running_loop()
        # A member's frames wait in its list until it has caught up from the log; None: live.
        self.members: dict[Member, list[dict[str, Any]] | None] = {}
        self.subscribed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = self.loop.create_task(self._run(), name=f"live-room-{self.room_id}-relay")

    async def _run(self) -> None:
        layer = get_channel_layer()
        if layer is None:
            self.subscribed.set()
            return
        channel = await layer.new_channel(prefix="live-relay.")
        group = room_group(self.room_id)
        await layer.group_add(group, channel)
        self.subscribed.set()
        try:
            while True:
                event = await layer.receive(channel)
                if event.get("type") == FRAME_EVENT:
                    await self._deliver(event)
        finally:
            with contextlib.suppress(Exception):
                await layer.group_discard(group, channel)

    async def _deliver(self, event: dict[str, Any]) -> None:
        for member in list(self.members):
            if member not in self.members:
                continue  # left while an earlier member was being served
            pending = self.members[member]
            if pending is not None:
                pending.append(event)
                continue
            try:
                await member.live_frame(event)
            except Exception as error:
                # One broken socket (usually a viewer who just left) must not starve the others.
                logger.info(
                    "live room %s: a frame did not reach a viewer (%s)",
                    self.room_id,
                    type(error).__name__,
                )

    def take_pending(self, member: Member) -> list[dict[str, Any]]:
        """The frames that arrived while `member` caught up; once none are left it is live.
        (No await between the check and the switch: a frame is either listed or delivered.)"""
        pending = self.members.get(member)
        if not pending:
            self.members[member] = None
            return []
        self.members[member] = []
        return pending

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


_relays: dict[int, RoomRelay] = {}


async def subscribe(room_id: int, member: Member) -> RoomRelay:
    """Add a connection to its room's relay (made and subscribed on first use). Its frames are
    held until it calls take_pending(), so it can replay the log first and miss nothing."""
    relay = _relays.get(room_id)
    if relay is None or relay.loop is not asyncio.get_running_loop():
        relay = RoomRelay(room_id)
        _relays[room_id] = relay
        relay.start()
    relay.members[member] = []
    await relay.subscribed.wait()
    return relay


async def unsubscribe(relay: RoomRelay, member: Member) -> None:
    relay.members.pop(member, None)
    if not relay.members:
        if _relays.get(relay.room_id) is relay:
            del _relays[relay.room_id]
        await relay.stop()
