"""Writes of growth goals: define a goal (checked whole), evaluate it against the daily
metrics, and tell its owner and the analysts when it turns at risk or off track."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circlemart.accounts import selectors as account_selectors
from circlemart.accounts.contracts import Role
from circlemart.analytics.goals import selectors
from circlemart.analytics.goals.forecast import Forecast, forecast_value, goal_status
from circlemart.analytics.metrics.catalogue import METRICS, Unit
from circlemart.analytics.models import GrowthGoal
from circlemart.core import clock
from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.notifications.contracts import NotificationKind, TargetType
from circlemart.notifications.services import notification_record

Status = GrowthGoal.Status
Aggregation = GrowthGoal.Aggregation

# Goals are evaluated until this long after their deadline, so late rollups still count.
EVALUATE_AFTER_DEADLINE_DAYS = 7
# A level goal's actual value: the mean of its last this-many daily values.
ACTUAL_DAYS = 7
_RELATIVE = re.compile(r"^([+-])(\d+(?:\.\d+)?)%$")
_ABSOLUTE = re.compile(r"^(-?\d+(?:\.\d+)?)(%?)$")
_WARNING_KINDS = {
    Status.AT_RISK: NotificationKind.GOAL_AT_RISK,
    Status.OFF_TRACK: NotificationKind.GOAL_OFF_TRACK,
}


@dataclass(frozen=True)
class ParsedTarget:
    kind: str  # GrowthGoal.TargetKind
    number: float  # the percentage for a relative target, the value in stored units otherwise


@dataclass(frozen=True)
class GoalEvaluation:
    goal_id: int
    previous_status: str
    status: str
    actual: float | None  # latest value (level) or the period's total so far
    forecast: Forecast | None
    notified_user_ids: list[int]


def unit_scale(metric: str) -> float:
    """Stored units per displayed unit: money is stored in minor units (fen) and typed in
    yuan; everything else is typed as stored."""
    definition = METRICS.get(metric)
    return 100.0 if definition is not None and definition.unit == "money" else 1.0


def target_parse(*, text: str | float | int, metric: str) -> ParsedTarget:
    """ "+30%" / "-10%" → a change from the baseline; "1200", "1,200", "40%" → an absolute
    value ("40%" is 0.4, for ratios such as retention; money in yuan becomes fen). Full-width
    characters (＋３０％) are accepted."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return ParsedTarget(
            kind=GrowthGoal.TargetKind.ABSOLUTE, number=float(text) * unit_scale(metric)
        )
    cleaned = unicodedata.normalize("NFKC", str(text)).replace(",", "").replace(" ", "")
    if relative := _RELATIVE.fullmatch(cleaned):
        sign = -1.0 if relative.group(1) == "-" else 1.0
        return ParsedTarget(
            kind=GrowthGoal.TargetKind.RELATIVE_PERCENT, number=sign * float(relative.group(2))
        )
    if absolute := _ABSOLUTE.fullmatch(cleaned):
        number = float(absolute.group(1))
        number = number / 100.0 if absolute.group(2) else number * unit_scale(metric)
        return ParsedTarget(kind=GrowthGoal.TargetKind.ABSOLUTE, number=number)
    raise ValidationFailed(
        _("Enter a number (1200, 40%) or a change from the baseline (+30%, -10%)."),
        code="target_not_numeric",
        field="target",
    )


def baseline_measure(*, metric: str, start: date, end: date, aggregation: str) -> float | None:
    """The baseline: the mean daily value over the window for a level goal, the window's
    total for a period-total goal; None when the window has no data."""
    values = [value for _, value in selectors.daily_values(metric=metric, start=start, end=end)]
    if not values:
        return None
    total = sum(values)
    return total if aggregation == Aggregation.PERIOD_TOTAL else total / len(values)


@dataclass(frozen=True)
class CheckedGoal:
    """A goal definition that passed every check, its target resolved."""

    name: str
    metric: str
    aggregation: str
    baseline_start: date
    baseline_end: date
    baseline_value: float | None
    target_kind: str
    target_percent: float | None
    target_value: float
    start_date: date
    deadline: date


