"""What the analyses return and take: frozen dataclasses and the choices they accept."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Grain(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO weeks, Monday to Sunday
    MONTH = "month"


class CompareTo(StrEnum):
    PREVIOUS_PERIOD = "previous_period"
    PREVIOUS_YEAR = "previous_year"


class RetentionKind(StrEnum):
    FIRST_TIME = "first_time"  # cohort = the period of a person's first cohort event ever
    RECURRING = "recurring"  # cohort = everyone who did the cohort event in that period


class TrendMeasure(StrEnum):
    EVENTS = "events"  # how many events
    PEOPLE = "people"  # how many distinct people did it
    AMOUNT = "amount"  # sum of `amount`, minor units


@dataclass(frozen=True)
class Period:
    """A bucket of days, both ends included; it may be cut short by the range."""

    start: date
    end: date


# --- Trend ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    period: date  # first day of the bucket (inside the range)
    value: float
    previous_period: date  # first day of the bucket it is compared with
    previous_value: float


@dataclass(frozen=True)
class Trend:
    subject: str  # the event or metric
    grain: Grain
    compare_to: CompareTo
    points: list[TrendPoint]
    total: float
    previous_total: float
    change: float | None  # (total - previous) / previous; None when previous is 0


# --- Funnel --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStepSpec:
    """One step: an event name, optionally narrowed to one object (type and/or id)."""

    name: str
    object_type: str = ""
    object_id: str = ""


@dataclass(frozen=True)
class FunnelStep:
    name: str
    people: int
    conversion_from_previous: float  # 0..1; 1 for the first step with anyone in it
    conversion_from_first: float
    dropped: int  # people who reached the previous step but not this one
    median_seconds_from_previous: float | None


@dataclass(frozen=True)
class FunnelSegment:
    value: str
    steps: list[FunnelStep]


@dataclass(frozen=True)
class Funnel:
    window_seconds: int
    steps: list[FunnelStep]
    by: str = ""
    segments: list[FunnelSegment] = field(default_factory=list)


# --- Retention -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortRow:
    cohort: date  # first day of the cohort's period
    size: int
    retained: list[int]  # people active again in period offset 0, 1, 2… (up to the range end)
    rates: list[float]  # retained / size


@dataclass(frozen=True)
class RetentionMatrix:
    kind: RetentionKind
    grain: Grain
    cohort_events: list[str]
    activity_events: list[str]
    cohorts: list[CohortRow]


# --- Paths ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathSequence:
    events: list[str]  # the events after the anchor, in order (shorter if the session ended)
    count: int


@dataclass(frozen=True)
class PathLink:
    """A Sankey link: nodes are "<depth>. <event>", depth 0 being the anchor event."""

    source: str
    target: str
    count: int


@dataclass(frozen=True)
class Paths:
    after: str
    steps: int
    occurrences: int  # how many times the anchor event happened in a session
    sequences: list[PathSequence]
    links: list[PathLink]


# --- Lifecycle -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LifecyclePeriod:
    period: date
    new: int  # first activity ever in this period
    returned: int  # active again after being silent or churned
    active: int  # last activity less than the silent threshold ago at the period's end
    silent: int  # last activity between the silent and the churn thresholds ago
    churned: int  # last activity more than the churn threshold ago


@dataclass(frozen=True)
class Lifecycle:
    grain: Grain
    silent_after_days: int
    churned_after_days: int
    periods: list[LifecyclePeriod]
