"""A small known world for the metric tests: four users, five visits (one a bot), four
orders, four products in two categories, reviews, surveys and channel spend, in the first
week of March 2026 (Asia/Shanghai). Every expected value in the tests is counted by hand
from what is written here.

Days (local): D1 = 2026-03-01 … D8 = 2026-03-08.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from circlemart.analytics.contracts import EventRecord
from circlemart.analytics.metrics.services import channel_spend_record
from circlemart.analytics.models import TrackedSession
from circlemart.analytics.services import events_record
from circlemart.catalog.models import Product
from tests.catalog import factories as catalog

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST, LAST = date(2026, 3, 1), date(2026, 3, 8)
U1, U2, U3, U4, BOT_USER = 1001, 1002, 1003, 1004, 1099


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Local time on 2026-03-<day>."""
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class World:
    p1: int  # category A, new (created 2026-02-20), sold on D1 and D8
    p2: int  # category B, old, sold on D2
    p3: int  # category A, new (2026-02-25), never sold
    p4: int  # category B, off shelf
    category_a: int
    category_b: int


def _session(
    session_id: str,
    anonymous_id: str,
    user_id: int | None,
    source: str,
    start: datetime,
    end: datetime,
    *,
    is_bot: bool = False,
) -> None:
    TrackedSession.objects.create(
        session_id=session_id,
        anonymous_id=anonymous_id,
        user_id=user_id,
        started_at=start,
        last_seen_at=end,
        source=source,
        is_bot=is_bot,
    )


def _event(name: str, when: datetime, **fields: Any) -> EventRecord:
    from circlemart.analytics.catalogue import CATALOGUE

    origin = CATALOGUE[name].origin.value
    return EventRecord(name=name, occurred_at=when, origin=origin, **fields)


