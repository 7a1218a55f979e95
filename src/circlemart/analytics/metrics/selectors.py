"""Reads of the daily metrics table: a metric's series, its value over a range (ratios
recomputed from their parts), a comparison with the previous period, and the top products."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from django.conf import settings
from django.db.models import Sum
from django.utils.translation import gettext as _

from circlemart.analytics.metrics.catalogue import (
    METRICS,
    PRODUCT,
    STORED,
    MetricDefinition,
    RangeRule,
    Unit,
)
from circlemart.analytics.models import DailyMetric
from circlemart.core.errors import ValidationFailed

Series = list[tuple[date, float]]


def metric_check(
    *, metric: str, start: date, end: date, dimension: str = "", dimension_value: str = ""
) -> MetricDefinition:
    """The metric's definition, or ValidationFailed naming the bad argument."""
    definition = METRICS.get(metric)
    if definition is None:
        raise ValidationFailed(
            _("Unknown metric “%(name)s”.") % {"name": str(metric)[:48]},
            code="unknown_metric",
            field="metric",
        )
    if dimension and dimension not in definition.dimensions:
        raise ValidationFailed(
            _("Metric “%(name)s” cannot be broken down by “%(dimension)s”.")
            % {"name": metric, "dimension": str(dimension)[:24]},
            code="unknown_dimension",
            field="dimension",
        )
    if dimension_value and not dimension:
        raise ValidationFailed(
            _("A dimension value needs a dimension."),
            code="dimension_value_without_dimension",
            field="dimension_value",
        )
    if start > end:
        raise ValidationFailed(
            _("The start date must not be after the end date."), code="bad_range", field="start"
        )
    if (end - start).days + 1 > settings.ANALYTICS_QUERY_MAX_DAYS:
        raise ValidationFailed(
            _("The range may span at most %(days)s days.")
            % {"days": settings.ANALYTICS_QUERY_MAX_DAYS},
            code="range_too_long",
            field="end",
        )
    return definition


def _fills_with_zero(definition: MetricDefinition) -> bool:
    """A day without a row is a day with nothing counted (not an unknown ratio or level)."""
    return definition.rule in (RangeRule.SUM, RangeRule.MEAN) and definition.unit in (
        Unit.COUNT,
        Unit.MONEY,
    )


def _rows(
    *, keys: set[str], start: date, end: date, dimension: str, dimension_value: str
) -> dict[str, dict[date, float]]:
    rows: dict[str, dict[date, float]] = defaultdict(dict)
    for metric, day, value in DailyMetric.objects.filter(
        metric__in=keys,
        day__range=(start, end),
        dimension=dimension,
        dimension_value=dimension_value,
    ).values_list("metric", "day", "value"):
        rows[metric][day] = value
    return rows