def goal_check(
    *,
    name: str,
    metric: str,
    baseline_start: date,
    baseline_end: date,
    target: str | float,
    start_date: date,
    deadline: date,
    aggregation: str = Aggregation.LEVEL,
) -> CheckedGoal:
    """Check a goal definition and resolve its target; ValidationFailed names the field.
    `target` is typed in displayed units: "+30%", "-10%" (from the baseline), "1200", "40%"
    (a ratio), yuan for money. A relative target is resolved against the baseline measured
    now: the mean daily value of the window (level) or its total (period total)."""
    today = timezone.localdate(clock.now())
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Give the goal a name."), code="required", field="name")
    if len(name) > 120:
        raise ValidationFailed(_("At most 120 characters."), code="too_long", field="name")
    if metric not in METRICS:
        raise ValidationFailed(_("Unknown metric."), code="unknown_metric", field="metric")
    if aggregation not in Aggregation.values:
        raise ValidationFailed(_("Unknown measure."), code="invalid_choice", field="aggregation")
    if baseline_end < baseline_start:
        raise ValidationFailed(
            _("The baseline window ends before it starts."),
            code="range_backwards",
            field="baseline_end",
        )
    if baseline_end >= today:
        raise ValidationFailed(
            _("The baseline window must be over: end it yesterday at the latest."),
            code="baseline_not_over",
            field="baseline_end",
        )
    if deadline <= today:
        raise ValidationFailed(
            _("The deadline must be in the future."), code="deadline_past", field="deadline"
        )
    if deadline <= start_date:
        raise ValidationFailed(
            _("The deadline must come after the start."),
            code="deadline_before_start",
            field="deadline",
        )
    longest = int(settings.ANALYTICS_QUERY_MAX_DAYS)
    for field, first, last in (
        ("baseline_start", baseline_start, baseline_end),
        ("deadline", start_date, deadline),
    ):
        if (last - first).days + 1 > longest:
            raise ValidationFailed(
                _("A goal's windows may span at most %(days)s days.") % {"days": longest},
                code="range_too_long",
                field=field,
            )
    parsed = target_parse(text=target, metric=metric)
    baseline = baseline_measure(
        metric=metric, start=baseline_start, end=baseline_end, aggregation=aggregation
    )
    target_percent: float | None = None
    target_value = parsed.number
    if parsed.kind == GrowthGoal.TargetKind.RELATIVE_PERCENT:
        if baseline is None:
            raise ValidationFailed(
                _(
                    "The metric has no data in the baseline window: choose another window or "
                    "give an absolute target."
                ),
                code="no_baseline",
                field="baseline_start",
            )
        if baseline == 0:
            raise ValidationFailed(
                _(
                    "The baseline is zero, so a percentage of it is zero too: give an "
                    "absolute target."
                ),
                code="baseline_zero",
                field="target",
            )
        target_percent = parsed.number
        target_value = baseline * (1 + parsed.number / 100.0)
    return CheckedGoal(
        name=name,
        metric=metric,
        aggregation=aggregation,
        baseline_start=baseline_start,
        baseline_end=baseline_end,
        baseline_value=baseline,
        target_kind=parsed.kind,
        target_percent=target_percent,
        target_value=target_value,
        start_date=start_date,
        deadline=deadline,
    )


def goal_create(
    *,
    name: str,
    metric: str,
    baseline_start: date,
    baseline_end: date,
    target: str | float,
    start_date: date,
    deadline: date,
    owner_id: int | None,
    aggregation: str = Aggregation.LEVEL,
) -> GrowthGoal:
    """Define a goal (see goal_check for the rules): nothing is stored unless every check
    passes. The new goal is evaluated at once, so it starts with a status and a forecast."""
    checked = goal_check(
        name=name,
        metric=metric,
        baseline_start=baseline_start,
        baseline_end=baseline_end,
        target=target,
        start_date=start_date,
        deadline=deadline,
        aggregation=aggregation,
    )
    with transaction.atomic():
        goal = GrowthGoal.objects.create(owner_id=owner_id, **vars(checked))
        goal_evaluate(goal_id=goal.pk)
    goal.refresh_from_db()
    return goal


def goal_is_increase(goal: GrowthGoal) -> bool:
    """A goal wants its metric up unless its target is below the baseline (ship time, bounce)."""
    return goal.baseline_value is None or goal.target_value >= goal.baseline_value


def forecast_bounded(forecast: Forecast, *, metric: str) -> Forecast:
    """A straight line leaves what the metric can be (a retention of -66%): the forecast and
    its interval are clipped to the metric's range — 0..1 for a ratio, ≥ 0 otherwise."""
    definition = METRICS.get(metric)
    upper = 1.0 if definition is not None and definition.unit is Unit.RATIO else float("inf")

    def clip(value: float) -> float:
        return min(max(value, 0.0), upper)

    return replace(
        forecast, value=clip(forecast.value), low=clip(forecast.low), high=clip(forecast.high)
    )