def build_world() -> World:
    category_a, category_b = catalog.category("A"), catalog.category("B")
    p1 = catalog.product(in_category=category_a, stock=(10,))
    p2 = catalog.product(in_category=category_b, stock=(10,))
    p3 = catalog.product(in_category=category_a, stock=(10,))
    p4 = catalog.product(in_category=category_b, stock=(10,), status=Product.Status.OFF_SHELF)
    Product.objects.filter(pk=p1.pk).update(created_at=datetime(2026, 2, 20, 12, tzinfo=SHANGHAI))
    Product.objects.filter(pk=p2.pk).update(created_at=datetime(2026, 1, 1, 12, tzinfo=SHANGHAI))
    Product.objects.filter(pk=p3.pk).update(created_at=datetime(2026, 2, 25, 12, tzinfo=SHANGHAI))
    Product.objects.filter(pk=p4.pk).update(created_at=datetime(2026, 1, 1, 12, tzinfo=SHANGHAI))

    # Visits. s5 starts at 07:00 local on D2, which is still D1 in UTC.
    _session("s1", "a1", U1, "search", at(1, 10), at(1, 10, 20))
    _session("s2", "a2", U2, "social", at(1, 23, 30), at(1, 23, 40))
    _session("s3", "a1", U1, "ad", at(2, 9), at(2, 9, 10))
    _session("s4", "bot", None, "direct", at(1, 12), at(1, 12, 5), is_bot=True)
    _session("s5", "a3", None, "direct", at(2, 7), at(2, 7, 1))

    pid1, pid2 = str(p1.pk), str(p2.pk)
    events = [
        # registrations: U1, U2 on D1 (U2 at 23:30), U3 on D2 at 07:00 local, U4 on D3
        _event("user_registered", at(1, 10), user_id=U1, object_id=str(U1)),
        _event("user_registered", at(1, 23, 30), user_id=U2, object_id=str(U2)),
        _event("user_registered", at(2, 7), user_id=U3, object_id=str(U3)),
        _event("user_registered", at(3, 12), user_id=U4, object_id=str(U4)),
        # s1 (search, U1): 3 pages, 45 s of dwell, a product view and a cart add
        *[
            _event(
                "page_view",
                at(1, 10, minute),
                user_id=U1,
                anonymous_id="a1",
                session_id="s1",
                object_id=f"/p{minute}",
            )
            for minute in (1, 2, 3)
        ],
        _event(
            "dwell",
            at(1, 10, 4),
            user_id=U1,
            anonymous_id="a1",
            session_id="s1",
            properties={"ms": 30000},
        ),
        _event(
            "dwell",
            at(1, 10, 5),
            user_id=U1,
            anonymous_id="a1",
            session_id="s1",
            properties={"ms": 15000},
        ),
        _event(
            "product_view",
            at(1, 10, 6),
            user_id=U1,
            anonymous_id="a1",
            session_id="s1",
            object_id=pid1,
        ),
        _event(
            "add_to_cart",
            at(1, 10, 7),
            user_id=U1,
            anonymous_id="a1",
            session_id="s1",
            object_id=pid1,
        ),
        # s2 (social, U2): one page — a bounce
        _event("page_view", at(1, 23, 35), user_id=U2, anonymous_id="a2", session_id="s2"),
        # s3 (ad, U1): 2 pages, 10 s, a product view
        _event("page_view", at(2, 9, 1), user_id=U1, anonymous_id="a1", session_id="s3"),
        _event("page_view", at(2, 9, 2), user_id=U1, anonymous_id="a1", session_id="s3"),
        _event(
            "dwell",
            at(2, 9, 3),
            user_id=U1,
            anonymous_id="a1",
            session_id="s3",
            properties={"ms": 10000},
        ),
        _event(
            "product_view",
            at(2, 9, 3),
            user_id=U1,
            anonymous_id="a1",
            session_id="s3",
            object_id=pid2,
        ),
        # s4 is a bot: none of this counts (not even its signed-in user)
        *[
            _event(
                "page_view",
                at(1, 12, minute),
                user_id=BOT_USER,
                anonymous_id="bot",
                session_id="s4",
            )
            for minute in range(5)
        ],
        _event(
            "product_view",
            at(1, 12, 4),
            user_id=BOT_USER,
            anonymous_id="bot",
            session_id="s4",
            object_id=pid1,
        ),
        # s5 (direct, anonymous): one page at 07:00 local on D2 (D1 in UTC)
        _event("page_view", at(2, 7), anonymous_id="a3", session_id="s5"),
        # O1: U1 in s1, 10000 paid on D1, 2 units of P1; shipped a day later, delivered
        # two days after that; survey 5 on D4
        _event(
            "order_placed", at(1, 10, 14), user_id=U1, object_id="O1", amount=10000, session_id="s1"
        ),
        _event(
            "order_paid", at(1, 10, 15), user_id=U1, object_id="O1", amount=10000, session_id="s1"
        ),
        _event(
            "product_sold",
            at(1, 10, 15),
            user_id=U1,
            object_id=pid1,
            amount=10000,
            properties={"units": 2, "order": "O1"},
        ),
        _event("order_shipped", at(2, 10, 15), user_id=U1, object_id="O1"),
        _event("order_delivered", at(4, 10, 15), user_id=U1, object_id="O1"),
        _event("csat_submitted", at(4, 11), user_id=U1, object_id="O1", properties={"score": 5}),
        # O2: U1 placed in s3 (ad) on D2, paid 5000 without a visit id (converts s3 by
        # time), 1 unit of P2; fully refunded on D3
        _event(
            "order_placed", at(2, 9, 4), user_id=U1, object_id="O2", amount=5000, session_id="s3"
        ),
        _event("order_paid", at(2, 9, 5), user_id=U1, object_id="O2", amount=5000),
        _event(
            "product_sold",
            at(2, 9, 5),
            user_id=U1,
            object_id=pid2,
            amount=5000,
            properties={"units": 1, "order": "O2"},
        ),
        _event(
            "order_refunded",
            at(3, 15),
            user_id=U1,
            object_id="O2",
            amount=5000,
            properties={"fully": True},
        ),
        # O3: U3 placed 3000 on D3 without a visit, cancelled unpaid (direct)
        _event("user_logged_in", at(3, 11), user_id=U3, object_id=str(U3)),
        _event("order_placed", at(3, 12), user_id=U3, object_id="O3", amount=3000),
        _event("order_cancelled", at(3, 13), user_id=U3, object_id="O3"),
        # reviews on D4 by U1: P1 rated 5 and 4, P2 rated 1; on D5 review 1 shown again
        # (not counted twice) and a follow-up on P1
        _event(
            "review_published",
            at(4, 12),
            user_id=U1,
            object_id=pid1,
            properties={"rating": 5, "review": 1},
        ),
        _event(
            "review_published",
            at(4, 12, 1),
            user_id=U1,
            object_id=pid2,
            properties={"rating": 1, "review": 2},
        ),
        _event(
            "review_published",
            at(4, 12, 2),
            user_id=U1,
            object_id=pid1,
            properties={"rating": 4, "review": 3},
        ),
        _event(
            "review_published",
            at(5, 9),
            user_id=U1,
            object_id=pid1,
            properties={"rating": 5, "review": 1},
        ),
        _event(
            "review_followed_up", at(5, 10), user_id=U1, object_id=pid1, properties={"review": 1}
        ),
        # D8: U2 signs in, places and pays O4 (8000, 1 unit of P1) without a visit: its
        # channel is U2's latest visit (s2, social); survey 3
        _event("user_logged_in", at(8, 20), user_id=U2, object_id=str(U2)),
        _event("order_placed", at(8, 20, 5), user_id=U2, object_id="O4", amount=8000),
        _event("order_paid", at(8, 20, 6), user_id=U2, object_id="O4", amount=8000),
        _event(
            "product_sold",
            at(8, 20, 6),
            user_id=U2,
            object_id=pid1,
            amount=8000,
            properties={"units": 1, "order": "O4"},
        ),
        _event("csat_submitted", at(8, 21), user_id=U2, object_id="O4", properties={"score": 3}),
    ]
    events_record(events, historical=True)

    channel_spend_record(day=date(2026, 3, 1), channel="search", amount=20000)
    channel_spend_record(day=date(2026, 3, 2), channel="ad", campaign="x", amount=6000)
    channel_spend_record(day=date(2026, 3, 2), channel="ad", campaign="y", amount=4000)
    return World(
        p1=p1.pk,
        p2=p2.pk,
        p3=p3.pk,
        p4=p4.pk,
        category_a=category_a.pk,
        category_b=category_b.pk,
    )
