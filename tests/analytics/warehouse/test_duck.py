"""DuckDB over the warehouse: the views read back exactly what the database holds, an empty
warehouse still answers, and queries are bounded in time and rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from circlemart.analytics.models import Event, TrackedSession
from circlemart.analytics.warehouse import duck, schema
from circlemart.analytics.warehouse.duck import QueryTimedOut, QueryTooLarge, run_query
from circlemart.core import clock
from tests.analytics.warehouse.helpers import record

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 10, 30, 20, tzinfo=UTC)
VIEWS = ["events", "order_lines", "orders", "products", "sessions", "users"]


def _columns(con: Any, view: str) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in con.execute(f"DESCRIBE {view}").fetchall()]


def test_an_empty_warehouse_has_every_view_with_its_columns_and_no_rows(
    warehouse_dir: Path,
) -> None:
    con = duck.connect()

    assert sorted(row[0] for row in con.execute("SHOW TABLES").fetchall()) == VIEWS
    assert _columns(con, "events")[-1] == ("day", "DATE")
    assert [name for name, _type in _columns(con, "events")] == [*schema.EVENTS.names, "day"]
    assert [name for name, _type in _columns(con, "products")] == schema.PRODUCTS.names
    assert run_query(con, "SELECT day, count(*) FROM events GROUP BY day") == []
    assert run_query(con, "SELECT count(*), sum(amount) FROM events") == [(0, None)]
    assert not warehouse_dir.exists()


def test_the_views_read_back_what_the_database_holds_per_day() -> None:
    record([DAY + timedelta(hours=hour) for hour in range(0, 30, 3)], amount=1_999)
    record([DAY + timedelta(days=2, hours=1)] * 3, amount=50_000, name="order_refunded")
    record([DAY + timedelta(hours=2)], name="user_registered", user_id=None, object_id="")
    duck.sync()

    expected = sorted(
        (row["day"], row["count"], row["total"])
        for row in Event.objects.annotate(day=TruncDate("occurred_at", tzinfo=UTC))
        .values("day")
        .annotate(count=Count("id"), total=Sum("amount"))
    )
    con = duck.connect()
    got = run_query(con, "SELECT day, count(*), sum(amount) FROM events GROUP BY day ORDER BY day")

    assert got == expected
    assert [row[0] for row in got] == [date(2026, 10, 30), date(2026, 10, 31), date(2026, 11, 1)]
    assert run_query(con, "SELECT count(*) FROM events") == [(Event.objects.count(),)]
    assert run_query(
        con, "SELECT count(*) FROM events WHERE user_id IS NULL AND name = ?", ["user_registered"]
    ) == [(1,)]


def test_times_are_utc_and_properties_are_json() -> None:
    [event_id] = record([DAY], amount=1)
    Event.objects.filter(id=event_id).update(properties={"q": "耳机", "page": 2})
    duck.sync()

    con = duck.connect()

    assert run_query(
        con,
        "SELECT occurred_at, occurred_at::DATE, json_extract_string(properties, '$.q'),"
        " CAST(json_extract(properties, '$.page') AS INTEGER) FROM events",
    ) == [(DAY, date(2026, 10, 30), "耳机", 2)]


def test_sessions_are_snapshotted_and_replaced_on_every_sync() -> None:
    started = DAY
    TrackedSession.objects.create(
        session_id="s1",
        anonymous_id="a1",
        started_at=started,
        last_seen_at=started + timedelta(minutes=3),
        source="share",
        sharer_id=9,
        page_views=4,
        event_count=6,
    )
    duck.sync()
    TrackedSession.objects.filter(session_id="s1").update(page_views=5)
    TrackedSession.objects.create(
        session_id="s2",
        anonymous_id="a2",
        started_at=started,
        last_seen_at=started,
        source="direct",
    )
    duck.sync()

    con = duck.connect()

    assert run_query(
        con, "SELECT session_id, source, sharer_id, page_views FROM sessions ORDER BY 1"
    ) == [("s1", "share", 9, 5), ("s2", "direct", None, 0)]


def test_the_connection_has_the_configured_limits(settings: Any) -> None:
    settings.ANALYTICS_DUCKDB_THREADS = 2
    settings.ANALYTICS_DUCKDB_MEMORY = "512MB"

    con = duck.connect()

    assert run_query(con, "SELECT current_setting('threads')") == [(2,)]
    assert run_query(con, "SELECT current_setting('memory_limit')") == [("488.2 MiB",)]
    assert run_query(con, "SELECT current_setting('TimeZone')") == [("UTC",)]


def test_a_slow_query_is_interrupted_with_a_clear_error() -> None:
    con = duck.connect()
    huge = "range(100000000) a, range(100000000) b"
    slow = f"SELECT count(*) FROM {huge} WHERE (a.range * b.range) % 7 = 3"  # noqa: S608

    with pytest.raises(QueryTimedOut) as stopped:
        run_query(con, slow, timeout=0.3)

    assert stopped.value.status == 504
    assert stopped.value.as_dict() == {
        "code": "query_timeout",
        "message": "The query took longer than 0.3 seconds; choose a shorter range.",
    }
    # The connection is still usable afterwards.
    assert run_query(con, "SELECT 42") == [(42,)]


def test_more_rows_than_the_cap_are_refused(settings: Any) -> None:
    settings.ANALYTICS_QUERY_MAX_ROWS = 10
    con = duck.connect()

    assert len(run_query(con, "SELECT * FROM range(10)")) == 10
    with pytest.raises(QueryTooLarge) as refused:
        run_query(con, "SELECT * FROM range(11)")

    assert (refused.value.status, refused.value.code) == (400, "query_too_large")


def test_a_sync_already_running_elsewhere_is_not_started_twice() -> None:
    record([DAY])
    elsewhere = duck._lock_acquire()
    assert elsewhere is not None

    assert duck._lock_acquire() is None
    assert duck.sync() is None
    assert run_query(duck.connect(), "SELECT count(*) FROM events") == [(0,)]

    duck._lock_release(elsewhere)
    result = duck.sync()
    assert result is not None
    assert result.events.rows == 1
    assert duck._lock_acquire() is not None  # released after the sync


def test_a_lock_left_by_a_dead_sync_is_taken_over_after_an_hour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert duck._lock_acquire() is not None
    later = clock.now() + timedelta(seconds=duck.SYNC_LOCK_SECONDS + 1)
    monkeypatch.setattr(clock, "now", lambda: later)

    assert duck.sync() is not None
