"""The controls above every dashboard: date range (with presets), drill-down dimension, and
the funnel and retention choices. Bad input becomes a form error the page shows (400)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circlemart.analytics.catalogue import CATALOGUE
from circlemart.analytics.dashboards.pages import DIMENSIONS
from circlemart.analytics.dashboards.selectors import Period

PRESETS = (7, 30, 90)
DEFAULT_DAYS = 30
FUNNEL_DEFAULT_STEPS = ("page_view", "product_view", "add_to_cart", "order_paid")
MAX_FUNNEL_STEPS = 6
WINDOW_CHOICES = (
    (3600, _("1 hour")),
    (86400, _("1 day")),
    (7 * 86400, _("7 days")),
    (30 * 86400, _("30 days")),
)


def today() -> date:
    return timezone.localdate()


class DateInput(forms.DateInput):
    input_type = "date"


class RangeForm(forms.Form):
    preset = forms.TypedChoiceField(
        label=_("Last"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(days, _("%(days)s days") % {"days": days}) for days in PRESETS],
    )
    start = forms.DateField(label=_("From"), required=False, widget=DateInput)
    end = forms.DateField(label=_("To"), required=False, widget=DateInput)
    dimension = forms.ChoiceField(label=_("Drill down by"), required=False)

    def __init__(self, *args: Any, dimensions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["dimension"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("none"))] + [(name, DIMENSIONS[name]) for name in dimensions]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        preset = cleaned.get("preset")
        start, end = cleaned.get("start"), cleaned.get("end")
        if preset:
            end = today()
            start = end - timedelta(days=preset - 1)
        elif start is None and end is None:
            end = today()
            start = end - timedelta(days=DEFAULT_DAYS - 1)
        elif start is None or end is None:
            if "start" not in self.errors and "end" not in self.errors:
                raise forms.ValidationError(_("Give both a start and an end date."), code="partial")
            return cleaned
        if end < start:
            raise forms.ValidationError(
                _("The end date %(end)s is before the start date %(start)s.")
                % {"end": end.isoformat(), "start": start.isoformat()},
                code="backwards",
            )
        days = (end - start).days + 1
        limit = settings.ANALYTICS_DASHBOARD_MAX_DAYS
        if days > limit:
            raise forms.ValidationError(
                _("A date range may cover at most %(limit)s days; this one covers %(days)s.")
                % {"limit": limit, "days": days},
                code="too_long",
            )
        cleaned["start"], cleaned["end"] = start, end
        cleaned["period"] = Period(start, end)
        # Show the dates a preset (or the default) stands for in the date fields.
        shown = dict(self.data.items())
        shown["start"], shown["end"] = start.isoformat(), end.isoformat()
        self.data = shown
        return cleaned

    @property
    def period(self) -> Period:
        period: Period = self.cleaned_data["period"]
        return period

    @property
    def drill_down(self) -> str:
        return str(self.cleaned_data.get("dimension") or "")


def _event_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(CATALOGUE)]


class FunnelForm(RangeForm):
    steps = forms.CharField(
        label=_("Steps"),
        required=False,
        help_text=_("Event names in order, separated by commas (2 to 6 steps)."),
    )
    window = forms.TypedChoiceField(
        label=_("Conversion window"), coerce=int, choices=WINDOW_CHOICES, initial=86400
    )

    def clean_steps(self) -> list[str]:
        raw = str(self.cleaned_data.get("steps") or "").strip()
        names = (
            [name.strip() for name in raw.split(",") if name.strip()]
            if raw
            else list(FUNNEL_DEFAULT_STEPS)
        )
        known = {name for name, _label in _event_choices()}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise forms.ValidationError(
                _("Unknown events: %(names)s.") % {"names": ", ".join(unknown)}, code="unknown"
            )
        if not 2 <= len(names) <= MAX_FUNNEL_STEPS:
            raise forms.ValidationError(
                _("A funnel has 2 to %(most)s steps.") % {"most": MAX_FUNNEL_STEPS},
                code="step_count",
            )
        return names


class RetentionForm(RangeForm):
    grain = forms.ChoiceField(
        label=_("Cohorts by"),
        choices=(("day", _("day")), ("week", _("week")), ("month", _("month"))),
        initial="week",
    )
    kind = forms.ChoiceField(
        label=_("Retention"),
        choices=(("first_time", _("first time")), ("recurring", _("recurring"))),
        initial="first_time",
    )