def _each_day(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def metric_series(
    *, metric: str, start: date, end: date, dimension: str = "", dimension_value: str = ""
) -> Series:
    """The metric's daily values, oldest first. Counts and amounts have a value every day
    (0 when nothing happened); ratios and levels only on days that have one."""
    definition = metric_check(
        metric=metric, start=start, end=end, dimension=dimension, dimension_value=dimension_value
    )
    days = _rows(
        keys={metric}, start=start, end=end, dimension=dimension, dimension_value=dimension_value
    ).get(metric, {})
    if _fills_with_zero(definition):
        return [(day, days.get(day, 0.0)) for day in _each_day(start, end)]
    return sorted(days.items())


def _aggregate(
    definition: MetricDefinition, rows: dict[str, dict[date, float]], *, days: int
) -> float | None:
    if definition.rule is RangeRule.RATIO:
        numerator = _aggregate(STORED[definition.numerator], rows, days=days)
        parts = [_aggregate(STORED[key], rows, days=days) for key in definition.denominator]
        denominator = sum(part or 0.0 for part in parts)
        if numerator is None or not denominator:
            return None
        return numerator / denominator
    values = rows.get(definition.key, {})
    if definition.rule is RangeRule.SUM:
        return sum(values.values())
    if definition.rule is RangeRule.MEAN:
        return sum(values.values()) / days  # a day without a row had none
    return values[max(values)] if values else None  # LAST


def metric_value(
    *, metric: str, start: date, end: date, dimension: str = "", dimension_value: str = ""
) -> float | None:
    """The metric over `start`..`end` by its range rule, or None when it has no value there
    (a ratio whose denominator is 0, a level with no day rolled up)."""
    definition = metric_check(
        metric=metric, start=start, end=end, dimension=dimension, dimension_value=dimension_value
    )
    keys = {metric}
    if definition.rule is RangeRule.RATIO:
        keys |= {definition.numerator, *definition.denominator}
    rows = _rows(
        keys=keys, start=start, end=end, dimension=dimension, dimension_value=dimension_value
    )
    return _aggregate(definition, rows, days=(end - start).days + 1)


def metric_total(
    *, metric: str, start: date, end: date, dimension: str = "", dimension_value: str = ""
) -> float:
    """Like `metric_value`, with 0.0 where the metric has no value."""
    value = metric_value(
        metric=metric, start=start, end=end, dimension=dimension, dimension_value=dimension_value
    )
    return 0.0 if value is None else value


@dataclass(frozen=True)
class MetricComparison:
    metric: str
    start: date
    end: date
    value: float | None
    previous_start: date
    previous_end: date
    previous_value: float | None
    change: float | None  # value - previous_value
    change_percent: float | None  # None when the previous value is 0 or unknown


def metric_compare(
    *, metric: str, start: date, end: date, dimension: str = "", dimension_value: str = ""
) -> MetricComparison:
    """The metric over the range against the period of the same length just before it."""
    metric_check(
        metric=metric, start=start, end=end, dimension=dimension, dimension_value=dimension_value
    )
    length = (end - start).days + 1
    previous_end = start - timedelta(days=1)
    previous_start = previous_end - timedelta(days=length - 1)
    value = metric_value(
        metric=metric, start=start, end=end, dimension=dimension, dimension_value=dimension_value
    )
    previous = metric_value(
        metric=metric,
        start=previous_start,
        end=previous_end,
        dimension=dimension,
        dimension_value=dimension_value,
    )
    change = None if value is None or previous is None else value - previous
    percent = None if change is None or not previous else change / abs(previous) * 100
    return MetricComparison(
        metric=metric,
        start=start,
        end=end,
        value=value,
        previous_start=previous_start,
        previous_end=previous_end,
        previous_value=previous,
        change=change,
        change_percent=percent,
    )


def metric_breakdown(
    *, metric: str, start: date, end: date, dimension: str
) -> list[tuple[str, float]]:
    """The metric over the range for every value of a dimension, largest first."""
    metric_check(metric=metric, start=start, end=end, dimension=dimension)
    if not dimension:
        raise ValidationFailed(
            _("Choose a dimension."), code="dimension_required", field="dimension"
        )
    definition = METRICS[metric]
    keys = {metric}
    if definition.rule is RangeRule.RATIO:
        keys |= {definition.numerator, *definition.denominator}
    by_value: dict[str, dict[str, dict[date, float]]] = defaultdict(lambda: defaultdict(dict))
    for key, value_of, day, value in DailyMetric.objects.filter(
        metric__in=keys, day__range=(start, end), dimension=dimension
    ).values_list("metric", "dimension_value", "day", "value"):
        by_value[value_of][key][day] = value
    days = (end - start).days + 1
    totals = [
        (value_of, total)
        for value_of, rows in by_value.items()
        if (total := _aggregate(definition, rows, days=days)) is not None
    ]
    return sorted(totals, key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class ProductSales:
    rank: int
    product_id: int
    gmv: int  # minor units
    units: int


def top_products(
    *, start: date, end: date, by: Literal["gmv", "units"] = "gmv", limit: int = 10
) -> list[ProductSales]:
    """Sales rank: the products that sold most over the range, by GMV or by units (ties by
    the other measure, then by id)."""
    metric_check(metric="gmv", start=start, end=end)
    if by not in ("gmv", "units"):
        raise ValidationFailed(_("Rank by gmv or units."), code="bad_rank_measure", field="by")
    if not 1 <= limit <= settings.ANALYTICS_QUERY_MAX_ROWS:
        raise ValidationFailed(
            _("The limit must be between 1 and %(max)s.")
            % {"max": settings.ANALYTICS_QUERY_MAX_ROWS},
            code="bad_limit",
            field="limit",
        )
    totals: dict[str, dict[str, float]] = defaultdict(lambda: {"gmv": 0.0, "units_sold": 0.0})
    for metric, product_id, value in (
        DailyMetric.objects.filter(
            metric__in=("gmv", "units_sold"), dimension=PRODUCT, day__range=(start, end)
        )
        .values("metric", "dimension_value")
        .annotate(total=Sum("value"))
        .values_list("metric", "dimension_value", "total")
    ):
        totals[product_id][metric] = value
    first, second = ("gmv", "units_sold") if by == "gmv" else ("units_sold", "gmv")
    ranked = sorted(
        (
            (int(product_id), values)
            for product_id, values in totals.items()
            if product_id.isdigit()
        ),
        key=lambda item: (-item[1][first], -item[1][second], item[0]),
    )
    return [
        ProductSales(
            rank=rank,
            product_id=product_id,
            gmv=round(values["gmv"]),
            units=round(values["units_sold"]),
        )
        for rank, (product_id, values) in enumerate(ranked[:limit], start=1)
    ]
