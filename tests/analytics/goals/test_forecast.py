"""The forecast maths of growth goals on synthetic series with exact expectations."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from circlemart.analytics.goals.forecast import (
    Forecast,
    forecast_value,
    goal_status,
    path_value,
    student_quantile,
)

DAY0 = date(2026, 1, 1)


def series_of(values: list[float], *, first: date = DAY0) -> list[tuple[date, float]]:
    return [(first + timedelta(days=offset), value) for offset, value in enumerate(values)]


def test_a_perfectly_linear_series_is_forecast_exactly_with_a_zero_width_interval() -> None:
    series = series_of([100 + 2 * x for x in range(28)])

    forecast = forecast_value(series=series, deadline=DAY0 + timedelta(days=57), min_points=7)

    assert forecast is not None
    assert forecast.value == pytest.approx(100 + 2 * 57, abs=1e-9)
    assert forecast.high - forecast.low == pytest.approx(0.0, abs=1e-6)
    assert forecast.slope == pytest.approx(2.0)
    assert forecast.points == 28


def test_a_period_total_adds_what_is_in_to_the_trend_of_the_days_to_come() -> None:
    # Daily values 10, 11, … 19 on days 0–9; the period is days 0–19: the remaining days
    # continue the line (20 … 29), so the total is the sum of 10 … 29.
    values = [10.0 + x for x in range(10)]
    forecast = forecast_value(
        series=series_of(values),
        deadline=DAY0 + timedelta(days=19),
        min_points=7,
        period_start=DAY0,
        total_so_far=sum(values),
    )

    assert forecast is not None
    assert forecast.value == pytest.approx(sum(range(10, 30)))
    assert forecast.high - forecast.low == pytest.approx(0.0, abs=1e-6)


def test_a_period_not_started_yet_counts_only_its_own_days() -> None:
    # A flat 50 a day; the period is days 20–29 (10 days), nothing of it is in yet.
    forecast = forecast_value(
        series=series_of([50.0] * 10),
        deadline=DAY0 + timedelta(days=29),
        min_points=7,
        period_start=DAY0 + timedelta(days=20),
    )

    assert forecast is not None
    assert forecast.value == pytest.approx(500.0)


def test_the_interval_is_the_textbook_ols_prediction_interval() -> None:
    # Computed independently: ŷ ± t(0.9, n-2) · s · sqrt(1 + 1/n + (x0 - x̄)² / Sxx).
    noise = [3.0, -1.0, -4.0, 2.0, 5.0, -3.0, 0.0, 1.0, -2.0, -1.0]
    values = [20.0 + 1.5 * x + e for x, e in enumerate(noise)]
    x0 = 24
    forecast = forecast_value(
        series=series_of(values), deadline=DAY0 + timedelta(days=x0), min_points=7
    )

    n = len(values)
    xs = list(range(n))
    x_mean = sum(xs) / n
    y_mean = sum(values) / n
    sxx = sum((x - x_mean) ** 2 for x in xs)
    slope = sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, values, strict=True)) / sxx
    intercept = y_mean - slope * x_mean
    sse = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, values, strict=True))
    s = math.sqrt(sse / (n - 2))
    expected = intercept + slope * x0
    half = 1.3968152 * s * math.sqrt(1 + 1 / n + (x0 - x_mean) ** 2 / sxx)  # t(0.9, 8)

    assert forecast is not None
    assert forecast.value == pytest.approx(expected)
    assert forecast.low == pytest.approx(expected - half, rel=1e-4)
    assert forecast.high == pytest.approx(expected + half, rel=1e-4)


@pytest.mark.parametrize(
    ("degrees", "exact"),
    [(3, 1.637744), (8, 1.396815), (26, 1.314972), (1000, 1.282399)],
)
def test_the_student_quantile_matches_the_tables(degrees: int, exact: float) -> None:
    assert student_quantile(degrees) == pytest.approx(exact, rel=1e-3)


def test_too_few_points_give_no_forecast() -> None:
    assert (
        forecast_value(series=series_of([1.0] * 6), deadline=DAY0 + timedelta(30), min_points=7)
        is None
    )
    assert (
        forecast_value(series=series_of([1.0, 2.0]), deadline=DAY0 + timedelta(30), min_points=1)
        is None
    )


def _status_for(values: list[float], target: float) -> str:
    series = series_of(values)
    forecast = forecast_value(series=series, deadline=DAY0 + timedelta(days=40), min_points=7)
    # As the service does for a level goal: the actual value is the mean of the last 7 days.
    latest = sum(value for _, value in series[-7:]) / 7
    return goal_status(latest=latest, forecast=forecast, target=target, is_increase=True)


def test_a_flat_series_against_a_high_target_is_off_track() -> None:
    assert _status_for([100.0] * 28, 130.0) == "off_track"


def test_a_noisy_series_is_at_risk_when_the_band_straddles_the_target() -> None:
    # Flat around 100 (±5, symmetric: no slope): forecast 100, band about ±7.5.
    noisy = [100.0 + (5.0 if x % 2 else -5.0) for x in range(28)]
    forecast = forecast_value(series=series_of(noisy), deadline=DAY0 + timedelta(40), min_points=7)
    assert forecast is not None
    assert forecast.value < 103.0 < forecast.high

    assert _status_for(noisy, 103.0) == "at_risk"
    assert _status_for(noisy, forecast.high + 0.5) == "off_track"


def test_a_growing_series_is_on_track_and_a_reached_target_is_achieved() -> None:
    growing = [100.0 + x for x in range(28)]  # reaches 100 + 40 at day 40
    assert _status_for(growing, 140.0) == "on_track"
    assert _status_for(growing, 124.0) == "achieved"  # the mean of 121 … 127


def test_a_goal_that_wants_the_metric_down_reads_the_band_the_other_way() -> None:
    falling = Forecast(value=10.0, low=7.0, high=13.0, points=28, slope=-0.1)

    def status(target: float) -> str:
        return goal_status(latest=12.0, forecast=falling, target=target, is_increase=False)

    assert status(11.0) == "on_track"
    assert status(8.0) == "at_risk"
    assert status(6.0) == "off_track"
    assert status(12.5) == "achieved"
    assert goal_status(latest=None, forecast=None, target=1.0, is_increase=True) == "unknown"


def test_the_path_runs_straight_from_the_baseline_to_the_target() -> None:
    start, deadline = DAY0, DAY0 + timedelta(days=90)

    def at(offset: int) -> float:
        return path_value(
            day=DAY0 + timedelta(days=offset),
            start=start,
            deadline=deadline,
            baseline=100.0,
            target=130.0,
        )

    assert (at(-5), at(0), at(45), at(90), at(120)) == (100.0, 100.0, 115.0, 130.0, 130.0)


def test_a_forecast_stays_inside_what_the_metric_can_be() -> None:
    from circlemart.analytics.goals.services import forecast_bounded

    falling = Forecast(value=-0.66, low=-1.2, high=0.1, points=30, slope=-0.02)
    rising = Forecast(value=1.4, low=0.9, high=2.0, points=30, slope=0.02)

    assert forecast_bounded(falling, metric="retention_d1") == Forecast(
        value=0.0, low=0.0, high=0.1, points=30, slope=-0.02
    )
    assert forecast_bounded(rising, metric="retention_d1") == Forecast(
        value=1.0, low=0.9, high=1.0, points=30, slope=0.02
    )
    assert forecast_bounded(rising, metric="dau").value == 1.4
