"""Funnels over a hand-built event set: order, repeats, the window, sign-in merges."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import duckdb
import pytest

from circlemart.analytics.analyses.contracts import FunnelStepSpec
from circlemart.analytics.analyses.funnel import funnel
from circlemart.analytics.contracts import EventRecord
from tests.analytics.analyses.conftest import T0, event, minutes

Store = Callable[[list[EventRecord]], duckdb.DuckDBPyConnection]
STEPS = [
    FunnelStepSpec("product_view"),
    FunnelStepSpec("add_to_cart"),
    FunnelStepSpec("order_paid"),
]
HOUR = 3600


def shop_events() -> list[EventRecord]:
    return [
        # 1: all three steps in order, 10 minutes apart
        event("product_view", T0, user=1),
        event("add_to_cart", T0 + minutes(10), user=1),
        event("order_paid", T0 + minutes(20), user=1),
        # 2: views anonymously, signs in, adds to cart; pays after the window closed
        event("product_view", T0, anon="a2"),
        event("add_to_cart", T0 + minutes(5), user=2, anon="a2"),
        event("order_paid", T0 + minutes(120), user=2),
        # 3: out of order: cart before view, paid after; nothing after the view's cart
        event("add_to_cart", T0, user=3),
        event("product_view", T0 + minutes(1), user=3),
        event("order_paid", T0 + minutes(2), user=3),
        # 4: repeated views and carts count once; times from the first view
        event("product_view", T0, user=4),
        event("product_view", T0 + minutes(1), user=4),
        event("add_to_cart", T0 + minutes(30), user=4),
        event("add_to_cart", T0 + minutes(31), user=4),
        event("order_paid", T0 + minutes(50), user=4),
        # 5: the first view's cart is too late, a second view converts within its own window
        event("product_view", T0, user=5),
        event("add_to_cart", T0 + minutes(120), user=5),
        event("product_view", T0 + minutes(180), user=5),
        event("add_to_cart", T0 + minutes(190), user=5),
        event("order_paid", T0 + minutes(200), user=5),
        # 6: entered the day before the range: not in the funnel
        event("product_view", T0 - timedelta(days=1), user=6),
        event("add_to_cart", T0, user=6),
        event("order_paid", T0 + minutes(1), user=6),
        # 7: every step at the same instant, stored in reverse order
        event("order_paid", T0, user=7),
        event("add_to_cart", T0, user=7),
        event("product_view", T0, user=7),
        # 8: no person at all
        event("product_view", T0, session="s-8"),
    ]


def test_people_are_counted_once_at_the_furthest_step_in_order_and_in_the_window(
    stored: Store,
) -> None:
    result = funnel(
        stored(shop_events()), steps=STEPS, start=T0.date(), end=T0.date(), window_seconds=HOUR
    )

    assert [(s.name, s.people, s.dropped) for s in result.steps] == [
        ("product_view", 6, 0),
        ("add_to_cart", 5, 1),
        ("order_paid", 4, 1),
    ]
    assert [s.conversion_from_previous for s in result.steps] == [1.0, 5 / 6, 4 / 5]
    assert [s.conversion_from_first for s in result.steps] == [1.0, 5 / 6, 4 / 6]
    # view→cart: 600 (1), 300 (2), 1800 (4), 600 (5), 0 (7); cart→paid: 600, 1200, 600, 0
    assert [s.median_seconds_from_previous for s in result.steps] == [None, 600.0, 600.0]
    assert result.window_seconds == HOUR
    assert result.segments == []


def test_a_longer_window_lets_the_late_payment_count(stored: Store) -> None:
    result = funnel(
        stored(shop_events()),
        steps=STEPS,
        start=T0.date(),
        end=T0.date(),
        window_seconds=3 * HOUR,
    )

    # 2 now pays (120 min); 5's first view reaches the cart at 120 min and pays at 200 min
    assert [s.people for s in result.steps] == [6, 5, 5]


def test_a_step_narrowed_to_one_object(stored: Store) -> None:
    connection = stored(
        [
            event("product_view", T0, user=1, object_id="42"),
            event("add_to_cart", T0 + minutes(1), user=1, object_id="42"),
            event("product_view", T0, user=2, object_id="7"),
            event("add_to_cart", T0 + minutes(1), user=2, object_id="7"),
        ]
    )

    result = funnel(
        connection,
        steps=[FunnelStepSpec("product_view", object_id="42"), FunnelStepSpec("add_to_cart")],
        start=T0.date(),
        end=T0.date(),
        window_seconds=HOUR,
    )

    assert [s.people for s in result.steps] == [1, 1]


def test_a_step_repeated_in_the_funnel_needs_a_second_event(stored: Store) -> None:
    connection = stored(
        [
            event("product_view", T0, user=1),
            event("product_view", T0 + minutes(1), user=1),
            event("product_view", T0, user=2),
        ]
    )

    result = funnel(
        connection,
        steps=[FunnelStepSpec("product_view"), FunnelStepSpec("product_view")],
        start=T0.date(),
        end=T0.date(),
        window_seconds=HOUR,
    )

    assert [s.people for s in result.steps] == [2, 1]


def test_segments_by_visitor_type_of_the_entry(stored: Store) -> None:
    result = funnel(
        stored(shop_events()),
        steps=STEPS,
        start=T0.date(),
        end=T0.date(),
        window_seconds=HOUR,
        by="visitor",
    )

    assert [(seg.value, [s.people for s in seg.steps]) for seg in result.segments] == [
        ("signed_in", [5, 4, 4]),
        ("anonymous", [1, 1, 0]),
    ]
    assert [s.people for s in result.steps] == [6, 5, 4]


@pytest.mark.parametrize("day", [date(2026, 3, 3), date(2026, 2, 1)])
def test_a_range_without_entries_is_all_zeros(stored: Store, day: date) -> None:
    result = funnel(stored(shop_events()), steps=STEPS, start=day, end=day, window_seconds=HOUR)

    assert [(s.people, s.conversion_from_first) for s in result.steps] == [(0, 0.0)] * 3


def test_segments_by_the_channel_of_the_entry_session(stored: Store) -> None:
    from circlemart.analytics.models import TrackedSession
    from circlemart.analytics.warehouse.snapshots import snapshot_refresh

    for session, source in (("s-1", "search"), ("s-2", "share")):
        TrackedSession.objects.create(
            session_id=session, anonymous_id=session, started_at=T0, last_seen_at=T0, source=source
        )
    snapshot_refresh("sessions")
    connection = stored(
        [
            event("product_view", T0, user=1, session="s-1"),
            event("add_to_cart", T0 + minutes(1), user=1, session="s-1"),
            event("product_view", T0, user=2, session="s-2"),
            event("product_view", T0, user=3, session="s-unknown"),
            event("add_to_cart", T0 + minutes(1), user=3, session="s-unknown"),
        ]
    )

    result = funnel(
        connection,
        steps=STEPS[:2],
        start=T0.date(),
        end=T0.date(),
        window_seconds=HOUR,
        by="channel",
    )

    assert [(seg.value, [s.people for s in seg.steps]) for seg in result.segments] == [
        ("search", [1, 1]),
        ("share", [1, 0]),
        ("unknown", [1, 1]),
    ]
