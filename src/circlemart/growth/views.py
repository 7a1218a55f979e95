"""The rewards centre (/growth/): one page that leads to every growth mechanism."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from circlemart.growth.points import selectors as points_selectors


@login_required
def hub(request: HttpRequest) -> HttpResponse:
    user_id = request.user.pk
    assert user_id is not None  # login_required
    return TemplateResponse(
        request,
        "growth/hub.html",
        {"points": points_selectors.points_balance_view(user_id)},
    )