def goal_assess(goal: GrowthGoal, *, today: date) -> tuple[str, float | None, Forecast | None]:
    """(status, actual, forecast) of a goal from the daily values known `today` (yesterday's
    is the newest complete day). After the deadline the outcome is final: the forecast is the
    actual value itself and the goal is achieved or off track."""
    fit_start, last_day = selectors.goal_window(goal, today=today)
    min_points = int(settings.ANALYTICS_GOALS_MIN_POINTS)
    is_increase = goal_is_increase(goal)
    series = selectors.daily_values(metric=goal.metric, start=fit_start, end=last_day)
    if goal.aggregation == Aggregation.PERIOD_TOTAL:
        in_period = selectors.daily_values(metric=goal.metric, start=goal.start_date, end=last_day)
        actual: float | None = sum(value for _, value in in_period) if in_period else None
    else:
        # The level reached is the mean of the last days (one lucky day is not "achieved").
        recent_from = max(goal.start_date, last_day - timedelta(days=ACTUAL_DAYS - 1))
        recent = [value for day, value in series if day >= recent_from]
        actual = sum(recent) / len(recent) if recent else None
    if last_day >= goal.deadline:
        final = Forecast(
            value=actual or 0.0, low=actual or 0.0, high=actual or 0.0, points=0, slope=0.0
        )
        reached = goal_status(
            latest=actual, forecast=None, target=goal.target_value, is_increase=is_increase
        )
        return (reached if reached == Status.ACHIEVED else Status.OFF_TRACK), actual, final
    forecast = forecast_value(
        series=series,
        deadline=goal.deadline,
        min_points=min_points,
        period_start=goal.start_date if goal.aggregation == Aggregation.PERIOD_TOTAL else None,
        total_so_far=actual or 0.0,
    )
    if forecast is not None:
        forecast = forecast_bounded(forecast, metric=goal.metric)
    status = goal_status(
        latest=actual, forecast=forecast, target=goal.target_value, is_increase=is_increase
    )
    return status, actual, forecast


def goal_evaluate(*, goal_id: int, today: date | None = None) -> GoalEvaluation:
    """Re-assess one goal and store its status and forecast. When the status changes to at
    risk or off track, its owner and every analyst get one notification — under the goal's
    row lock and in the same transaction as the new status, so a transition is announced
    exactly once however often or concurrently the goal is evaluated."""
    today = today or timezone.localdate(clock.now())
    with transaction.atomic():
        goal = GrowthGoal.objects.select_for_update().filter(pk=goal_id).first()
        if goal is None:
            raise NotFound(_("Growth goal not found."), field="goal_id")
        status, actual, forecast = goal_assess(goal, today=today)
        previous = goal.status
        goal.status = status
        goal.forecast_value = forecast.value if forecast else None
        goal.forecast_low = forecast.low if forecast else None
        goal.forecast_high = forecast.high if forecast else None
        goal.evaluated_at = clock.now()
        goal.save(
            update_fields=[
                "status",
                "forecast_value",
                "forecast_low",
                "forecast_high",
                "evaluated_at",
            ]
        )
        notified: list[int] = []
        kind = _WARNING_KINDS.get(Status(status))
        if kind is not None and status != previous:
            notified = _warn(goal, kind)
    return GoalEvaluation(
        goal_id=goal.pk,
        previous_status=previous,
        status=status,
        actual=actual,
        forecast=forecast,
        notified_user_ids=notified,
    )


def _warn(goal: GrowthGoal, kind: NotificationKind) -> list[int]:
    recipients = list(
        dict.fromkeys(
            [
                *([goal.owner_id] if goal.owner_id else []),
                *account_selectors.user_ids_with_role(Role.ANALYST),
            ]
        )
    )
    # The news is about the goal, not from a person: the recipient stands as the actor, and
    # a later transition of the same goal bumps the same inbox entry back to unread.
    return [
        recipient_id
        for recipient_id in recipients
        if notification_record(
            recipient_id=recipient_id,
            kind=kind,
            target_type=TargetType.GOAL,
            target_id=goal.pk,
            actor_id=recipient_id,
            excerpt=goal.name,
            bump_on_repeat=True,
            about_self=True,
        )
    ]


def goals_evaluate_all(*, today: date | None = None) -> list[GoalEvaluation]:
    """Evaluate every goal still running (or ended within EVALUATE_AFTER_DEADLINE_DAYS)."""
    today = today or timezone.localdate(clock.now())
    goal_ids = list(
        GrowthGoal.objects.filter(
            deadline__gte=today - timedelta(days=EVALUATE_AFTER_DEADLINE_DAYS)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [goal_evaluate(goal_id=goal_id, today=today) for goal_id in goal_ids]
