"""Back office of the scheduled dashboard reports: who gets which dashboard, how often, in
which language. Registered in analytics/admin.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from circlemart.analytics.dashboards.pages import DASHBOARDS
from circlemart.analytics.models import ReportSubscription

MAX_RECIPIENTS = 50


class ReportSubscriptionForm(forms.ModelForm):  # type: ignore[type-arg]
    dashboard = forms.ChoiceField(
        label=_("dashboard"),
        choices=[(board.name, board.title) for board in DASHBOARDS.values()],
    )
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)

    class Meta:
        model = ReportSubscription
        fields = ("dashboard", "frequency", "recipients", "language", "is_active")

    def clean_recipients(self) -> str:
        lines = [
            line.strip() for line in self.cleaned_data["recipients"].splitlines() if line.strip()
        ]
        if not lines:
            raise ValidationError(_("Give at least one email address."), code="empty")
        if len(lines) > MAX_RECIPIENTS:
            raise ValidationError(
                _("At most %(count)s addresses.") % {"count": MAX_RECIPIENTS}, code="too_many"
            )
        for line in lines:
            try:
                validate_email(line)
            except ValidationError as invalid:
                raise ValidationError(
                    _("“%(address)s” is not an email address.") % {"address": line},
                    code="invalid",
                ) from invalid
        return "\n".join(lines)


class ReportSubscriptionAdmin(ModelAdmin):
    form = ReportSubscriptionForm
    list_display = ("dashboard", "frequency", "language", "is_active", "last_sent_on")
    list_filter = ("dashboard", "frequency", "is_active")
    readonly_fields = ("last_sent_on", "created_by", "created_at")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
