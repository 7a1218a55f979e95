"""What each dashboard shows for a period: key-number cards with the previous period, charts
and tables. The page template, the CSV export and the email report all render this."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from circlemart.analytics.analyses import selectors as analyses
from circlemart.analytics.analyses.contracts import FunnelStepSpec
from circlemart.analytics.dashboards import charts
from circlemart.analytics.dashboards.charts import Chart, ChartSeries
from circlemart.analytics.dashboards.pages import DIMENSIONS, Dashboard
from circlemart.analytics.dashboards.selectors import (
    MetricReading,
    Period,
    channel_spend_totals,
    metric_catalogue,
    metric_readings,
    top_dimension_values,
)
from circlemart.analytics.models import TrackedSession
from circlemart.catalog import selectors as catalog_selectors
from circlemart.core.money import Money, babel_locale

RETENTION_COHORT_EVENTS = ("user_registered",)
RETENTION_ACTIVITY_EVENTS = (
    "page_view",
    "product_view",
    "add_to_cart",
    "search",
    "order_paid",
    "user_logged_in",
)
MAX_COHORTS = 60


@dataclass(frozen=True)
class Card:
    key: str
    label: str | Promise
    help: str | Promise
    value: str
    previous: str
    change: float | None

    @property
    def change_text(self) -> str:
        return "—" if self.change is None else f"{self.change:+.1%}"

    @property
    def is_up(self) -> bool:
        return self.change is not None and self.change > 0

    @property
    def is_down(self) -> bool:
        return self.change is not None and self.change < 0


@dataclass(frozen=True)
class Table:
    """Columns and rows as shown; `values` are the same cells for the CSV (numbers raw)."""

    id: str
    title: str | Promise
    columns: list[str]
    rows: list[list[str]]
    values: list[list[str | float]]
    help: str | Promise = ""


@dataclass
class PageContent:
    dashboard: Dashboard
    period: Period
    dimension: str = ""
    cards: list[Card] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notice: str = ""


# --- Formatting ---------------------------------------------------------------------------


def display(unit: str, value: float | None) -> str:
    """A value as an analyst reads it, in the active language."""
    if value is None:
        return "—"
    if unit == "money":
        money = Money(round(value), settings.DEFAULT_CURRENCY)
        return money.format(babel_locale(get_language()))
    if unit == "ratio":
        return f"{value:.1%}"
    if unit == "seconds":
        hours = value / 3600
        return (
            _("%(hours).1f h") % {"hours": hours} if hours >= 1 else _("%(s).0f s") % {"s": value}
        )
    if unit == "score":
        return f"{value:.2f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def csv_number(unit: str, value: float | None) -> str | float:
    if value is None:
        return ""
    return charts.shown_value(unit, value)


def _period_label(period: Period) -> str:
    return f"{period.start.isoformat()} – {period.end.isoformat()}"


def _days(series: list[tuple[date, float]]) -> list[str]:
    return [day.isoformat() for day, _value in series]


# --- Metric pages -------------------------------------------------------------------------


def _card(reading: MetricReading) -> Card:
    info = reading.info
    return Card(
        key=info.key,
        label=info.label,
        help=info.definition,
        value=display(info.unit, reading.total),
        previous=display(info.unit, reading.previous_total),
        change=reading.change,
    )


def _metric_chart(reading: MetricReading, dimension: str, value_names: dict[str, str]) -> Chart:
    info = reading.info
    if dimension and reading.breakdown:
        series = [
            ChartSeries(
                name=value_names.get(item.value, item.value),
                x=_days(item.series),
                y=[charts.shown_value(info.unit, value) for _day, value in item.series],
            )
            for item in reading.breakdown
        ]
        return charts.line_chart(
            id=info.key, title=info.label, help=info.definition, unit=info.unit, series=series
        )
    current_name, previous_name = _("this period"), _("previous period")
    current = ChartSeries(
        name=current_name,
        x=_days(reading.series),
        y=[charts.shown_value(info.unit, value) for _day, value in reading.series],
    )
    # The previous period is drawn over the current days so the two lines compare day by day;
    # the CSV keeps its own dates.
    previous = ChartSeries(
        name=previous_name,
        x=_days(reading.previous_series),
        y=[charts.shown_value(info.unit, value) for _day, value in reading.previous_series],
    )
    chart = charts.line_chart(
        id=info.key,
        title=info.label,
        help=info.definition,
        unit=info.unit,
        series=[current, ChartSeries(previous_name, current.x, previous.y)],
        dashed=(previous_name,),
        hover_x={previous_name: previous.x},
    )
    return Chart(chart.id, chart.title, chart.help, chart.unit, [current, previous], chart.figure)


def _dimension_names(dimension: str, readings: list[MetricReading]) -> dict[str, str]:
    """Readable names of dimension values (category names, channel labels)."""
    values = {item.value for reading in readings for item in reading.breakdown}
    if dimension == "channel":
        labels = dict(TrackedSession.Source.choices)
        return {value: str(labels.get(value, value)) for value in values}
    if dimension == "category":
        ids = [int(value) for value in values if value.isdigit()]
        english = not (get_language() or "").startswith("zh")
        return {
            str(node.id): (node.name_en or node.name) if english else node.name
            for node in catalog_selectors.categories_by_id(ids).values()
        }
    return {}


def _summary_table(readings: list[MetricReading], period: Period) -> Table:
    previous = period.previous()
    columns = [_("Metric"), _period_label(period), _period_label(previous), _("Change")]
    rows, values = [], []
    for reading in readings:
        info = reading.info
        rows.append(
            [
                str(info.label),
                display(info.unit, reading.total),
                display(info.unit, reading.previous_total),
                _card(reading).change_text,
            ]
        )
        values.append(
            [
                str(info.label),
                csv_number(info.unit, reading.total),
                csv_number(info.unit, reading.previous_total),
                "" if reading.change is None else round(reading.change, 6),
            ]
        )
    return Table("summary", _("Key numbers"), columns, rows, values)


def _breakdown_table(
    readings: list[MetricReading], dimension: str, names: dict[str, str], spend: dict[str, int]
) -> Table | None:
    """One row per dimension value, one column per metric (its range total for that value);
    by channel also the spend of the period."""
    cut = [reading for reading in readings if reading.breakdown]
    if not cut:
        return None
    order: list[str] = []
    for reading in cut:
        order += [item.value for item in reading.breakdown if item.value not in order]
    totals = {(r.info.key, item.value): item.total for r in cut for item in r.breakdown}
    columns = [capfirst(str(DIMENSIONS.get(dimension, dimension)))]
    columns += [str(r.info.label) for r in cut]
    with_spend = dimension == "channel" and bool(spend)
    if with_spend:
        columns.append(_("Spend"))
    rows, values = [], []
    for value in order:
        row: list[str] = [names.get(value, value)]
        raw: list[str | float] = [names.get(value, value)]
        for reading in cut:
            total = totals.get((reading.info.key, value))
            row.append(display(reading.info.unit, total))
            raw.append(csv_number(reading.info.unit, total))
        if with_spend:
            row.append(display("money", spend.get(value, 0)))
            raw.append(csv_number("money", spend.get(value, 0)))
        rows.append(row)
        values.append(raw)
    title = _("By %(dimension)s") % {"dimension": DIMENSIONS.get(dimension, dimension)}
    return Table("by_" + dimension, title, columns, rows, values)


def _top_products(period: Period) -> Table:
    limit = settings.ANALYTICS_DASHBOARD_TOP_ROWS
    ranked = top_dimension_values(metric="gmv", dimension="product", period=period, limit=limit)
    ids = [int(row.value) for row in ranked if row.value.isdigit()]
    english = not (get_language() or "").startswith("zh")
    titles = {
        str(card.id): (card.title_en or card.title) if english else card.title
        for card in catalog_selectors.product_cards(ids)
    }
    columns = [_("Rank"), _("Product"), _("GMV")]
    rows = [
        [str(rank), titles.get(row.value, f"#{row.value}"), display("money", row.total)]
        for rank, row in enumerate(ranked, start=1)
    ]
    values: list[list[str | float]] = [
        [rank, titles.get(row.value, f"#{row.value}"), csv_number("money", row.total)]
        for rank, row in enumerate(ranked, start=1)
    ]
    return Table("top_products", _("Top products by GMV"), columns, rows, values)


def metrics_page(*, dashboard: Dashboard, period: Period, dimension: str) -> PageContent:
    catalogue = metric_catalogue()
    metrics = dashboard.metrics(catalogue)
    # The traffic page always reads its channels: the channel table (spend, CAC) is its point.
    read_by = dimension or ("channel" if dashboard.name == "traffic" else "")
    readings = metric_readings(metrics=metrics, period=period, dimension=read_by)
    names = _dimension_names(read_by, readings)
    content = PageContent(dashboard=dashboard, period=period, dimension=dimension)
    content.cards = [_card(reading) for reading in readings]
    content.tables.append(_summary_table(readings, period))
    if dashboard.name == "traffic":
        sessions = next((r for r in readings if r.info.key == "sessions"), None)
        if sessions is not None and sessions.breakdown:
            mix = ChartSeries(
                name=str(sessions.info.label),
                x=[names.get(item.value, item.value) for item in sessions.breakdown],
                y=[item.total for item in sessions.breakdown],
            )
            content.charts.append(
                charts.pie_chart(
                    id="source_mix",
                    title=_("Source mix"),
                    help=sessions.info.definition,
                    series=mix,
                )
            )
    content.charts += [_metric_chart(reading, dimension, names) for reading in readings]
    if read_by:
        spend = channel_spend_totals(period=period) if read_by == "channel" else {}
        table = _breakdown_table(readings, read_by, names, spend)
        if table is not None:
            content.tables.append(table)
    if dashboard.name == "products":
        content.tables.append(_top_products(period))
    if not any(reading.total is not None for reading in readings):
        content.notice = _(
            "No daily metrics for this period yet: run “circlemart analytics rollup” or wait "
            "for the nightly rollup."
        )
    return content


# --- Funnels and retention ----------------------------------------------------------------


def funnel_page(
    *, dashboard: Dashboard, period: Period, steps: list[str], window_seconds: int, dimension: str
) -> PageContent:
    result = analyses.funnel(
        steps=[FunnelStepSpec(name=name) for name in steps],
        start=period.start,
        end=period.end,
        window=window_seconds,
        by=dimension,
    )
    content = PageContent(dashboard=dashboard, period=period, dimension=dimension)
    people = ChartSeries(
        name=_("people"),
        x=[step.name for step in result.steps],
        y=[step.people for step in result.steps],
    )
    content.charts.append(
        charts.funnel_chart(
            id="funnel",
            title=_("Funnel"),
            help=_(
                "People who did the steps in order, each later step within the conversion "
                "window of the first."
            ),
            series=people,
        )
    )
    columns = [
        _("Step"),
        _("People"),
        _("Conversion from previous"),
        _("Conversion from first"),
        _("Dropped"),
        _("Median time from previous"),
    ]
    rows: list[list[str]] = []
    values: list[list[str | float]] = []
    for step in result.steps:
        rows.append(
            [
                step.name,
                f"{step.people:,}",
                f"{step.conversion_from_previous:.1%}",
                f"{step.conversion_from_first:.1%}",
                f"{step.dropped:,}",
                display("seconds", step.median_seconds_from_previous),
            ]
        )
        values.append(
            [
                step.name,
                step.people,
                round(step.conversion_from_previous, 6),
                round(step.conversion_from_first, 6),
                step.dropped,
                ""
                if step.median_seconds_from_previous is None
                else step.median_seconds_from_previous,
            ]
        )
    content.tables.append(Table("steps", _("Steps"), columns, rows, values))
    if result.segments:
        names = (
            {value: str(label) for value, label in TrackedSession.Source.choices}
            if dimension == "channel"
            else {}
        )
        seg_columns = [capfirst(str(DIMENSIONS.get(dimension, dimension))), *people.x]
        seg_rows: list[list[str]] = []
        seg_values: list[list[str | float]] = []
        for segment in result.segments:
            label = names.get(segment.value, segment.value)
            seg_rows.append(
                [label] + [f"{s.people:,} ({s.conversion_from_first:.0%})" for s in segment.steps]
            )
            seg_values.append([label, *[s.people for s in segment.steps]])
        title = _("By %(dimension)s") % {"dimension": DIMENSIONS.get(dimension, dimension)}
        content.tables.append(Table("by_" + dimension, title, seg_columns, seg_rows, seg_values))
    if not people.y or not people.y[0]:
        content.notice = _("Nobody did the first step in this period.")
    return content


def retention_page(*, dashboard: Dashboard, period: Period, grain: str, kind: str) -> PageContent:
    matrix = analyses.cohort_retention(
        start=period.start,
        end=period.end,
        grain=grain,
        kind=kind,
        # Recurring cohorts are everyone active in a period; first-time ones start at sign-up.
        cohort_events=(
            RETENTION_COHORT_EVENTS if kind == "first_time" else RETENTION_ACTIVITY_EVENTS
        ),
        activity_events=RETENTION_ACTIVITY_EVENTS,
    )
    content = PageContent(dashboard=dashboard, period=period)
    rows_shown = matrix.cohorts[:MAX_COHORTS]
    width = max((len(row.rates) for row in rows_shown), default=0)
    columns = [str(offset) for offset in range(width)]
    labels = [row.cohort.isoformat() for row in rows_shown]
    values: list[list[float | None]] = [
        [*row.rates, *([None] * (width - len(row.rates)))] for row in rows_shown
    ]
    if rows_shown:
        content.charts.append(
            charts.heatmap_chart(
                id="retention",
                title=_("Cohort retention"),
                help=_(
                    "Each row is a cohort of people whose first registration fell in that "
                    "period; each cell the share of them active again N periods later."
                ),
                rows=labels,
                columns=columns,
                values=values,
            )
        )
    else:
        content.notice = _("No cohort in this period.")
    table_columns = [_("Cohort"), _("Size"), *columns]
    table_rows = [
        [label, f"{row.size:,}", *[f"{rate:.0%}" for rate in row.rates]]
        for label, row in zip(labels, rows_shown, strict=True)
    ]
    table_values: list[list[str | float]] = [
        [label, row.size, *[round(rate, 6) for rate in row.rates]]
        for label, row in zip(labels, rows_shown, strict=True)
    ]
    content.tables.append(Table("cohorts", _("Cohorts"), table_columns, table_rows, table_values))
    return content
