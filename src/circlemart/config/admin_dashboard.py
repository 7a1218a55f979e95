"""The merchant's home in the back office: today's takings and visitors, what waits for the
merchant (orders to ship, after-sales, low stock) and a 7-day chart. Reads go through each
app's selectors; the figures are drawn by analytics' dashboards.js with the bundled Plotly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from circlemart.analytics.tracking import selectors as tracking_selectors
from circlemart.catalog import selectors as catalog_selectors
from circlemart.core import clock
from circlemart.core.admin_widgets import format_money
from circlemart.core.money import minor_unit_exponent
from circlemart.inventory import selectors as inventory_selectors
from circlemart.live.selectors import stats as live_stats
from circlemart.orders import selectors as order_selectors
from circlemart.orders.contracts import OrderStatus
from circlemart.recommend.selectors import stats as recommend_stats

CHART_DAYS = 7
LOW_STOCK_THRESHOLD = 5
LOW_STOCK_SHOWN = 8


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    link: str = ""
    hint: str = ""
    is_alert: bool = False


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, start + timedelta(days=1)


def _changelist(name: str, **filters: str) -> str:
    url = reverse(f"admin:{name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def _chart(days: list[date], gmv: list[int], orders: list[int]) -> dict[str, Any]:
    labels = [day.strftime("%m-%d") for day in days]
    scale = 10 ** minor_unit_exponent(settings.DEFAULT_CURRENCY)  # fen → yuan on the axis
    return {
        "data": [
            {
                "type": "bar",
                "name": _("GMV (¥)"),
                "x": labels,
                "y": [amount / scale for amount in gmv],
                "marker": {"color": "#4f46e5"},
                "hovertemplate": "%{x}<br>¥%{y:,.2f}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("Orders"),
                "x": labels,
                "y": orders,
                "yaxis": "y2",
                "line": {"color": "#f59e0b", "width": 3},
            },
        ],
        "layout": {
            "height": 300,
            "margin": {"l": 60, "r": 50, "t": 10, "b": 40},
            "legend": {"orientation": "h", "y": 1.12},
            "xaxis": {"type": "category"},
            "yaxis": {"tickprefix": "¥", "separatethousands": True, "rangemode": "tozero"},
            "yaxis2": {
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
                "tickformat": ",d",
                "showgrid": False,
            },
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "font": {"family": "system-ui, -apple-system, 'PingFang SC', sans-serif"},
        },
    }


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """Everything the home template shows (only for staff: the admin index requires it)."""
    today = timezone.localdate(clock.now())
    days = [today - timedelta(days=offset) for offset in range(CHART_DAYS - 1, -1, -1)]
    figures = [order_selectors.sales_between(start=a, end=b) for a, b in map(_day_bounds, days)]
    now_figures = figures[-1]
    start, end = _day_bounds(today)
    visitors = tracking_selectors.visitors_between(start=start, end=end)
    to_ship = order_selectors.orders_to_ship_count()
    waiting = order_selectors.aftersales_waiting_count()
    low_count, low_rows = inventory_selectors.low_stock(
        threshold=LOW_STOCK_THRESHOLD, limit=LOW_STOCK_SHOWN
    )
    skus = catalog_selectors.skus_for_sale([sku_id for sku_id, _left in low_rows])
    low_stock = [
        {
            "sku_id": sku_id,
            "available": available,
            "title": skus[sku_id].title if sku_id in skus else f"#{sku_id}",
            "options": " / ".join(f"{k}: {v}" for k, v in skus[sku_id].options.items())
            if sku_id in skus
            else "",
            "link": reverse("admin:catalog_product_change", args=[skus[sku_id].product_id])
            if sku_id in skus
            else "",
        }
        for sku_id, available in low_rows
    ]
    currency = settings.DEFAULT_CURRENCY
    on_air = live_stats.on_air()
    recommendations = recommend_stats.recent_click_through(days=CHART_DAYS)
    tiles = [
        Tile("gmv", _("Today's GMV"), format_money(now_figures.gmv, currency)),
        Tile("orders", _("Orders today"), str(now_figures.placed)),
        Tile("paid", _("Paid orders today"), str(now_figures.paid)),
        Tile("visitors", _("Visitors today"), str(visitors)),
        Tile(
            "to-ship",
            _("Orders to ship"),
            str(to_ship),
            link=_changelist("orders_order", status=OrderStatus.PAID.value),
            is_alert=to_ship > 0,
        ),
        Tile(
            "aftersales",
            _("After-sales waiting"),
            str(waiting),
            link=_changelist("orders_aftersalesrequest", queue="merchant"),
            is_alert=waiting > 0,
        ),
        Tile(
            "live",
            _("Live rooms on air"),
            str(on_air.rooms),
            hint=_("%(count)d watching") % {"count": on_air.viewers},
            link=_changelist("live_room", state__exact="live"),
        ),
        Tile(
            "recommend",
            _("Recommendation CTR (7 days)"),
            "—" if recommendations.ctr is None else f"{recommendations.ctr * 100:.1f}%",
            hint=_("%(clicks)d clicks / %(shown)d shown · %(model)s")
            % {
                "clicks": recommendations.clicks,
                "shown": recommendations.impressions,
                "model": _("%(label)s serving") % {"label": recommendations.active_label}
                if recommendations.active_label
                else _("no model serving"),
            },
            link=reverse("admin:recommend_stats"),
        ),
        Tile(
            "low-stock",
            _("Low-stock SKUs"),
            str(low_count),
            hint=_("%(count)d or fewer left") % {"count": LOW_STOCK_THRESHOLD},
            link="#low-stock",
            is_alert=low_count > 0,
        ),
    ]
    return {
        "title": _("Merchant home"),
        "dashboard_tiles": tiles,
        "dashboard_low_stock": low_stock,
        "dashboard_week": [
            {"day": day, "gmv": format_money(item.gmv, currency), "orders": item.placed}
            for day, item in zip(days, figures, strict=True)
        ],
        "dashboard_figures": {
            "week": _chart(days, [f.gmv for f in figures], [f.placed for f in figures])
        },
    }
