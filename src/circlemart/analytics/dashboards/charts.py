"""Plotly figures built in Python (plotly.graph_objects) and handed to the page as plain JSON;
static/analytics/dashboards.js draws them with the plotly.js of the same wheel.

graph_objects validates each trace's type and styling and the layout; the data arrays (plain
lists of ISO dates, names and numbers this module makes) are attached to the serialised trace
afterwards, because plotly's per-element validation and deep copies of a year of points cost
~50 ms a chart — a page of eight charts would miss its 300 ms budget on that alone.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import plotly.graph_objects as go
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from circlemart.core.money import minor_unit_exponent

PALETTE = (
    "#4f46e5",
    "#0ea5e9",
    "#f59e0b",
    "#10b981",
    "#ef4444",
    "#8b5cf6",
    "#ec4899",
    "#64748b",
    "#14b8a6",
    "#a3a3a3",
)
FONT = "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif"


@dataclass(frozen=True)
class ChartSeries:
    """One line / bar set: `x` labels (ISO dates or names) and values as shown (money in major
    units). The CSV export writes exactly these."""

    name: str
    x: list[str]
    y: list[float]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str | Promise
    help: str | Promise
    unit: str
    series: list[ChartSeries]
    figure: dict[str, Any]


def shown_value(unit: str, value: float) -> float:
    """Money is stored in minor units; charts and CSV show major units."""
    shown = value
    if unit == "money":
        shown = value / 10 ** minor_unit_exponent(settings.DEFAULT_CURRENCY)
    shown = round(shown, 6)
    return int(shown) if float(shown).is_integer() else shown


def _axis(unit: str) -> dict[str, Any]:
    if unit == "ratio":
        return {"tickformat": ".1%", "rangemode": "tozero"}
    if unit == "money":
        return {"tickprefix": "¥", "separatethousands": True, "rangemode": "tozero"}
    if unit == "seconds":
        return {"ticksuffix": " s", "rangemode": "tozero"}
    return {"separatethousands": True, "rangemode": "tozero"}


def _layout(*, height: int = 260, unit: str = "count", **extra: Any) -> dict[str, Any]:
    return copy.deepcopy(_validated_layout(height, unit, json.dumps(extra, sort_keys=True)))


@lru_cache(maxsize=256)
def _validated_layout(height: int, unit: str, extra: str) -> dict[str, Any]:
    """A layout checked by graph_objects once per shape (pages reuse a handful of them)."""
    base = {
        "height": height,
        "margin": {"l": 48, "r": 12, "t": 8, "b": 36},
        "font": {"family": FONT, "size": 12},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "x unified",
        "yaxis": {**_axis(unit), "gridcolor": "rgba(148,163,184,0.25)"},
        "xaxis": {"gridcolor": "rgba(148,163,184,0.15)"},
        "colorway": list(PALETTE),
    }
    layout: dict[str, Any] = go.Layout({**base, **json.loads(extra)}).to_plotly_json()
    return layout


def _figure(traces: list[tuple[Any, dict[str, Any]]], layout: dict[str, Any]) -> dict[str, Any]:
    """{"data", "layout"} as plotly.js takes them: each validated trace with its arrays."""
    return {
        "data": [{**trace.to_plotly_json(), **arrays} for trace, arrays in traces],
        "layout": layout,
    }


def line_chart(
    *,
    id: str,
    title: str | Promise,
    help: str | Promise,
    unit: str,
    series: list[ChartSeries],
    dashed: tuple[str, ...] = (),
    hover_x: dict[str, list[str]] | None = None,
) -> Chart:
    """Lines over days; series named in `dashed` are drawn dotted (the previous period, drawn
    over the current days, its own dates in the hover text)."""
    traces = []
    for item in series:
        style: dict[str, Any] = {"name": item.name, "mode": "lines"}
        arrays: dict[str, Any] = {"x": item.x, "y": item.y}
        if item.name in dashed:
            style["line"] = {"dash": "dot", "color": "#94a3b8"}
        if hover_x and item.name in hover_x:
            arrays["customdata"] = hover_x[item.name]
            style["hovertemplate"] = "%{customdata}: %{y}<extra>" + item.name + "</extra>"
        traces.append((go.Scatter(style, skip_invalid=False), arrays))
    return Chart(id, title, help, unit, series, _figure(traces, _layout(unit=unit)))


def bar_chart(
    *,
    id: str,
    title: str | Promise,
    help: str | Promise,
    unit: str,
    series: ChartSeries,
    horizontal: bool = False,
) -> Chart:
    if horizontal:
        trace = go.Bar(orientation="h", name=series.name, skip_invalid=False)
        arrays = {"x": series.y, "y": series.x}
        layout = _layout(
            unit="count",
            height=max(200, 28 * len(series.x) + 60),
            xaxis=_axis(unit),
            yaxis={"autorange": "reversed", "automargin": True},
            hovermode="closest",
        )
    else:
        trace = go.Bar(name=series.name, skip_invalid=False)
        arrays = {"x": series.x, "y": series.y}
        layout = _layout(unit=unit, hovermode="closest")
    return Chart(id, title, help, unit, [series], _figure([(trace, arrays)], layout))


def pie_chart(*, id: str, title: str | Promise, help: str | Promise, series: ChartSeries) -> Chart:
    trace = go.Pie(hole=0.45, sort=False, skip_invalid=False)
    arrays = {"labels": series.x, "values": series.y}
    layout = _layout(height=280, margin={"l": 8, "r": 8, "t": 8, "b": 8}, hovermode="closest")
    return Chart(id, title, help, "count", [series], _figure([(trace, arrays)], layout))


def funnel_chart(
    *, id: str, title: str | Promise, help: str | Promise, series: ChartSeries
) -> Chart:
    trace = go.Funnel(textinfo="value+percent initial", skip_invalid=False)
    arrays = {"y": series.x, "x": series.y}
    layout = _layout(
        height=max(220, 56 * len(series.x) + 40),
        yaxis={"automargin": True},
        hovermode="closest",
    )
    return Chart(id, title, help, "count", [series], _figure([(trace, arrays)], layout))


def heatmap_chart(
    *,
    id: str,
    title: str | Promise,
    help: str | Promise,
    rows: list[str],
    columns: list[str],
    values: list[list[float | None]],
) -> Chart:
    """Cohorts down, periods since across, the retained share in each cell."""
    trace = go.Heatmap(
        colorscale="Blues",
        zmin=0,
        zmax=1,
        texttemplate="%{z:.0%}",
        hovertemplate="%{y} +%{x}: %{z:.1%}<extra></extra>",
        colorbar={"tickformat": ".0%"},
        skip_invalid=False,
    )
    layout = _layout(
        height=max(240, 26 * len(rows) + 80),
        yaxis={"autorange": "reversed", "type": "category", "automargin": True},
        xaxis={"type": "category", "title": {"text": _("periods since the cohort")}},
        hovermode="closest",
    )
    arrays = {"z": values, "x": columns, "y": rows}
    series = [
        ChartSeries(name=row, x=columns, y=[value if value is not None else 0.0 for value in line])
        for row, line in zip(rows, values, strict=True)
    ]
    return Chart(id, title, help, "ratio", series, _figure([(trace, arrays)], layout))
