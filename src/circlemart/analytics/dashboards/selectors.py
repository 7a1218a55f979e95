"""What the dashboards read: metric definitions (analytics.metrics' catalogue) and the daily
metrics table, in a small, fixed number of queries per page whatever the date range.

A page reads all its metrics, and the numerators and denominators of its ratios, in one query,
and computes each range total by the metric's range rule (sum, mean of the days, last day, or
numerator / denominator recomputed — never an average of daily ratios).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils.functional import Promise

from circlemart.analytics.metrics.catalogue import METRICS, STORED
from circlemart.analytics.models import ChannelSpend, DailyMetric


@dataclass(frozen=True)
class MetricInfo:
    key: str
    label: str | Promise
    group: str
    unit: str  # count, money (minor units), ratio (0..1), seconds, score
    definition: str | Promise
    dimensions: tuple[str, ...] = ()
    rule: str = "sum"  # sum, mean, last, ratio
    numerator: str = ""
    denominator: tuple[str, ...] = ()

    @property
    def stored_keys(self) -> tuple[str, ...]:
        """Rows a range total needs: the metric and, for a ratio, its parts."""
        return (self.key, *((self.numerator, *self.denominator) if self.rule == "ratio" else ()))


def _info(key: str) -> MetricInfo:
    definition = STORED[key]
    return MetricInfo(
        key=definition.key,
        label=definition.label,
        group=str(definition.group),
        unit=str(definition.unit),
        definition=definition.definition,
        dimensions=tuple(definition.dimensions),
        rule=str(definition.rule),
        numerator=definition.numerator,
        denominator=tuple(definition.denominator),
    )


def metric_catalogue() -> dict[str, MetricInfo]:
    """Every metric the pages may show, in the catalogue's order."""
    return {key: _info(key) for key in METRICS}


def first_known(catalogue: dict[str, MetricInfo], *candidates: str) -> MetricInfo | None:
    return next((catalogue[key] for key in candidates if key in catalogue), None)


# --- Reading the daily table ------------------------------------------------------------------

Series = list[tuple[date, float]]


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=offset) for offset in range(self.days)]


@dataclass(frozen=True)
class DimensionSeries:
    value: str
    total: float
    series: Series


@dataclass(frozen=True)
class MetricReading:
    info: MetricInfo
    total: float | None
    previous_total: float | None
    series: Series
    previous_series: Series
    breakdown: tuple[DimensionSeries, ...] = field(default=())

    @property
    def change(self) -> float | None:
        """Relative change against the previous period (None without a base)."""
        if self.total is None or not self.previous_total:
            return None
        return (self.total - self.previous_total) / abs(self.previous_total)


def _dense(rows: dict[date, float], period: Period) -> Series:
    """A value for every day of the period: a day without a row counts as 0."""
    return [(day, rows.get(day, 0.0)) for day in period.each_day()]


Rows = dict[str, dict[date, float]]  # metric key → day → value


def _by_rule(rule: str, days: dict[date, float]) -> float | None:
    if not days:
        return None
    if rule == "mean":
        return sum(days.values()) / len(days)
    if rule == "last":
        return days[max(days)]
    return sum(days.values())


def range_total(info: MetricInfo, rows: Rows) -> float | None:
    """The metric over the days in `rows` by its range rule (None: no data)."""
    if info.rule != "ratio":
        return _by_rule(info.rule, rows.get(info.key, {}))
    numerator = _by_rule(STORED[info.numerator].rule, rows.get(info.numerator, {}))
    parts = [_by_rule(STORED[key].rule, rows.get(key, {})) for key in info.denominator]
    denominator = sum(part for part in parts if part is not None)
    if numerator is None or not denominator:
        # No parts stored (an older rollup): fall back to the mean of the daily ratios.
        return _by_rule("mean", rows.get(info.key, {}))
    return numerator / denominator


def _split(rows: Rows, period: Period) -> Rows:
    return {
        key: {day: value for day, value in days.items() if period.start <= day <= period.end}
        for key, days in rows.items()
    }


def _needed_keys(metrics: Iterable[MetricInfo]) -> list[str]:
    return sorted({key for info in metrics for key in info.stored_keys})


def _row_budget(key_count: int, start: date, end: date, values: int = 1) -> int:
    return max(1, key_count * ((end - start).days + 1) * values)


