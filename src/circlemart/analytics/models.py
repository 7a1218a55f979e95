"""Tables of analytics: the append-only event log, tracked sessions, the daily metrics table,
channel spend, growth goals, report subscriptions and export/import cursors.

The event log keeps no foreign keys: it is written at high rate, outlives the rows it mentions
(a deleted user's events stay, anonymised) and is partitioned by month on PostgreSQL.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """One thing that happened: a client event (page_view, product_view…) or a server event
    (order_paid, user_registered…). Append-only; duplicates are refused by (event_id,
    occurred_at), which on PostgreSQL is also what a partitioned table can make unique."""

    class Origin(models.TextChoices):
        CLIENT = "client", _("client")
        SERVER = "server", _("server")

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(default=uuid.uuid4)
    name = models.CharField(_("event"), max_length=48)
    origin = models.CharField(max_length=8, choices=Origin.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"))
    user_id = models.BigIntegerField(null=True, blank=True)
    anonymous_id = models.CharField(max_length=64, blank=True, default="")
    session_id = models.CharField(max_length=64, blank=True, default="")
    # What the event is about: ("product", "42"), ("order", "CM2026…"), ("note", "7")…
    object_type = models.CharField(max_length=24, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    amount = models.BigIntegerField(null=True, blank=True)  # minor units
    currency = models.CharField(max_length=3, blank=True, default="")
    properties = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.UniqueConstraint(fields=["event_id", "occurred_at"], name="event_once"),
        ]
        indexes = [
            models.Index(fields=["name", "occurred_at"], name="event_name_time"),
            models.Index(fields=["user_id", "occurred_at"], name="event_user_time"),
            models.Index(fields=["anonymous_id", "occurred_at"], name="event_anon_time"),
            models.Index(fields=["occurred_at"], name="event_time"),
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class TrackedSession(models.Model):
    """A visit: events of one browser with no gap longer than ANALYTICS_SESSION_IDLE_MINUTES.
    Its traffic source is decided by its first request and never changes."""

    class Source(models.TextChoices):
        DIRECT = "direct", _("direct")
        SEARCH = "search", _("search engine")
        SOCIAL = "social", _("social")
        REFERRAL = "referral", _("referral")
        SHARE = "share", _("share link")
        CAMPAIGN = "campaign", _("campaign")
        AD = "ad", _("advertising")

    session_id = models.CharField(max_length=64, unique=True)
    anonymous_id = models.CharField(max_length=64, db_index=True)
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    started_at = models.DateTimeField(db_index=True)
    last_seen_at = models.DateTimeField()
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    referrer_host = models.CharField(max_length=255, blank=True, default="")
    utm_source = models.CharField(max_length=100, blank=True, default="")
    utm_medium = models.CharField(max_length=100, blank=True, default="")
    utm_campaign = models.CharField(max_length=100, blank=True, default="")
    sharer_id = models.BigIntegerField(null=True, blank=True)
    landing_path = models.CharField(max_length=500, blank=True, default="")
    page_views = models.PositiveIntegerField(default=0)
    event_count = models.PositiveIntegerField(default=0)
    is_bot = models.BooleanField(default=False)
    user_agent = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("tracked session")
        verbose_name_plural = _("tracked sessions")

    def __str__(self) -> str:
        return f"{self.session_id} ({self.source})"


class DailyMetric(models.Model):
    """One metric on one day, overall (dimension "") or for one value of a dimension
    (channel=share, category=12, segment=new). Dashboards read this table, not the log."""

    day = models.DateField()
    metric = models.CharField(max_length=48)
    dimension = models.CharField(max_length=24, blank=True, default="")
    dimension_value = models.CharField(max_length=64, blank=True, default="")
    value = models.FloatField()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("daily metric")
        verbose_name_plural = _("daily metrics")
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "dimension", "dimension_value", "day"], name="daily_metric_once"
            ),
        ]
        indexes = [models.Index(fields=["day"], name="daily_metric_day")]

    def __str__(self) -> str:
        return f"{self.metric}[{self.dimension}={self.dimension_value}] {self.day}: {self.value}"


class ChannelSpend(models.Model):
    """Money spent on a channel (ads, promotions) on a day: the cost side of CAC and ROI."""

    day = models.DateField(_("day"))
    channel = models.CharField(_("channel"), max_length=12, choices=TrackedSession.Source.choices)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True, default="")
    amount = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("channel spend")
        verbose_name_plural = _("channel spend")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="channel_spend_not_negative"),
            models.UniqueConstraint(
                fields=["day", "channel", "campaign"], name="channel_spend_once_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.campaign} {self.day}"


class GrowthGoal(models.Model):
    """A SMART goal: a metric, its baseline over a window, a target and a deadline."""

    class Status(models.TextChoices):
        ON_TRACK = "on_track", _("on track")
        AT_RISK = "at_risk", _("at risk")
        OFF_TRACK = "off_track", _("off track")
        ACHIEVED = "achieved", _("achieved")
        UNKNOWN = "unknown", _("not enough data")

    class TargetKind(models.TextChoices):
        ABSOLUTE = "absolute", _("absolute value")
        RELATIVE_PERCENT = "relative_percent", _("change from the baseline (%)")

    class Aggregation(models.TextChoices):
        # The metric's value on a day (DAU, D1 retention, registered users to date).
        LEVEL = "level", _("value on the deadline")
        # The sum of the daily values over the goal period (yearly GMV, orders this quarter).
        PERIOD_TOTAL = "period_total", _("total over the goal period")

    name = models.CharField(_("name"), max_length=120)
    metric = models.CharField(_("metric"), max_length=48)
    baseline_start = models.DateField(_("baseline from"))
    baseline_end = models.DateField(_("baseline to"))
    baseline_value = models.FloatField(_("baseline value"), null=True, blank=True)
    target_value = models.FloatField(_("target value"))
    # "+30%" is kept as entered (30.0) and resolved against the baseline into target_value.
    target_kind = models.CharField(
        _("target kind"), max_length=16, choices=TargetKind.choices, default=TargetKind.ABSOLUTE
    )
    target_percent = models.FloatField(_("target change (%)"), null=True, blank=True)
    aggregation = models.CharField(
        _("measured as"), max_length=12, choices=Aggregation.choices, default=Aggregation.LEVEL
    )
    start_date = models.DateField(_("start"))
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.UNKNOWN
    )
    forecast_value = models.FloatField(null=True, blank=True)
    forecast_low = models.FloatField(null=True, blank=True)
    forecast_high = models.FloatField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("growth goal")
        verbose_name_plural = _("growth goals")
        constraints = [
            models.CheckConstraint(
                condition=Q(baseline_end__gte=models.F("baseline_start")),
                name="goal_baseline_forwards",
            ),
            models.CheckConstraint(
                condition=Q(deadline__gt=models.F("start_date")), name="goal_deadline_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ReportSubscription(models.Model):
    """A dashboard mailed on a schedule (daily or weekly) to a list of addresses."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("daily")
        WEEKLY = "weekly", _("weekly")

    dashboard = models.CharField(_("dashboard"), max_length=24)
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices)
    recipients = models.TextField(_("recipients"), help_text=_("One email address per line."))
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    is_active = models.BooleanField(_("active"), default=True)
    last_sent_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")

    def __str__(self) -> str:
        return f"{self.dashboard} ({self.frequency})"


