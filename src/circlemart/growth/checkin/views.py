"""The check-in page (/growth/check-in/): this month's calendar, today's button and make-up
cards. Buttons post with htmx and swap the panel in place; without JavaScript they post the
form and come back to the page with a message."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from circlemart.core.errors import DomainError, ValidationFailed
from circlemart.core.web import signed_in_id
from circlemart.growth.checkin import selectors, services
from circlemart.growth.checkin.contracts import CheckinResult
from circlemart.growth.points import selectors as points_selectors


def _context(user_id: int, **extra: Any) -> dict[str, Any]:
    found = selectors.checkin_calendar(user_id=user_id)
    return {
        "calendar": found,
        "blanks": range(found.leading_blanks),
        "points": points_selectors.points_balance(user_id),
        **extra,
    }


@login_required
def checkin_page(request: HttpRequest) -> HttpResponse:
    return render(request, "growth/checkin/calendar.html", _context(signed_in_id(request)))


def _done(
    request: HttpRequest, result: CheckinResult | None, error: str, status: int
) -> HttpResponse:
    user_id = signed_in_id(request)
    if not getattr(request, "htmx", False):
        if error:
            messages.error(request, error)
        elif result is not None:
            messages.success(request, _result_text(result))
        return redirect("growth:checkin")
    context = _context(user_id, error=error, result=result)
    return render(request, "growth/checkin/partials/panel.html", context, status=status)


def _result_text(result: CheckinResult) -> str:
    values = {"day": result.day.isoformat(), "streak": result.streak}
    if result.is_make_up:
        return (
            ngettext(
                "Day %(day)s filled. Streak: %(streak)d day.",
                "Day %(day)s filled. Streak: %(streak)d days.",
                result.streak,
            )
            % values
        )
    return (
        ngettext(
            "Checked in! Streak: %(streak)d day.",
            "Checked in! Streak: %(streak)d days.",
            result.streak,
        )
        % values
    )


@require_POST
@login_required
def checkin_today(request: HttpRequest) -> HttpResponse:
    try:
        result = services.checkin_today(user_id=signed_in_id(request))
    except DomainError as refusal:
        return _done(request, None, str(refusal.message), refusal.status)
    return _done(request, result, "", 200)


@require_POST
@login_required
def checkin_make_up(request: HttpRequest) -> HttpResponse:
    try:
        try:
            day = date.fromisoformat(request.POST.get("date", ""))
        except ValueError as bad:
            raise ValidationFailed(
                _("Choose a day of the calendar."), code="invalid_date", field="date"
            ) from bad
        result = services.checkin_make_up(user_id=signed_in_id(request), day=day)
    except DomainError as refusal:
        return _done(request, None, str(refusal.message), refusal.status)
    return _done(request, result, "", 200)
