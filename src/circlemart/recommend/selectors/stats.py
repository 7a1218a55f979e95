"""Online figures of the served lists for the back office and A/B comparisons: impressions,
clicks, click-through rate, conversions and conversion rate, per surface, per model version and
per day.

Definitions (the statistics page shows them):
- an impression is one item shown in one served list (a row of `Impression`);
- a click is a click on such an item (one per list and position);
- CTR = clicks ÷ impressions;
- a conversion is a click on a product by a signed-in user followed, within
  CONVERSION_WINDOW (7 days) of the click, by a paid order line of that product by that user
  (later refunds included). Each click converts at most once; one purchase converts every
  click on that product by that user in the 7 days before it, on whatever surface. Clicks by
  anonymous visitors and clicks on notes never convert;
- conversion rate = conversions ÷ clicks;
- days are local calendar days (TIME_ZONE); impressions count on the day they were served,
  clicks and conversions on the day of the click. Clicks of the last 7 days may still convert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import ValidationFailed
from circlemart.orders import selectors as order_selectors
from circlemart.recommend.contracts import Surface
from circlemart.recommend.models import (
    Impression,
    ModelVersion,
    RecommendationClick,
    ServingSlot,
)

CONVERSION_WINDOW = timedelta(days=7)
PERIODS = (7, 14, 30)
DEFAULT_PERIOD = 14
# The offline metrics the back office puts beside the online ones, as the job stores them.
OFFLINE_METRICS = ("ndcg@10", "recall@10", "coverage")

# (surface, model version id or None, local day) → count
_Key = tuple[str, int | None, date]


@dataclass(frozen=True)
class Funnel:
    impressions: int = 0
    clicks: int = 0
    conversions: int = 0

    @property
    def ctr(self) -> float | None:
        return self.clicks / self.impressions if self.impressions else None

    @property
    def conversion_rate(self) -> float | None:
        return self.conversions / self.clicks if self.clicks else None

    def __add__(self, other: Funnel) -> Funnel:
        return Funnel(
            impressions=self.impressions + other.impressions,
            clicks=self.clicks + other.clicks,
            conversions=self.conversions + other.conversions,
        )


@dataclass(frozen=True)
class DayFunnel:
    day: date
    funnel: Funnel


@dataclass(frozen=True)
class SurfaceStats:
    surface: str
    total: Funnel
    days: tuple[DayFunnel, ...]


@dataclass(frozen=True)
class ModelStats:
    """One model version's online figures (None: the non-personalised fallback), its offline
    metrics and whether it serves now: one row of the side-by-side comparison."""

    model_version_id: int | None
    label: str
    is_active: bool
    total: Funnel
    by_surface: Mapping[str, Funnel]
    days: tuple[DayFunnel, ...]
    offline: Mapping[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class RecommendationStats:
    first_day: date
    last_day: date
    days: tuple[date, ...]
    total: Funnel
    daily: tuple[DayFunnel, ...]
    surfaces: tuple[SurfaceStats, ...]
    models: tuple[ModelStats, ...]


def _metric_key(name: str) -> str:
    return str(name).lower().replace("_at_", "@")


def offline_metric(metrics: Mapping[str, Any], name: str) -> float | None:
    """A metric from a version's `metrics`, whatever spelling the job used (`ndcg@10`,
    `ndcg_at_10`, `NDCG@10`); the training job's held-out-period figure
    (`validation_ndcg_at_10`) when the plain one is absent."""
    by_key = {
        _metric_key(key): float(value)
        for key, value in metrics.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
    wanted = _metric_key(name)
    for key in (wanted, f"validation_{wanted}"):
        if key in by_key:
            return by_key[key]
    return None


def period_days(days: int) -> int:
    if days not in PERIODS:
        raise ValidationFailed(
            _("Choose a period of 7, 14 or 30 days."), code="invalid_period", field="days"
        )
    return days


def _bounds(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.combine(first_day, time.min, tzinfo=zone)
    return start, datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)


def _impression_counts(start: datetime, end: datetime) -> dict[_Key, int]:
    rows = (
        Impression.objects.filter(served_at__gte=start, served_at__lt=end)
        .annotate(day=TruncDate("served_at", tzinfo=timezone.get_current_timezone()))
        .values_list("surface", "model_version_id", "day")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {(surface, version, day): count for surface, version, day, count in rows}


def _click_and_conversion_counts(
    start: datetime, end: datetime
) -> tuple[dict[_Key, int], dict[_Key, int]]:
    clicks = list(
        RecommendationClick.objects.filter(clicked_at__gte=start, clicked_at__lt=end).values_list(
            "surface", "model_version_id", "clicked_at", "user_id", "object_type", "object_id"
        )
    )
    click_counts: dict[_Key, int] = defaultdict(int)
    conversion_counts: dict[_Key, int] = defaultdict(int)
    purchases = _purchase_times(
        start,
        end,
        [
            (user_id, object_id)
            for _surface, _version, _at, user_id, object_type, object_id in clicks
            if user_id is not None and object_type == "product"
        ],
    )
    for surface, version, clicked_at, user_id, object_type, object_id in clicks:
        key = (surface, version, timezone.localdate(clicked_at))
        click_counts[key] += 1
        if user_id is None or object_type != "product":
            continue
        paid = purchases.get((int(user_id), int(object_id)), ())
        if any(clicked_at <= paid_at <= clicked_at + CONVERSION_WINDOW for paid_at in paid):
            conversion_counts[key] += 1
    return click_counts, conversion_counts


def _purchase_times(
    start: datetime, end: datetime, pairs: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], list[datetime]]:
    """When each (user, product) pair was paid for, around the clicks asked about."""
    wanted = {(int(user), int(product)) for user, product in pairs}
    if not wanted:
        return {}
    times: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    rows = order_selectors.paid_purchases_between(
        buyer_ids={user for user, _product in wanted},
        product_ids={product for _user, product in wanted},
        paid_from=start,
        paid_to=end + CONVERSION_WINDOW,
    )
    for buyer, product, paid_at in rows:
        if (buyer, product) in wanted:
            times[(buyer, product)].append(paid_at)
    return times


def _funnel(keys: Iterable[_Key], counts: tuple[Mapping[_Key, int], ...]) -> Funnel:
    impressions, clicks, conversions = counts
    total = Funnel()
    for key in keys:
        total += Funnel(
            impressions=impressions.get(key, 0),
            clicks=clicks.get(key, 0),
            conversions=conversions.get(key, 0),
        )
    return total


def _series(
    keys: set[_Key], days: tuple[date, ...], counts: tuple[Mapping[_Key, int], ...]
) -> tuple[DayFunnel, ...]:
    by_day: dict[date, list[_Key]] = defaultdict(list)
    for key in keys:
        by_day[key[2]].append(key)
    return tuple(DayFunnel(day=day, funnel=_funnel(by_day.get(day, []), counts)) for day in days)


def _surface_order(surface: str) -> tuple[int, str]:
    known = [member.value for member in Surface]
    return (known.index(surface) if surface in known else len(known), surface)


def recommendation_stats(
    *, days: int = DEFAULT_PERIOD, today: date | None = None
) -> RecommendationStats:
    """The figures of the `days` local days ending today (a handful of queries)."""
    period_days(days)
    last_day = today or timezone.localdate(clock.now())
    first_day = last_day - timedelta(days=days - 1)
    calendar = tuple(first_day + timedelta(days=offset) for offset in range(days))
    start, end = _bounds(first_day, last_day)
    impressions = _impression_counts(start, end)
    clicks, conversions = _click_and_conversion_counts(start, end)
    counts = (impressions, clicks, conversions)
    keys = set(impressions) | set(clicks)

    surfaces = sorted(
        {key[0] for key in keys} | {member.value for member in Surface}, key=_surface_order
    )
    surface_stats = tuple(
        SurfaceStats(
            surface=surface,
            total=_funnel((key for key in keys if key[0] == surface), counts),
            days=_series({key for key in keys if key[0] == surface}, calendar, counts),
        )
        for surface in surfaces
    )
    return RecommendationStats(
        first_day=first_day,
        last_day=last_day,
        days=calendar,
        total=_funnel(keys, counts),
        daily=_series(keys, calendar, counts),
        surfaces=surface_stats,
        models=_model_stats(keys, calendar, counts),
    )


def _model_stats(
    keys: set[_Key], calendar: tuple[date, ...], counts: tuple[Mapping[_Key, int], ...]
) -> tuple[ModelStats, ...]:
    active_id = (
        ServingSlot.objects.filter(name="default").values_list("version_id", flat=True).first()
    )
    version_ids = {key[1] for key in keys}
    if active_id is not None:
        version_ids.add(active_id)
    known = {
        version.pk: version
        for version in ModelVersion.objects.filter(pk__in=[v for v in version_ids if v is not None])
    }
    rows = []
    # Newest version first; the non-personalised fallback last.
    for version_id in sorted(version_ids, key=lambda v: (v is None, -(v or 0))):
        version = known.get(version_id) if version_id is not None else None
        own = {key for key in keys if key[1] == version_id}
        surfaces = sorted({key[0] for key in own}, key=_surface_order)
        rows.append(
            ModelStats(
                model_version_id=version_id,
                label=_model_label(version_id, version),
                is_active=version_id is not None and version_id == active_id,
                total=_funnel(own, counts),
                by_surface={
                    surface: _funnel((key for key in own if key[0] == surface), counts)
                    for surface in surfaces
                },
                days=_series(own, calendar, counts),
                offline={
                    name: offline_metric(version.metrics or {}, name) if version else None
                    for name in OFFLINE_METRICS
                },
            )
        )
    return tuple(rows)


def _model_label(version_id: int | None, version: ModelVersion | None) -> str:
    if version_id is None:
        return _("non-personalised")
    return version.label if version is not None else f"#{version_id}"


@dataclass(frozen=True)
class RecentFigures:
    """The back-office home card: the last days' CTR and the serving model."""

    impressions: int
    clicks: int
    ctr: float | None
    active_label: str | None


def recent_click_through(*, days: int = 7) -> RecentFigures:
    """Impressions and clicks of the last `days` days (two counts) and the serving model."""
    since = clock.now() - timedelta(days=days)
    impressions = Impression.objects.filter(served_at__gte=since).count()
    clicks = RecommendationClick.objects.filter(clicked_at__gte=since).count()
    active = (
        ServingSlot.objects.filter(name="default", version__isnull=False)
        .values_list("version__label", flat=True)
        .first()
    )
    return RecentFigures(
        impressions=impressions,
        clicks=clicks,
        ctr=clicks / impressions if impressions else None,
        active_label=active,
    )
