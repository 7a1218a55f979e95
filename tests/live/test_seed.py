"""The demo live rooms: one on air (products, a pinned one, a dropped and claimed coupon, chat,
likes, viewers, paid orders counted in the room), three upcoming, four replays with history;
the video is a real WebM; a second run adds nothing."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import av
import pytest

from circlemart.accounts.seed import demo_email, seed_staff
from circlemart.core import clock
from circlemart.live import demo_video
from circlemart.live.models import (
    Room,
    RoomCoupon,
    RoomMessage,
    RoomOrder,
    RoomProduct,
    RoomState,
    RoomTransition,
    ViewerSession,
)
from circlemart.live.seed import LIVE_CHAT, LIVE_ROOM, REPLAYS, seed_live
from circlemart.live.selectors.stats import room_stats
from circlemart.orders.seed import payments_in_process
from tests.orders.conftest import (  # noqa: F401  (fixtures used below)
    _webhooks_in_process,
    drain,
    make_buyer,
    make_sku,
    pay,
    place,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def world(media: Path, pay: Any) -> list[int]:  # noqa: F811  (the fixture)
    seed_staff()
    skus = [make_sku(price=5000 + index * 1000, stock=50) for index in range(24)]
    buyers = [make_buyer() for _ in range(30)]
    for index, (buyer, address_id) in enumerate(buyers[:12]):  # paid orders: the replays'
        pay(place(buyer, address_id, skus[-1 - index]))
    return [buyer.pk for buyer, _address in buyers]


def _rooms() -> dict[str, Any]:
    return {room.title: room for room in Room.objects.all()}


def test_the_demo_rooms(world: list[int], media: Path) -> None:
    summary = seed_live(rng=random.Random(7), user_ids=world, progress=False)

    assert summary == "8 live rooms"
    now = clock.now()
    rooms = _rooms()
    live = rooms[LIVE_ROOM[0]]
    assert live.host.email == demo_email("creator")
    assert live.state == RoomState.LIVE
    assert live.video_url == "/media/live/demo/circlemart-live-demo.webm"
    assert RoomProduct.objects.filter(room=live).count() == 6
    assert live.pinned_product_id in RoomProduct.objects.filter(room=live).values_list(
        "product_id", flat=True
    )
    coupon = RoomCoupon.objects.get(room=live)
    assert coupon.dropped_at is not None
    assert RoomMessage.objects.filter(room=live, kind="chat").count() == len(LIVE_CHAT)
    assert RoomOrder.objects.filter(room=live).count() == 3  # placed and paid in the room
    stats = room_stats(live.pk)
    assert stats.coupon_claims == 9
    assert stats.likes > 0
    assert stats.unique_viewers == 30 + 48 // 5  # every shopper of this world, 9 anonymous
    assert stats.orders == 3
    assert sum(point.messages for point in stats.series) == len(LIVE_CHAT)
    assert 20 <= len(stats.series) <= 27  # on air for 25 minutes
    assert list(RoomTransition.objects.filter(room=live).values_list("to_state", flat=True)) == [
        "live"
    ]
    # sequence numbers follow time in the log (what a replay and a reconnect read)
    moments = list(
        RoomMessage.objects.filter(room=live, kind="chat")
        .order_by("sequence")
        .values_list("created_at", flat=True)
    )
    assert moments == sorted(moments)

    upcoming = Room.objects.filter(state=RoomState.SCHEDULED, scheduled_start__gt=now)
    assert upcoming.count() == 3
    assert len({room.host_id for room in upcoming}) == 3
    assert live.host_id not in {room.host_id for room in upcoming}

    replays = Room.objects.filter(state=RoomState.REPLAY)
    assert sorted(replays.values_list("title", flat=True)) == sorted(row[0] for row in REPLAYS)
    orders_seen = 0
    for row in REPLAYS:
        replay = rooms[row[0]]
        stats = room_stats(replay.pk)
        assert replay.ended_at < now
        assert stats.messages == row[4]
        assert len(stats.series) == row[2]
        assert stats.peak_viewers > 3
        assert stats.unique_viewers == min(30, row[3]) + row[3] // 5
        assert sum(point.viewers > 0 for point in stats.series) >= row[2] - 2
        assert stats.likes == sum(point.likes for point in stats.series) > 0
        assert replay.peak_viewers == stats.peak_viewers
        orders_seen += stats.orders
        assert list(
            RoomTransition.objects.filter(room=replay).values_list("to_state", flat=True)
        ) == ["live", "ended", "replay"]
        sequences = list(
            RoomMessage.objects.filter(room=replay)
            .order_by("created_at", "sequence")
            .values_list("sequence", flat=True)
        )
        assert sequences == list(range(1, replay.last_sequence + 1))
    assert orders_seen == 12  # every paid order of the world, each counted once

    counts = (
        Room.objects.count(),
        RoomMessage.objects.count(),
        ViewerSession.objects.count(),
        RoomOrder.objects.count(),
    )
    with payments_in_process():
        again = seed_live(rng=random.Random(7), user_ids=world, progress=False)
    assert again == ""
    assert (
        Room.objects.count(),
        RoomMessage.objects.count(),
        ViewerSession.objects.count(),
        RoomOrder.objects.count(),
    ) == counts


def test_the_demo_video_is_a_webm_of_drawn_frames(media: Path) -> None:
    url, made = demo_video.ensure_demo_video()
    again, made_again = demo_video.ensure_demo_video()

    assert (url, made, again, made_again) == (
        "/media/live/demo/circlemart-live-demo.webm",
        True,
        url,
        False,
    )
    path = media / "live/demo/circlemart-live-demo.webm"
    with av.open(str(path)) as container:
        assert container.format.name.split(",")[0] in {"matroska", "webm"}
        stream = container.streams.video[0]
        assert stream.codec_context.name == "vp8"
        assert (stream.codec_context.width, stream.codec_context.height) == (360, 640)
        frames = sum(1 for _frame in container.decode(video=0))
    assert frames == demo_video.SECONDS * demo_video.FRAME_RATE
    assert not list(path.parent.glob(".*.part"))  # no half-written file left behind
