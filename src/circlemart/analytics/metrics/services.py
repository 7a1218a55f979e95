"""Writes of the metrics room: the daily rollup into DailyMetric and recorded channel spend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import duckdb
import pyarrow as pa
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from circlemart.analytics.metrics import queries
from circlemart.analytics.metrics.catalogue import STORED
from circlemart.analytics.models import ChannelSpend, DailyMetric, TrackedSession
from circlemart.analytics.warehouse import duck
from circlemart.core import clock
from circlemart.core.errors import ValidationFailed

Row = tuple[date, str, str, str, float]


def _check_range(start: date, end: date) -> None:
    if start > end:
        raise ValidationFailed(
            _("The start date must not be after the end date."), code="bad_range", field="start"
        )


def _register_spend(con: duckdb.DuckDBPyConnection, *, start: date, end: date) -> None:
    rows = list(
        ChannelSpend.objects.filter(day__range=(start, end)).values_list("day", "channel", "amount")
    )
    table = pa.table(
        {
            "day": pa.array([row[0] for row in rows], pa.date32()),
            "channel": pa.array([row[1] for row in rows], pa.string()),
            "amount": pa.array([row[2] for row in rows], pa.int64()),
        }
    )
    con.register("channel_spend", table)


def _execute(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
) -> duckdb.DuckDBPyConnection:
    """Run `sql` with the parameters it names (DuckDB refuses unused ones)."""
    return con.execute(sql, {key: value for key, value in params.items() if f"${key}" in sql})


def metrics_compute(
    *, start: date, end: date, con: duckdb.DuckDBPyConnection | None = None
) -> list[Row]:
    """Every stored metric for the days `start`..`end` (retention rows land on the cohort
    days `lag` days earlier): per source of data, its steps materialised once, then its
    blocks, each one set-based DuckDB query over the whole range."""
    _check_range(start, end)
    own = con is None
    con = con or duck.connect()
    try:
        _register_spend(con, start=start, end=end)
        params: dict[str, Any] = {
            "lo": start,
            "hi": end,
            "tz": settings.TIME_ZONE,
            "idle": settings.ANALYTICS_SESSION_IDLE_MINUTES,
        }
        rows: list[Row] = []
        for name in queries.STATEMENTS:
            for table, select in queries.steps(name):
                _execute(con, f"CREATE OR REPLACE TEMP TABLE {table} AS {select}", params)
            for block in queries.blocks(name):
                for day, dimension, value_of, metric, value in _execute(
                    con, block, params
                ).fetchall():
                    definition = STORED[metric]
                    if dimension and dimension not in definition.dimensions:
                        continue  # a grouping set the metric does not offer
                    rows.append((day, metric, dimension, value_of, float(value)))
        return rows
    finally:
        if own:
            con.close()


def _rolled_up_days(start: date, end: date) -> Q:
    """The DailyMetric rows a rollup of `start`..`end` rewrites, metric by metric."""
    by_lag: dict[int, list[str]] = {}
    for key, definition in STORED.items():
        by_lag.setdefault(definition.lag_days, []).append(key)
    where = Q(pk__in=[])
    for lag, keys in by_lag.items():
        span = (start - timedelta(days=lag), end - timedelta(days=lag))
        where |= Q(metric__in=keys, day__range=span)
    return where


def daily_metrics_rollup(
    *, start: date, end: date, con: duckdb.DuckDBPyConnection | None = None
) -> int:
    """Recompute the metrics of `start`..`end` from the warehouse and replace their rows in
    DailyMetric in one transaction (delete the range, insert the new rows): running it twice
    gives the same table. Returns how many rows were written. The warehouse is read as it
    is; call `duck.sync()` first to include the latest events."""
    rows = metrics_compute(start=start, end=end, con=con)
    computed_at = clock.now()
    with transaction.atomic():
        DailyMetric.objects.filter(_rolled_up_days(start, end)).delete()
        DailyMetric.objects.bulk_create(
            [
                DailyMetric(
                    day=day,
                    metric=metric,
                    dimension=dimension,
                    dimension_value=value_of,
                    value=value,
                    computed_at=computed_at,
                )
                for day, metric, dimension, value_of, value in rows
            ],
            batch_size=2000,
        )
    return len(rows)


def daily_metrics_rollup_chunked(
    *,
    start: date,
    end: date,
    days_per_chunk: int = 31,
    progress: Callable[[date, date, int], None] | None = None,
) -> int:
    """The rollup of a long range in chunks of days (each chunk one transaction), reporting
    `progress(chunk_start, chunk_end, rows)` after each; one DuckDB connection throughout."""
    _check_range(start, end)
    total = 0
    con = duck.connect()
    try:
        chunk_start = start
        while chunk_start <= end:
            chunk_end = min(end, chunk_start + timedelta(days=days_per_chunk - 1))
            written = daily_metrics_rollup(start=chunk_start, end=chunk_end, con=con)
            total += written
            if progress:
                progress(chunk_start, chunk_end, written)
            chunk_start = chunk_end + timedelta(days=1)
    finally:
        con.close()
    return total


def analytics_rollup_recent() -> int:
    """The periodic rollup: bring the warehouse up to date, then roll up yesterday and today
    (in settings.TIME_ZONE)."""
    duck.sync()
    today = timezone.localdate(clock.now())
    return daily_metrics_rollup(start=today - timedelta(days=1), end=today)


# --- channel spend --------------------------------------------------------------------


def spend_check(*, day: object, channel: object, amount: object, currency: object) -> None:
    if not isinstance(day, date):
        raise ValidationFailed(_("Enter a valid date."), code="bad_day", field="day")
    if channel not in TrackedSession.Source.values:
        raise ValidationFailed(
            _("Unknown channel “%(channel)s”.") % {"channel": str(channel)[:40]},
            code="unknown_channel",
            field="channel",
        )
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValidationFailed(
            _("The amount must be a whole number of minor units, 0 or more."),
            code="bad_amount",
            field="amount",
        )
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise ValidationFailed(
            _("The currency must be a three-letter code."), code="bad_currency", field="currency"
        )


def channel_spend_record(
    *,
    day: date,
    channel: str,
    amount: int,
    campaign: str = "",
    currency: str = "",
    note: str = "",
    recorded_by_id: int | None = None,
) -> ChannelSpend:
    """Record (or correct) the spend of a channel and campaign on a day: one row per
    (day, channel, campaign), the latest recording wins."""
    currency = (currency or settings.DEFAULT_CURRENCY).upper()
    spend_check(day=day, channel=channel, amount=amount, currency=currency)
    if len(campaign) > 100:
        raise ValidationFailed(
            _("The campaign name is too long (100 characters at most)."),
            code="bad_campaign",
            field="campaign",
        )
    spend, _created = ChannelSpend.objects.update_or_create(
        day=day,
        channel=channel,
        campaign=campaign,
        defaults={
            "amount": amount,
            "currency": currency,
            "note": note[:200],
            "recorded_by_id": recorded_by_id,
        },
    )
    return spend
