"""Per room and per server process: likes summed and flushed as one `likes` frame about once a
second, the viewer count sent as a `presence` frame when it changes (throttled), and, on the
in-memory channel layer, the room's log polled for frames other processes published."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

from circlemart.live.realtime import broadcast
from circlemart.live.realtime.broadcast import FRAME_EVENT, room_group
from circlemart.live.selectors import chat as chat_selectors
from circlemart.live.services import chat as chat_services

logger = logging.getLogger(__name__)


def likes_flush_seconds() -> float:
    return float(getattr(settings, "LIVE_LIKES_FLUSH_SECONDS", 1.0))


def presence_seconds() -> float:
    return float(getattr(settings, "LIVE_PRESENCE_SECONDS", 2.0))


def log_poll_seconds() -> float:
    """How often to look for frames logged by other processes. The in-memory layer reaches only
    this process's connections, so frames published elsewhere (an HTTP request's pin, a
    worker's order) come from the log; a shared layer (Redis) delivers them itself: 0, off."""
    configured = getattr(settings, "LIVE_LOG_POLL_SECONDS", None)
    if configured is not None:
        return float(configured)
    return 0.3 if isinstance(get_channel_layer(), InMemoryChannelLayer) else 0.0


def _presence_count(room_id: int) -> int:
    viewers = chat_selectors.viewers_count(room_id=room_id)
    chat_services.room_peak_record(room_id=room_id, viewers=viewers)
    return viewers


class RoomTicker:
    """Lives while this process has at least one connection to the room."""

    def __init__(self, room_id: int, *, log_seq: int = 0) -> None:
        self.room_id = room_id
        self.log_seq = log_seq  # the log is polled from here on
        self.poll_seconds = log_poll_seconds()
        self.last_likes_at = time.monotonic()
        self.members = 0
        self.pending_likes = 0
        self.presence_dirty = False
        self.last_viewers: int | None = None
        self.last_presence_at = 0.0
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = self.loop.create_task(self._run(), name=f"live-room-{self.room_id}-ticker")

    async def stop(self) -> None:
        """Final flush, then the task ends."""
        self._stop.set()
        if self._task is not None:
            await self._task

    def add_likes(self, count: int) -> None:
        self.pending_likes += count

    async def _run(self) -> None:
        tick = likes_flush_seconds()
        if self.poll_seconds > 0:
            tick = min(tick, self.poll_seconds)
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=tick)
            final = self._stop.is_set()
            try:
                if self.poll_seconds > 0 and not final:
                    await self.poll_log()
                await self.flush(final=final)
            except Exception:
                # A background loop must outlive a failed round (the database restarting, the
                # layer briefly away): logged, and the next tick tries again.
                logger.exception("live room %s: ticker round failed", self.room_id)

    async def poll_log(self) -> None:
        """Send the group the logged frames no local publish has sent (connections drop any
        frame they already have, and fill a gap from the log themselves)."""
        self.log_seq = max(self.log_seq, broadcast.sent_locally(self.room_id))
        frames = await database_sync_to_async(chat_selectors.frames_after)(
            room_id=self.room_id, after_seq=self.log_seq, limit=500
        )
        layer = get_channel_layer()
        for frame in frames:
            if layer is not None:
                await layer.group_send(room_group(self.room_id), broadcast.frame_event(frame))
            self.log_seq = int(frame["seq"])

    async def flush(self, *, final: bool = False) -> None:
        now = time.monotonic()
        if self.pending_likes and (final or now - self.last_likes_at >= likes_flush_seconds()):
            self.last_likes_at = now
            count, self.pending_likes = self.pending_likes, 0
            await database_sync_to_async(chat_services.room_likes_add)(
                room_id=self.room_id, count=count
            )
        if self.presence_dirty and (final or now - self.last_presence_at >= presence_seconds()):
            self.presence_dirty = False
            self.last_presence_at = now
            viewers = await database_sync_to_async(_presence_count)(self.room_id)
            if viewers != self.last_viewers:
                self.last_viewers = viewers
                await send_presence(self.room_id, viewers)


async def send_presence(room_id: int, viewers: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    frame: dict[str, Any] = {"type": "presence", "data": {"viewers": viewers}}
    await layer.group_send(room_group(room_id), {"type": FRAME_EVENT, "frame": frame})


_tickers: dict[int, RoomTicker] = {}


def join(room_id: int, *, viewers: int | None = None, last_seq: int = 0) -> RoomTicker:
    ticker = _tickers.get(room_id)
    if ticker is None or ticker.loop is not asyncio.get_running_loop():
        ticker = RoomTicker(room_id, log_seq=last_seq)
        ticker.last_viewers = viewers
        _tickers[room_id] = ticker
        ticker.start()
    ticker.members += 1
    ticker.presence_dirty = True
    return ticker


async def leave(ticker: RoomTicker) -> None:
    ticker.members -= 1
    ticker.presence_dirty = True
    if ticker.members <= 0:
        if _tickers.get(ticker.room_id) is ticker:
            del _tickers[ticker.room_id]
        await ticker.stop()
