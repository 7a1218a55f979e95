"""Back office of growth goals: the list with status badges, a form that takes "+30%" or an
absolute target, and each goal's page with its chart (actual, path, forecast band).

Registered from analytics/admin.py. Goals are written only through goals.services: the form
checks with goal_check (errors land on their field) and saving calls goal_create.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display

from circlemart.analytics.goals import selectors, services
from circlemart.analytics.goals.forecast import INTERVAL_LEVEL
from circlemart.analytics.goals.report import goal_figure, goal_report
from circlemart.analytics.metrics.catalogue import METRICS
from circlemart.analytics.models import GrowthGoal
from circlemart.core import clock
from circlemart.core.errors import ValidationFailed

# Status → unfold label colour, and the CSS class of the badge on the goal page.
STATUS_COLOURS = {
    GrowthGoal.Status.ACHIEVED: "success",
    GrowthGoal.Status.ON_TRACK: "info",
    GrowthGoal.Status.AT_RISK: "warning",
    GrowthGoal.Status.OFF_TRACK: "danger",
    GrowthGoal.Status.UNKNOWN: "",
}
FORM_FIELDS = (
    "name",
    "metric",
    "aggregation",
    "baseline_start",
    "baseline_end",
    "target",
    "start_date",
    "deadline",
)


def metric_choices() -> list[tuple[str, str]]:
    return sorted(
        ((key, f"{definition.label} ({key})") for key, definition in METRICS.items()),
        key=lambda choice: choice[1],
    )


class GrowthGoalForm(forms.ModelForm):  # type: ignore[type-arg]
    """Adding a goal. Every rule is the service's (goal_check); its error names the field."""

    metric = forms.ChoiceField(label=_("metric"), choices=metric_choices)
    target = forms.CharField(
        label=_("target"),
        max_length=32,
        help_text=_(
            "A change from the baseline such as +30% or -10%, or a value: 1200, 40% for a "
            "ratio, yuan for money."
        ),
    )

    class Meta:
        model = GrowthGoal
        fields = (
            "name",
            "metric",
            "aggregation",
            "baseline_start",
            "baseline_end",
            "start_date",
            "deadline",
        )
        help_texts = {
            "aggregation": _(
                "Value on the deadline: DAU, retention, registered users to date. Total over "
                "the goal period: GMV of the year, orders of the quarter."
            ),
            "baseline_start": _("The window the baseline is measured over (in the past)."),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            self.checked = services.goal_check(
                name=cleaned["name"],
                metric=cleaned["metric"],
                aggregation=cleaned["aggregation"],
                baseline_start=cleaned["baseline_start"],
                baseline_end=cleaned["baseline_end"],
                target=cleaned["target"],
                start_date=cleaned["start_date"],
                deadline=cleaned["deadline"],
            )
        except ValidationFailed as refused:
            field = refused.field if refused.field in self.fields else None
            self.add_error(field, str(refused.message))
        return cleaned


def refuse_non_staff(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A signed-in shopper gets a 403, not the staff login page the admin would show."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class GrowthGoalAdmin(ModelAdmin):
    form = GrowthGoalForm
    list_display = (
        "name",
        "metric",
        "status_badge",
        "target_shown",
        "forecast_shown",
        "deadline",
        "owner",
        "chart_link",
    )
    list_filter = ("status", "metric")
    search_fields = ("name", "metric")
    ordering = ("deadline", "pk")
    list_select_related = ("owner",)
    readonly_fields = (
        "name",
        "metric",
        "aggregation",
        "baseline_start",
        "baseline_end",
        "baseline_value",
        "target_kind",
        "target_percent",
        "target_value",
        "start_date",
        "deadline",
        "status",
        "forecast_value",
        "forecast_low",
        "forecast_high",
        "evaluated_at",
        "owner",
    )

    def get_fields(self, request: HttpRequest, obj: GrowthGoal | None = None) -> Any:
        return FORM_FIELDS if obj is None else self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj: GrowthGoal | None = None) -> Any:
        return () if obj is None else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a goal is redefined by adding a new one; its numbers are the job's

    def save_model(self, request: HttpRequest, obj: GrowthGoal, form: Any, change: bool) -> None:
        checked = form.checked
        goal = services.goal_create(
            name=checked.name,
            metric=checked.metric,
            aggregation=checked.aggregation,
            baseline_start=checked.baseline_start,
            baseline_end=checked.baseline_end,
            target=form.cleaned_data["target"],
            start_date=checked.start_date,
            deadline=checked.deadline,
            owner_id=request.user.pk,
        )
        obj.pk = goal.pk
        obj.refresh_from_db()

    def response_add(self, request: HttpRequest, obj: GrowthGoal, *args: Any) -> HttpResponse:
        response = super().response_add(request, obj, *args)
        if "_addanother" not in request.POST and "_continue" not in request.POST:
            response["Location"] = reverse("admin:analytics_growthgoal_chart", args=[obj.pk])
        return response

    @display(description=_("status"), label=STATUS_COLOURS, ordering="status")
    def status_badge(self, obj: GrowthGoal) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description=_("target"))
    def target_shown(self, obj: GrowthGoal) -> str:
        value = _number(obj.target_value / services.unit_scale(obj.metric))
        if obj.target_percent is not None:
            return f"{value} ({obj.target_percent:+g}%)"
        return value

    @display(description=_("forecast"))
    def forecast_shown(self, obj: GrowthGoal) -> str:
        if obj.forecast_value is None:
            return "—"
        return _number(obj.forecast_value / services.unit_scale(obj.metric))

    @display(description=_("chart"))
    def chart_link(self, obj: GrowthGoal) -> str:
        url = reverse("admin:analytics_growthgoal_chart", args=[obj.pk])
        return format_html('<a href="{}" data-testid="goal-chart-link">{}</a>', url, _("Open"))

    def get_urls(self) -> list[URLPattern]:
        chart = path(
            "<int:goal_id>/chart/",
            refuse_non_staff(self.admin_site.admin_view(self.chart_view)),
            name="analytics_growthgoal_chart",
        )
        return [chart, *super().get_urls()]

    def chart_view(self, request: HttpRequest, goal_id: int) -> HttpResponse:
        goal = selectors.goal_by_id(goal_id)
        if not self.has_view_permission(request, goal):
            raise PermissionDenied
        if goal is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, str(goal_id))
        scale = services.unit_scale(goal.metric)
        today = timezone.localdate(clock.now())
        report = goal_report(goal, today=today, scale=scale)
        _status, actual, _forecast = services.goal_assess(goal, today=today)
        definition = METRICS.get(goal.metric)
        context = {
            **self.admin_site.each_context(request),
            "title": goal.name,
            "opts": self.model._meta,
            "goal": goal,
            "metric_label": definition.label if definition else goal.metric,
            "metric_definition": definition.definition if definition else "",
            "status_class": STATUS_COLOURS.get(GrowthGoal.Status(goal.status), ""),
            "baseline": _maybe_number(goal.baseline_value, scale),
            "target": _number(goal.target_value / scale),
            "forecast": _maybe_number(goal.forecast_value, scale),
            "forecast_low": _maybe_number(goal.forecast_low, scale),
            "forecast_high": _maybe_number(goal.forecast_high, scale),
            "actual": _maybe_number(actual, scale),
            "actual_days": services.ACTUAL_DAYS,
            "interval_percent": round(INTERVAL_LEVEL * 100),
            "figure": goal_figure(report),
        }
        return TemplateResponse(request, "analytics/goals/goal.html", context)


def _number(value: float) -> str:
    """1 234 567, 1 234.5, 0.4123 — enough digits for the size of the value."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"


def _maybe_number(value: float | None, scale: float) -> str:
    return "—" if value is None else _number(value / scale)
