"""The in-memory channel layer of the live rooms: channels' semantics (groups, capacity, expiry)
at O(1) clean-up per call and one copy per broadcast."""

from __future__ import annotations

import asyncio
import time

from channels.layers import InMemoryChannelLayer

from circlemart.live.channel_layers import FanOutInMemoryChannelLayer


def test_a_group_message_reaches_every_member_once_each_with_its_own_dict():
    async def scenario() -> None:
        layer = FanOutInMemoryChannelLayer()
        assert isinstance(layer, InMemoryChannelLayer)
        channels = [await layer.new_channel() for _ in range(3)]
        for channel in channels:
            await layer.group_add("live.room.1", channel)
        await layer.group_add("live.room.2", channels[0])
        frame = {"type": "chat", "seq": 1, "data": {"text": "好看"}}
        await layer.group_send("live.room.1", {"type": "live.frame", "frame": frame})
        frame["data"]["text"] = "changed after sending"  # the sender's dict is not shared
        received = [await layer.receive(channel) for channel in channels]
        assert all(
            message
            == {"type": "live.frame", "frame": {"type": "chat", "seq": 1, "data": {"text": "好看"}}}
            for message in received
        )
        assert len({id(message) for message in received}) == 3
        await layer.group_send("live.room.2", {"type": "live.frame", "n": 2})
        assert await layer.receive(channels[0]) == {"type": "live.frame", "n": 2}
        assert all(layer.channels.get(channel) is None for channel in channels[1:])
        await layer.group_send("live.room.9", {"type": "live.frame"})  # nobody: nothing

    asyncio.run(scenario())


def test_a_full_channel_misses_the_message_and_the_others_still_get_it():
    async def scenario() -> None:
        layer = FanOutInMemoryChannelLayer(capacity=2)
        slow, fast = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("g", slow)
        await layer.group_add("g", fast)
        for number in range(3):
            await layer.group_send("g", {"type": "m", "n": number})
            assert (await layer.receive(fast))["n"] == number
        assert [(await layer.receive(slow))["n"] for _ in range(2)] == [0, 1]

    asyncio.run(scenario())


def test_expired_messages_and_their_channels_are_cleaned_at_most_once_per_interval():
    async def scenario() -> None:
        layer = FanOutInMemoryChannelLayer(expiry=0, clean_every=3600)
        gone, kept = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("g", gone)
        layer._clean_expired()  # the first clean: now throttled for an hour
        await layer.group_send("g", {"type": "m"})
        time.sleep(0.01)
        layer._clean_expired()  # throttled: the expired message stays for now
        assert gone in layer.channels
        layer._next_clean = 0.0  # the interval passed
        await layer.group_add("g2", kept)
        layer._clean_expired()
        assert gone not in layer.channels  # expired message dropped …
        assert gone not in layer.groups.get("g", {})  # … and the channel left its groups
        assert kept in layer.groups["g2"]

    asyncio.run(scenario())
