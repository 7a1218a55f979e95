"""The forecast of a growth goal: a least-squares linear trend on recent daily values,
extrapolated to the deadline, with a prediction interval from the residuals.

Method (also in docs/analytics.md, "Growth goals"):

* Fit ``y = a + b·x`` by ordinary least squares to the last points (x = days since the first
  fitted day; a day missing from the series is left out of the fit).
* The residual standard error is ``s = sqrt(SSE / (n - 2))``.
* A *level* goal (DAU, D1 retention, registered users to date) asks for the value on the
  deadline: ``ŷ = a + b·x_d``. A *period total* goal (yearly GMV, orders in the period) asks for
  the sum over the goal period: what is already in, plus the sum of the fitted values of the
  days still to come, ``Σ ŷ_h`` over the H remaining days.
* Both are a linear combination ``cᵀβ`` of the coefficients (``c = [1, x_d]`` for a level,
  ``c = [H, Σ x_h]`` for a total), so the prediction variance is exact for OLS:
  ``s² · (H + cᵀ(XᵀX)⁻¹c)`` — the noise of the H future days plus the uncertainty of the fit.
* The interval is ``forecast ± t · sqrt(variance)`` with t the two-sided Student quantile for
  ``INTERVAL_LEVEL`` (80 %) and n - 2 degrees of freedom.

A perfectly linear series has s = 0: the forecast is exact and the interval has zero width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

INTERVAL_LEVEL = 0.8
# The standard normal quantile of (1 + INTERVAL_LEVEL) / 2.
_Z = 1.2815515655446004


@dataclass(frozen=True)
class Forecast:
    value: float
    low: float
    high: float
    points: int  # how many daily values the trend was fitted on
    slope: float  # change per day of the fitted daily value


def student_quantile(degrees_of_freedom: int) -> float:
    """The two-sided Student t quantile for INTERVAL_LEVEL (Cornish–Fisher expansion around
    the normal quantile; within 0.5 % of the exact value from 3 degrees of freedom on)."""
    z = _Z
    nu = float(degrees_of_freedom)
    return (
        z
        + (z**3 + z) / (4 * nu)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * nu**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * nu**3)
    )


def forecast_value(
    *,
    series: list[tuple[date, float]],
    deadline: date,
    min_points: int,
    period_start: date | None = None,
    total_so_far: float = 0.0,
) -> Forecast | None:
    """Forecast the value at `deadline` from `series` (ascending days, already cut to the fit
    window). With `period_start`, forecast the total of the daily values from `period_start`
    to `deadline` instead: `total_so_far` (the period's days up to the series' last day) plus
    the fitted values of the days after it.
    None when there are fewer than `min_points` values (at least 3: a line and a residual)."""
    if len(series) < max(min_points, 3):
        return None
    first_day = series[0][0]
    last_day = series[-1][0]
    x = np.array([(day - first_day).days for day, _ in series], dtype=float)
    y = np.array([value for _, value in series], dtype=float)
    design = np.column_stack([np.ones_like(x), x])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ coefficients
    degrees = len(series) - 2
    sigma = math.sqrt(float(residuals @ residuals) / degrees)
    inverse = np.linalg.inv(design.T @ design)

    if period_start is None:
        combination = np.array([1.0, float((deadline - first_day).days)])
        noise_days = 1
        already_in = 0.0
    else:
        next_day = max(last_day + timedelta(days=1), period_start)
        future = np.arange((next_day - first_day).days, (deadline - first_day).days + 1)
        combination = np.array([float(len(future)), float(future.sum())])
        noise_days = len(future)
        already_in = total_so_far
    predicted = float(combination @ coefficients) + already_in
    variance = sigma**2 * (noise_days + float(combination @ inverse @ combination))
    half_width = student_quantile(degrees) * math.sqrt(max(variance, 0.0))
    return Forecast(
        value=predicted,
        low=predicted - half_width,
        high=predicted + half_width,
        points=len(series),
        slope=float(coefficients[1]),
    )


def path_value(*, day: date, start: date, deadline: date, baseline: float, target: float) -> float:
    """The straight path to target: the baseline on the start day, the target on the deadline."""
    span = (deadline - start).days
    progress = min(max((day - start).days / span, 0.0), 1.0)
    return baseline + (target - baseline) * progress


def goal_status(
    *,
    latest: float | None,
    forecast: Forecast | None,
    target: float,
    is_increase: bool,
) -> str:
    """achieved (the latest actual reached the target), on_track (the forecast reaches it),
    at_risk (only the favourable end of the interval reaches it), off_track (not even that),
    unknown (no forecast). For a goal that wants the metric down, "reaches" means "at or
    below"."""

    # Least squares leaves rounding dust (139.99999999 for an exact 140): it does not count.
    tolerance = 1e-9 * max(1.0, abs(target))

    def reaches(value: float) -> bool:
        return value >= target - tolerance if is_increase else value <= target + tolerance

    if latest is not None and reaches(latest):
        return "achieved"
    if forecast is None:
        return "unknown"
    if reaches(forecast.value):
        return "on_track"
    if reaches(forecast.high if is_increase else forecast.low):
        return "at_risk"
    return "off_track"
