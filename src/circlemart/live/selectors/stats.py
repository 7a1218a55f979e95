"""A live room's statistics for its host and the back office: viewers (peak, unique, watch
time), chat, likes, coupon claims, orders, GMV, conversion and a per-minute series.

Definitions (the back office shows them as help texts):
- a viewer is a `visitor_key` (a signed-in user, or an anonymous browser); several connections of
  one viewer (two tabs, a reconnect) are merged into the union of their intervals, so nobody is
  counted twice at one moment and watch time is not doubled;
- a session still open ends at the room's end (ended_at), or now while the room runs;
- peak viewers: the most viewers watching at one instant (from the sessions; the live counter
  Room.peak_viewers when no session was recorded);
- messages: chat messages sent (including those moderators deleted later, counted apart);
- likes: Room.like_count (taps are aggregated by the realtime layer; the series sums the `likes`
  frames' deltas);
- buyer conversion = distinct buyers / unique signed-in viewers (only signed-in viewers can buy);
  order conversion = orders / unique viewers (every viewer, anonymous included);
- the series runs from the minute the room started to its end (or now) in buckets of one minute
  (wider when a room ran longer than MAX_POINTS minutes); events before the start or after the
  end are counted in the first / last bucket, so the series adds up to the totals.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, IntegerField, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncMinute
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import NotFound
from circlemart.live.models import (
    MessageKind,
    Room,
    RoomCoupon,
    RoomMessage,
    RoomOrder,
    RoomState,
    ViewerSession,
)
from circlemart.promotions.coupons import selectors as coupon_selectors

MAX_POINTS = 720  # a 12-hour room still gets one-minute buckets
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class MinutePoint:
    """One bucket of the series; `viewers` watched at some moment of it."""

    minute: datetime
    viewers: int
    messages: int
    likes: int
    orders: int
    gmv: int


@dataclass(frozen=True)
class RoomStats:
    room_id: int
    state: str
    started_at: datetime | None
    ended_at: datetime | None  # the room's end, or None while it runs
    duration_seconds: int
    peak_viewers: int
    unique_viewers: int
    signed_in_viewers: int
    watch_seconds_total: int
    watch_seconds_average: int  # per unique viewer
    messages: int
    deleted_messages: int
    likes: int
    coupon_claims: int
    orders: int
    buyers: int
    gmv: int  # minor units
    currency: str
    buyer_conversion: float | None  # buyers / signed-in unique viewers
    order_conversion: float | None  # orders / unique viewers
    bucket_seconds: int
    series: tuple[MinutePoint, ...]


Interval = tuple[datetime, datetime]


def _merged(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of one viewer's intervals, sorted, without overlaps."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _peak(intervals: Iterable[Interval]) -> int:
    """The most intervals open at one instant (an interval is [start, end): one leaving when
    another joins are not counted together)."""
    edges = sorted(
        [(start, 1) for start, _end in intervals] + [(end, -1) for _start, end in intervals],
        key=lambda edge: (edge[0], edge[1]),
    )
    current = best = 0
    for _moment, step in edges:
        current += step
        best = max(best, current)
    return best


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _viewer_intervals(room: Room, end: datetime) -> tuple[dict[str, list[Interval]], set[int]]:
    per_visitor: dict[str, list[Interval]] = defaultdict(list)
    users: set[int] = set()
    rows = ViewerSession.objects.filter(room_id=room.pk).values_list(
        "visitor_key", "user_id", "joined_at", "left_at"
    )
    for visitor_key, user_id, joined_at, left_at in rows:
        left = min(left_at, end) if left_at is not None else end
        per_visitor[visitor_key].append((joined_at, max(left, joined_at)))
        if user_id is not None:
            users.add(int(user_id))
    return {key: _merged(spans) for key, spans in per_visitor.items()}, users


class _Buckets:
    def __init__(self, start: datetime, end: datetime) -> None:
        self.start = start.replace(second=0, microsecond=0)
        minutes = max(1, math.ceil((end - self.start) / MINUTE))
        self.width = MINUTE * math.ceil(minutes / MAX_POINTS)
        self.count = max(1, math.ceil((end - self.start) / self.width))

    def index(self, moment: datetime) -> int:
        position = int((moment - self.start) // self.width)
        return min(max(position, 0), self.count - 1)

    def bounds(self, index: int) -> Interval:
        start = self.start + self.width * index
        return start, start + self.width


def room_stats(room_id: int) -> RoomStats:
    """The room's numbers (for its host and staff: callers check who may see them)."""
    room = Room.objects.filter(pk=room_id).first()
    if room is None:
        raise NotFound(_("Live room not found."), code="room_not_found", field="room_id")
    now = clock.now()
    is_over = room.ended_at is not None and room.state in (RoomState.ENDED, RoomState.REPLAY)
    end = room.ended_at if is_over and room.ended_at is not None else now
    visitors, signed_in = _viewer_intervals(room, end)
    all_intervals = [span for spans in visitors.values() for span in spans]
    watch_seconds = int(sum((b - a).total_seconds() for a, b in all_intervals))
    peak = _peak(all_intervals) if visitors else int(room.peak_viewers)

    chats = RoomMessage.objects.filter(room_id=room.pk, kind=MessageKind.CHAT)
    chat_totals = chats.aggregate(sent=Count("id"), deleted=Count("id", filter=Q(is_deleted=True)))
    orders = RoomOrder.objects.filter(room_id=room.pk)
    order_totals = orders.aggregate(
        count=Count("id"), buyers=Count("buyer_id", distinct=True), gmv=Sum("total")
    )
    currencies = set(orders.values_list("currency", flat=True).distinct())
    currency = currencies.pop() if len(currencies) == 1 else settings.DEFAULT_CURRENCY
    templates = RoomCoupon.objects.filter(room_id=room.pk).values_list(
        "coupon_template_id", flat=True
    )
    claims = sum(coupon_selectors.claim_counts(template_ids=list(templates)).values())

    bucket_seconds = 60
    series: tuple[MinutePoint, ...] = ()
    if room.started_at is not None:
        buckets = _Buckets(room.started_at, max(end, room.started_at + timedelta(seconds=1)))
        bucket_seconds = int(buckets.width.total_seconds())
        series = _series(room, buckets, visitors)

    unique = len(visitors)
    order_count = int(order_totals["count"] or 0)
    buyers = int(order_totals["buyers"] or 0)
    started = room.started_at
    return RoomStats(
        room_id=room.pk,
        state=room.state,
        started_at=started,
        ended_at=room.ended_at if is_over else None,
        duration_seconds=int((end - started).total_seconds()) if started and end > started else 0,
        peak_viewers=peak,
        unique_viewers=unique,
        signed_in_viewers=len(signed_in),
        watch_seconds_total=watch_seconds,
        watch_seconds_average=watch_seconds // unique if unique else 0,
        messages=int(chat_totals["sent"] or 0),
        deleted_messages=int(chat_totals["deleted"] or 0),
        likes=int(room.like_count),
        coupon_claims=claims,
        orders=order_count,
        buyers=buyers,
        gmv=int(order_totals["gmv"] or 0),
        currency=currency,
        buyer_conversion=_ratio(buyers, len(signed_in)),
        order_conversion=_ratio(order_count, unique),
        bucket_seconds=bucket_seconds,
        series=series,
    )


