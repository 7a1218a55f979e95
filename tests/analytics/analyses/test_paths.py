"""Paths after an event, within sessions: sequences and Sankey links."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import duckdb

from circlemart.analytics.analyses.contracts import PathLink, PathSequence
from circlemart.analytics.analyses.paths import paths
from circlemart.analytics.contracts import EventRecord
from tests.analytics.analyses.conftest import T0, event, minutes


def session(name: str, events: list[str], *, day_offset: int = 0) -> list[EventRecord]:
    start = T0 + timedelta(days=day_offset)
    return [
        event(kind, start + minutes(index), anon=f"anon-{name}", session=name)
        for index, kind in enumerate(events)
    ]


def test_sequences_and_links_after_product_view(
    stored: Callable[[list[EventRecord]], duckdb.DuckDBPyConnection],
) -> None:
    connection = stored(
        [
            *session(
                "s1",
                ["page_view", "product_view", "add_to_cart", "product_view", "search", "page_view"],
            ),
            *session("s2", ["product_view", "search"]),
            *session("s3", ["product_view", "add_to_cart", "product_view", "search", "page_view"]),
            *session("s4", ["product_view", "share"], day_offset=1),  # after the range
            event("product_view", T0, user=9),  # no session: not on any path
        ]
    )

    result = paths(
        connection,
        after="product_view",
        start=T0.date(),
        end=T0.date(),
        steps=3,
        top=10,
        max_links=100,
    )

    assert result.occurrences == 5
    assert result.sequences == [
        PathSequence(["add_to_cart", "product_view", "search"], 2),
        PathSequence(["search", "page_view"], 2),
        PathSequence(["search"], 1),
    ]
    assert result.links == [
        PathLink("0. product_view", "1. search", 3),
        PathLink("0. product_view", "1. add_to_cart", 2),
        PathLink("1. add_to_cart", "2. product_view", 2),
        PathLink("1. search", "2. page_view", 2),
        PathLink("2. product_view", "3. search", 2),
    ]


def test_top_limits_the_sequences_and_excluded_events_are_skipped(
    stored: Callable[[list[EventRecord]], duckdb.DuckDBPyConnection],
) -> None:
    connection = stored(
        [
            *session("s1", ["product_view", "impression", "add_to_cart", "search"]),
            *session("s2", ["product_view", "add_to_cart", "impression", "search"]),
            *session("s3", ["product_view", "share"]),
        ]
    )

    result = paths(
        connection,
        after="product_view",
        start=T0.date(),
        end=T0.date(),
        steps=3,
        top=1,
        max_links=100,
        exclude=["impression"],
    )

    assert result.sequences == [PathSequence(["add_to_cart", "search"], 2)]
    assert result.occurrences == 3
