"""The in-memory channel layer, fit for one room with a thousand viewers.

channels' InMemoryChannelLayer scans every channel with pending messages and every member of
every group on each `receive()` and `group_send()` (expiry clean-up), and deep-copies the
message once per member in a task per member: a broadcast to N viewers costs O(N²) work, which
at 1,000 viewers and 20 messages a second is more than a core (bench/live_fanout.py). This layer
keeps its semantics (capacity per channel, a full channel misses the message, expiry, group
expiry) and changes the cost:

- expiry clean-up runs at most once per `clean_every` seconds (default 1 s) instead of on every
  call (messages and memberships still expire; a little later, never earlier);
- `group_send` deep-copies the message once and gives each member its own top-level dict over
  that copy, put straight on the members' queues (no task per member). Receivers must not
  mutate nested values of a group message (the live consumer only reads them).

Like its parent it lives inside one process: use the Redis layer (REDIS_URL) when several
processes serve websockets.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from copy import deepcopy
from typing import Any

from channels.layers import InMemoryChannelLayer


class FanOutInMemoryChannelLayer(InMemoryChannelLayer):
    def __init__(self, *args: Any, clean_every: float = 1.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clean_every = clean_every
        self._next_clean = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now < self._next_clean:
            return
        self._next_clean = now + self.clean_every
        super()._clean_expired()

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        members = self.groups.get(group)
        if not members:
            return
        shared = deepcopy(message)
        expires = time.time() + self.expiry
        for channel in list(members):
            queue = self.channels.get(channel)
            if queue is None:
                queue = self.channels.setdefault(
                    channel, asyncio.Queue(maxsize=self.get_capacity(channel))
                )
            # As in channels' layer, a full channel misses this message.
            with suppress(asyncio.QueueFull):
                queue.put_nowait((expires, dict(shared)))