def _series(
    room: Room, buckets: _Buckets, visitors: dict[str, list[Interval]]
) -> tuple[MinutePoint, ...]:
    viewers = [0] * buckets.count
    for spans in visitors.values():
        seen: set[int] = set()
        for start, end in spans:
            first = buckets.index(start)
            # [start, end): a viewer leaving exactly on a boundary is not in the next bucket.
            last = buckets.index(end - timedelta(microseconds=1))
            seen.update(range(first, last + 1))
        for index in seen:
            viewers[index] += 1

    messages = [0] * buckets.count
    likes = [0] * buckets.count
    logged = (
        RoomMessage.objects.filter(room_id=room.pk, kind__in=[MessageKind.CHAT, MessageKind.LIKES])
        .annotate(minute=TruncMinute("created_at"))
        .values("minute", "kind")
        .annotate(
            count=Count("id"),
            delta=Sum(Cast(KeyTextTransform("delta", "payload"), IntegerField())),
        )
    )
    for row in logged:
        index = buckets.index(row["minute"])
        if row["kind"] == MessageKind.CHAT:
            messages[index] += int(row["count"])
        else:
            likes[index] += int(row["delta"] or 0)

    orders = [0] * buckets.count
    gmv = [0] * buckets.count
    paid = (
        RoomOrder.objects.filter(room_id=room.pk)
        .annotate(minute=TruncMinute("paid_at"))
        .values("minute")
        .annotate(count=Count("id"), total=Sum("total"))
    )
    for sale in paid:
        index = buckets.index(sale["minute"])
        orders[index] += int(sale["count"])
        gmv[index] += int(sale["total"] or 0)

    return tuple(
        MinutePoint(
            minute=buckets.bounds(index)[0],
            viewers=viewers[index],
            messages=messages[index],
            likes=likes[index],
            orders=orders[index],
            gmv=gmv[index],
        )
        for index in range(buckets.count)
    )


@dataclass(frozen=True)
class OnAir:
    """The back-office home's live card: rooms on air now and who watches them."""

    rooms: int
    viewers: int


def on_air() -> OnAir:
    live = Room.objects.filter(state__in=[RoomState.LIVE, RoomState.PAUSED])
    viewers = ViewerSession.objects.filter(room__in=live, left_at__isnull=True).aggregate(
        count=Count("visitor_key", distinct=True)
    )
    return OnAir(rooms=live.count(), viewers=int(viewers["count"] or 0))
