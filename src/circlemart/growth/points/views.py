"""The points page (/growth/points/): balance, points on their way, points expiring soon and
the history, newest first (htmx loads more)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from circlemart.core.errors import ValidationFailed
from circlemart.core.web import signed_in_id
from circlemart.growth.points import selectors

PAGE_SIZE = 20


@login_required
def points_page(request: HttpRequest) -> HttpResponse:
    user_id = signed_in_id(request)
    try:
        page = selectors.points_history(
            user_id=user_id, cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE
        )
    except ValidationFailed:  # a cursor that was tampered with: start from the top
        page = selectors.points_history(user_id=user_id, cursor=None, limit=PAGE_SIZE)
    if getattr(request, "htmx", False) and request.GET.get("cursor"):
        return TemplateResponse(request, "growth/points/partials/entries.html", {"page": page})
    return TemplateResponse(
        request,
        "growth/points/points.html",
        {"summary": selectors.points_summary(user_id), "page": page},
    )
