"""The dashboards there are: their names (the URL part), titles, which metrics each shows and
by which dimensions an analyst may drill down."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from circlemart.analytics.dashboards.selectors import MetricInfo, first_known

# The overview's key numbers: for each, the catalogue keys it may go by (the first known wins).
KEY_NUMBERS: tuple[tuple[str, ...], ...] = (
    ("gmv",),
    ("orders_placed",),
    ("amount_paid",),
    ("aov",),
    ("dau",),
    ("new_users",),
    ("conversion_rate",),
    ("orders_refunded",),
)
MAX_METRICS_PER_PAGE = 24

DIMENSIONS: dict[str, str | Promise] = {
    "channel": _("channel"),
    "category": _("category"),
    "segment": _("segment"),
}


@dataclass(frozen=True)
class Dashboard:
    name: str
    title: str | Promise
    kind: str  # "metrics", "funnel", "retention"
    group: str = ""  # the catalogue group a metrics page shows ("" = the key numbers)
    dimensions: tuple[str, ...] = ()

    def metrics(self, catalogue: dict[str, MetricInfo]) -> list[MetricInfo]:
        if self.kind != "metrics":
            return []
        if not self.group:
            found = (first_known(catalogue, *candidates) for candidates in KEY_NUMBERS)
            return [info for info in found if info is not None]
        return [info for info in catalogue.values() if info.group == self.group][
            :MAX_METRICS_PER_PAGE
        ]

    def drill_downs(self, metrics: list[MetricInfo]) -> list[str]:
        """The dimensions offered: this page's, where at least one of its metrics has rows."""
        if self.kind != "metrics":
            return list(self.dimensions)
        return [name for name in self.dimensions if any(name in m.dimensions for m in metrics)]


DASHBOARDS: dict[str, Dashboard] = {
    board.name: board
    for board in (
        Dashboard(
            "overview",
            pgettext_lazy("analytics dashboard", "Overview"),
            "metrics",
            "",
            ("channel", "category", "segment"),
        ),
        Dashboard(
            "users",
            pgettext_lazy("analytics dashboard", "Users"),
            "metrics",
            "users",
            ("channel", "category", "segment"),
        ),
        Dashboard(
            "products",
            pgettext_lazy("analytics dashboard", "Products"),
            "metrics",
            "products",
            ("category",),
        ),
        Dashboard(
            "orders",
            pgettext_lazy("analytics dashboard", "Orders"),
            "metrics",
            "orders",
            ("channel", "category", "segment"),
        ),
        Dashboard(
            "traffic",
            pgettext_lazy("analytics dashboard", "Traffic"),
            "metrics",
            "traffic",
            ("channel",),
        ),
        Dashboard(
            "funnels",
            pgettext_lazy("analytics dashboard", "Funnels"),
            "funnel",
            dimensions=("channel",),
        ),
        Dashboard("retention", pgettext_lazy("analytics dashboard", "Retention"), "retention"),
    )
}