def metric_readings(
    *,
    metrics: list[MetricInfo],
    period: Period,
    dimension: str = "",
    limit_values: int | None = None,
) -> list[MetricReading]:
    """Series, totals and previous-period totals of these metrics; with a dimension, also one
    series per dimension value (the largest `limit_values` values). At most three queries of
    the daily table whatever the range length or the number of metrics."""
    keys = _needed_keys(metrics)
    previous = period.previous()
    overall: Rows = defaultdict(dict)
    rows = DailyMetric.objects.filter(
        metric__in=keys, dimension="", dimension_value="", day__range=(previous.start, period.end)
    ).values_list("metric", "day", "value")
    for metric, day, value in rows[: _row_budget(len(keys), previous.start, period.end)]:
        overall[metric][day] = value
    current, before = _split(overall, period), _split(overall, previous)
    by_value = _breakdowns(metrics, period, dimension, limit_values)
    return [
        MetricReading(
            info=info,
            total=range_total(info, current),
            previous_total=range_total(info, before),
            series=_dense(current.get(info.key, {}), period),
            previous_series=_dense(before.get(info.key, {}), previous),
            breakdown=tuple(by_value.get(info.key, ())),
        )
        for info in metrics
    ]


def _breakdowns(
    metrics: list[MetricInfo], period: Period, dimension: str, limit_values: int | None
) -> dict[str, list[DimensionSeries]]:
    """One series per dimension value, for each metric its largest values (one grouped query),
    then their rows (one query, at most keys × days × values rows)."""
    if not dimension:
        return {}
    cut = [info for info in metrics if dimension in info.dimensions]
    if not cut:
        return {}
    limit = limit_values or settings.ANALYTICS_DASHBOARD_MAX_DIMENSION_VALUES
    top = _top_values_per_metric([info.key for info in cut], dimension, period, limit)
    ranked = sorted({value for values in top.values() for value in values})
    keys = _needed_keys(cut)
    found: dict[str, Rows] = defaultdict(lambda: defaultdict(dict))
    rows = DailyMetric.objects.filter(
        metric__in=keys,
        dimension=dimension,
        dimension_value__in=ranked,
        day__range=(period.start, period.end),
    ).values_list("dimension_value", "metric", "day", "value")
    for value_name, metric, day, value in rows[
        : _row_budget(len(keys), period.start, period.end, len(ranked))
    ]:
        found[value_name][metric][day] = value
    return {
        info.key: [
            DimensionSeries(
                value=name,
                total=range_total(info, found[name]) or 0.0,
                series=_dense(found[name].get(info.key, {}), period),
            )
            for name in top.get(info.key, [])
        ]
        for info in cut
    }


def _top_values_per_metric(
    keys: list[str], dimension: str, period: Period, limit: int
) -> dict[str, list[str]]:
    """For each metric, its `limit` largest dimension values over the period (by the sum of
    the days; one grouped query, at most ANALYTICS_QUERY_MAX_ROWS groups)."""
    rows = (
        DailyMetric.objects.filter(
            metric__in=keys, dimension=dimension, day__range=(period.start, period.end)
        )
        .values_list("metric", "dimension_value")
        .annotate(total=Sum("value"))
        .order_by("metric", "-total", "dimension_value")
    )
    top: dict[str, list[str]] = defaultdict(list)
    for metric, value_name, _total in rows[: settings.ANALYTICS_QUERY_MAX_ROWS]:
        if len(top[metric]) < limit:
            top[metric].append(value_name)
    return top


def channel_spend_totals(*, period: Period) -> dict[str, int]:
    """Money spent per channel over the period (minor units), one query."""
    rows = (
        ChannelSpend.objects.filter(day__range=(period.start, period.end))
        .values_list("channel")
        .annotate(total=Sum("amount"))
        .order_by("channel")
    )
    return {channel: int(total or 0) for channel, total in rows}


@dataclass(frozen=True)
class RankedValue:
    value: str
    total: float


def top_dimension_values(
    *, metric: str, dimension: str, period: Period, limit: int
) -> list[RankedValue]:
    """The largest values of a dimension for a metric over the period (e.g. top products by
    GMV), computed in the database, at most `limit` rows."""
    rows = (
        DailyMetric.objects.filter(
            metric=metric, dimension=dimension, day__range=(period.start, period.end)
        )
        .values_list("dimension_value")
        .annotate(total=Sum("value"))
        .order_by("-total", "dimension_value")[:limit]
    )
    return [RankedValue(value=name, total=float(total or 0.0)) for name, total in rows]
