"""Room statistics on a constructed room whose every number is worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from circlemart.core import clock
from circlemart.core.errors import NotFound
from circlemart.live.models import RoomCoupon, RoomMessage, RoomState
from circlemart.live.selectors.stats import MinutePoint, room_stats
from circlemart.promotions.coupons import services as coupon_services
from tests.live.factories import (
    RoomFactory,
    RoomMessageFactory,
    RoomOrderFactory,
    UserFactory,
    ViewerSessionFactory,
)
from tests.promotions.conftest import template

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 10, 0, 30, tzinfo=UTC)  # started; the series starts at 10:00:00


def at(minutes: int, seconds: int = 0) -> datetime:
    return datetime(2026, 3, 1, 10, minutes, seconds, tzinfo=UTC)


def _message(room, kind: str, moment: datetime, **fields):  # type: ignore[no-untyped-def]
    message = RoomMessageFactory(room=room, kind=kind, **fields)
    RoomMessage.objects.filter(pk=message.pk).update(created_at=moment)
    return message


@pytest.fixture
def room():  # type: ignore[no-untyped-def]
    """Started 10:00:30, ended 10:05:30 (six one-minute buckets from 10:00)."""
    room = RoomFactory(
        state=RoomState.ENDED,
        scheduled_start=T0,
        started_at=T0,
        ended_at=at(5, 30),
        like_count=12,
        peak_viewers=99,  # the sessions win when there are sessions
    )
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    # A in two tabs (merged: 10:00:30-10:03:00 = 150 s), B 90 s, C 60 s, an anonymous
    # viewer still connected when the room ended (10:02:00-10:05:30 = 210 s).
    ViewerSessionFactory(room=room, user=a, joined_at=T0, left_at=at(2, 30))
    ViewerSessionFactory(room=room, user=a, joined_at=at(1), left_at=at(3))
    ViewerSessionFactory(room=room, user=b, joined_at=at(1), left_at=at(2, 30))
    ViewerSessionFactory(room=room, user=None, visitor_key="anon:x", joined_at=at(2))
    ViewerSessionFactory(room=room, user=c, joined_at=at(4), left_at=at(5))

    _message(room, "chat", at(0) - timedelta(minutes=1), user=a)  # before the start: bucket 0
    _message(room, "chat", at(0, 40), user=a)
    _message(room, "chat", at(1, 10), user=b)
    _message(room, "chat", at(1, 50), user=b, is_deleted=True)
    _message(room, "chat", at(4, 59), user=c)
    _message(room, "likes", at(1, 30), user=None, payload={"total": 5, "delta": 5})
    _message(room, "likes", at(3, 10), user=None, payload={"total": 12, "delta": 7})
    _message(room, "announcement", at(2), user=None, payload={"text": "上新啦"})

    RoomOrderFactory(room=room, buyer_id=a.pk, total=19900, paid_at=at(2, 10))
    RoomOrderFactory(room=room, buyer_id=a.pk, total=5000, paid_at=at(4, 20))
    RoomOrderFactory(room=room, buyer_id=b.pk, total=10000, paid_at=at(6))  # after the end

    live_coupon = template(is_public=True, total_quantity=10)
    RoomCoupon.objects.create(room=room, coupon_template_id=live_coupon.pk, dropped_at=at(1))
    for user in (a, b):
        coupon_services.coupon_claim(user_id=user.pk, template_id=live_coupon.pk)
    other = template(is_public=True, total_quantity=10)  # not this room's
    coupon_services.coupon_claim(user_id=c.pk, template_id=other.pk)
    return room


def test_totals(room) -> None:  # type: ignore[no-untyped-def]
    stats = room_stats(room.pk)

    assert stats.started_at == T0
    assert stats.ended_at == at(5, 30)
    assert stats.duration_seconds == 300
    # 10:02:00-10:02:30: A, B and the anonymous viewer.
    assert stats.peak_viewers == 3
    assert stats.unique_viewers == 4
    assert stats.signed_in_viewers == 3
    assert stats.watch_seconds_total == 150 + 90 + 210 + 60
    assert stats.watch_seconds_average == 510 // 4
    assert stats.messages == 5
    assert stats.deleted_messages == 1
    assert stats.likes == 12
    assert stats.coupon_claims == 2
    assert stats.orders == 3
    assert stats.buyers == 2
    assert stats.gmv == 34900
    assert stats.currency == "CNY"
    assert stats.buyer_conversion == pytest.approx(2 / 3)
    assert stats.order_conversion == pytest.approx(3 / 4)


def test_series(room) -> None:  # type: ignore[no-untyped-def]
    stats = room_stats(room.pk)

    assert stats.bucket_seconds == 60
    assert stats.series == (
        MinutePoint(minute=at(0), viewers=1, messages=2, likes=0, orders=0, gmv=0),
        MinutePoint(minute=at(1), viewers=2, messages=2, likes=5, orders=0, gmv=0),
        MinutePoint(minute=at(2), viewers=3, messages=0, likes=0, orders=1, gmv=19900),
        # A left at 10:03:00 sharp: not in this minute.
        MinutePoint(minute=at(3), viewers=1, messages=0, likes=7, orders=0, gmv=0),
        MinutePoint(minute=at(4), viewers=2, messages=1, likes=0, orders=1, gmv=5000),
        # C left at 10:05:00 sharp; B's order paid after the end counts in the last minute.
        MinutePoint(minute=at(5), viewers=1, messages=0, likes=0, orders=1, gmv=10000),
    )
    assert sum(point.messages for point in stats.series) == stats.messages
    assert sum(point.gmv for point in stats.series) == stats.gmv


def test_a_running_room_counts_open_sessions_until_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: at(3))
    room = RoomFactory(state=RoomState.LIVE, scheduled_start=T0, started_at=T0)
    ViewerSessionFactory(room=room, joined_at=at(1))

    stats = room_stats(room.pk)

    assert stats.ended_at is None
    assert stats.duration_seconds == 150
    assert stats.watch_seconds_total == 120
    assert [point.viewers for point in stats.series] == [0, 1, 1]
    assert stats.buyer_conversion == 0.0
    assert stats.order_conversion == 0.0


def test_a_room_without_sessions_uses_the_live_counter() -> None:
    room = RoomFactory(scheduled_start=T0, peak_viewers=7)

    stats = room_stats(room.pk)

    assert stats.peak_viewers == 7
    assert stats.unique_viewers == 0
    assert stats.series == ()
    assert stats.buyer_conversion is None
    assert stats.order_conversion is None


def test_a_long_room_gets_wider_buckets() -> None:
    room = RoomFactory(
        state=RoomState.ENDED,
        scheduled_start=T0,
        started_at=T0,
        ended_at=T0 + timedelta(hours=13),
    )

    stats = room_stats(room.pk)

    assert stats.bucket_seconds == 120
    assert len(stats.series) == 391  # 13 h 0 min 30 s from 10:00:00, two minutes a bucket


def test_unknown_room() -> None:
    with pytest.raises(NotFound):
        room_stats(987654)
