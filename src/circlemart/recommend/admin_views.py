"""The back office's recommendation statistics page: impressions, clicks, CTR, conversions and
conversion rate per surface and per model version over the last 7/14/30 days, Plotly charts
(drawn by analytics' dashboards.js with the bundled Plotly) and the models side by side."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from circlemart.recommend.contracts import Surface
from circlemart.recommend.selectors import stats as stats_selectors
from circlemart.recommend.selectors.stats import DayFunnel, Funnel, RecommendationStats

# One colour per line, in surface order, then reused.
PALETTE = ("#4f46e5", "#0ea5e9", "#10b981", "#f59e0b", "#ec4899", "#8b5cf6", "#64748b")


def surface_title(surface: str) -> str:
    titles: dict[str, str] = {
        Surface.FOR_YOU: _("For you"),
        Surface.SIMILAR: _("Similar products"),
        Surface.BOUGHT_TOGETHER: _("Bought together"),
        Surface.CART_ADDONS: _("Cart add-ons"),
        Surface.BUY_AGAIN: _("Buy again"),
        Surface.FRIENDS: _("Friends bought or liked"),
        Surface.NOTES: _("Notes feed"),
    }
    return titles.get(surface, surface)


def percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio * 100:.1f}%"


def chosen_period(request: HttpRequest) -> int:
    """The `days` query parameter when it is one of the offered periods, else the default."""
    try:
        days = int(request.GET.get("days", stats_selectors.DEFAULT_PERIOD))
    except ValueError:
        return stats_selectors.DEFAULT_PERIOD
    return days if days in stats_selectors.PERIODS else stats_selectors.DEFAULT_PERIOD


def _funnel_cells(funnel: Funnel) -> list[str]:
    return [
        f"{funnel.impressions:,}",
        f"{funnel.clicks:,}",
        percent(funnel.ctr),
        f"{funnel.conversions:,}",
        percent(funnel.conversion_rate),
    ]


def _funnel_columns() -> list[str]:
    return [_("Impressions"), _("Clicks"), _("CTR"), _("Conversions"), _("Conversion rate")]


def _metric(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def _tables(stats: RecommendationStats) -> list[dict[str, Any]]:
    surfaces = {
        "id": "surfaces",
        "title": _("Per surface"),
        "columns": [_("Surface"), *_funnel_columns()],
        "rows": [
            [surface_title(row.surface), *_funnel_cells(row.total)]
            for row in stats.surfaces
            if row.total.impressions or row.total.clicks
        ],
    }
    models = {
        "id": "models",
        "title": _("Models side by side"),
        "columns": [
            _("Model version"),
            *_funnel_columns(),
            "NDCG@10",
            "Recall@10",
            pgettext("catalogue coverage", "Coverage"),
        ],
        "rows": [
            [
                f"{row.label} ★" if row.is_active else row.label,
                *_funnel_cells(row.total),
                *(_metric(row.offline.get(name)) for name in stats_selectors.OFFLINE_METRICS),
            ]
            for row in stats.models
        ],
    }
    surface_names = sorted({name for row in stats.models for name in row.by_surface})
    by_surface = {
        "id": "models-by-surface",
        "title": _("Models per surface"),
        "columns": [_("Model version"), _("Surface"), *_funnel_columns()],
        "rows": [
            [row.label, surface_title(name), *_funnel_cells(row.by_surface[name])]
            for row in stats.models
            for name in surface_names
            if name in row.by_surface
        ],
    }
    return [surfaces, models, by_surface]


def _layout(*, rate_axis: bool) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "height": 300,
        "margin": {"l": 56, "r": 56, "t": 8, "b": 40},
        "legend": {"orientation": "h", "y": -0.25},
        "hovermode": "x unified",
        "xaxis": {"type": "category", "gridcolor": "rgba(148,163,184,0.15)"},
        "yaxis": {"rangemode": "tozero", "gridcolor": "rgba(148,163,184,0.25)"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "system-ui, -apple-system, 'PingFang SC', sans-serif", "size": 12},
    }
    if rate_axis:
        layout["yaxis"] = {**layout["yaxis"], "tickformat": ".1%"}
    return layout


def _rate_lines(
    series: Sequence[tuple[str, tuple[DayFunnel, ...]]], labels: list[str], *, conversion: bool
) -> list[dict[str, Any]]:
    lines = []
    for index, (name, days) in enumerate(series):
        values = [
            (point.funnel.conversion_rate if conversion else point.funnel.ctr) for point in days
        ]
        lines.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": labels,
                "y": values,
                "connectgaps": False,
                "line": {"color": PALETTE[index % len(PALETTE)], "width": 2},
            }
        )
    return lines


def _figures(stats: RecommendationStats) -> dict[str, Any]:
    labels = [day.strftime("%m-%d") for day in stats.days]
    volume = {
        "data": [
            {
                "type": "bar",
                "name": _("Impressions"),
                "x": labels,
                "y": [point.funnel.impressions for point in stats.daily],
                "marker": {"color": "#c7d2fe"},
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("Clicks"),
                "x": labels,
                "y": [point.funnel.clicks for point in stats.daily],
                "line": {"color": "#4f46e5", "width": 2},
                "yaxis": "y2",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("Conversions"),
                "x": labels,
                "y": [point.funnel.conversions for point in stats.daily],
                "line": {"color": "#10b981", "width": 2},
                "yaxis": "y2",
            },
        ],
        "layout": {
            **_layout(rate_axis=False),
            "yaxis2": {
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
                "showgrid": False,
                "tickformat": ",d",
            },
        },
    }
    shown_surfaces = [row for row in stats.surfaces if row.total.impressions or row.total.clicks]
    surface_series = [(surface_title(row.surface), row.days) for row in shown_surfaces]
    model_series = [(row.label, row.days) for row in stats.models]
    figures = {
        "volume": volume,
        "ctr-surface": {
            "data": _rate_lines(surface_series, labels, conversion=False),
            "layout": _layout(rate_axis=True),
        },
        "ctr-model": {
            "data": _rate_lines(model_series, labels, conversion=False),
            "layout": _layout(rate_axis=True),
        },
        "conversion-model": {
            "data": _rate_lines(model_series, labels, conversion=True),
            "layout": _layout(rate_axis=True),
        },
    }
    # A plain-JSON round trip: the template's json_script gets lists and numbers only.
    result: dict[str, Any] = json.loads(json.dumps(figures))
    return result


def _cards(stats: RecommendationStats) -> list[dict[str, str]]:
    total = stats.total
    rows = [
        ("impressions", _("Impressions"), f"{total.impressions:,}", _("Items shown in lists.")),
        ("clicks", _("Clicks"), f"{total.clicks:,}", _("Clicks on those items.")),
        ("ctr", _("CTR"), percent(total.ctr), _("Clicks ÷ impressions.")),
        (
            "conversions",
            _("Conversions"),
            f"{total.conversions:,}",
            _(
                "Clicks on a product followed within 7 days by a paid order of it by the same "
                "signed-in customer."
            ),
        ),
        (
            "conversion-rate",
            _("Conversion rate"),
            percent(total.conversion_rate),
            _("Conversions ÷ clicks."),
        ),
    ]
    return [
        {"key": key, "label": label, "value": value, "help": help}
        for key, label, value, help in rows
    ]


def stats_context(request: HttpRequest) -> dict[str, Any]:
    """What the statistics template shows for the period the request asks for."""
    days = chosen_period(request)
    stats = stats_selectors.recommendation_stats(days=days)
    return {
        "stats": stats,
        "days": days,
        "periods": [
            {
                "days": period,
                "label": _("%(days)d days") % {"days": period},
                "is_active": period == days,
            }
            for period in stats_selectors.PERIODS
        ],
        "cards": _cards(stats),
        "tables": _tables(stats),
        "figures": _figures(stats),
        "has_data": bool(stats.total.impressions or stats.total.clicks),
    }