class JobCursor(models.Model):
    """Where a resumable job stopped: the Parquet export's last event id, an import's last
    line. One row per job name."""

    job = models.CharField(max_length=120, unique=True)
    position = models.BigIntegerField(default=0)
    state = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.job} @ {self.position}"


# --- Tracking consent (analytics.tracking) --------------------------------------------------


class TrackingConsent(models.Model):
    """One subject's answer to the tracking banner: a signed-in user (by id) or a visitor (by
    anonymous id), never both. No row means nobody decided yet."""

    user_id = models.BigIntegerField(null=True, blank=True)
    anonymous_id = models.CharField(max_length=64, blank=True, default="")
    allowed = models.BooleanField(_("tracking allowed"))
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        verbose_name = _("tracking consent")
        verbose_name_plural = _("tracking consents")
        constraints = [
            models.UniqueConstraint(
                fields=["user_id"], condition=Q(user_id__isnull=False), name="consent_once_per_user"
            ),
            models.UniqueConstraint(
                fields=["anonymous_id"],
                condition=Q(user_id__isnull=True),
                name="consent_once_per_visitor",
            ),
            models.CheckConstraint(
                condition=Q(user_id__isnull=False, anonymous_id="")
                | Q(user_id__isnull=True) & ~Q(anonymous_id=""),
                name="consent_one_subject",
            ),
        ]

    def __str__(self) -> str:
        subject = f"user {self.user_id}" if self.user_id else self.anonymous_id
        return f"{subject}: {'allowed' if self.allowed else 'declined'}"
