"""The shop's calendar day of an event (persons.LOCAL_DAY): integer arithmetic while the time
zone keeps one offset, the ICU conversion otherwise — the same day either way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest

from circlemart.analytics.analyses.persons import LOCAL_DAY, day_parameters, fixed_offset_since


@pytest.mark.parametrize(
    ("zone", "since", "offset_hours"),
    [
        ("Asia/Shanghai", datetime(1991, 9, 15, tzinfo=UTC), 8),  # DST ended in 1991
        ("UTC", datetime(1970, 1, 1, tzinfo=UTC), 0),
        ("Asia/Kolkata", datetime(1970, 1, 1, tzinfo=UTC), 5.5),
        ("Europe/London", datetime(9999, 12, 31, tzinfo=UTC), 0),  # daylight saving: no fast path
    ],
)
def test_the_fixed_offset_is_found_only_for_zones_without_daylight_saving(
    zone: str, since: datetime, offset_hours: float
) -> None:
    found, offset = fixed_offset_since(zone)

    assert found == since
    assert offset == int(offset_hours * 3600 * 1_000_000)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Asia/Kolkata", "Europe/London", "UTC"])
def test_local_day_matches_the_time_zone_conversion(settings: Any, zone: str) -> None:
    settings.TIME_ZONE = zone
    # every 37 minutes over three years, across 1991's last Chinese DST change and around
    # midnight in each zone
    first = datetime(1990, 6, 1, tzinfo=UTC)
    moments = [first + timedelta(minutes=37 * step) for step in range(0, 3 * 365 * 39, 1)]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE t (occurred_at TIMESTAMPTZ)")
    con.executemany("INSERT INTO t VALUES (?)", [(moment,) for moment in moments[::7]])
    mismatches = con.execute(
        f"SELECT count(*) FROM t WHERE {LOCAL_DAY} <> CAST(timezone($tz, occurred_at) AS DATE)",  # noqa: S608
        day_parameters(),
    ).fetchone()

    assert mismatches == (0,)
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] > 6000  # type: ignore[index]
