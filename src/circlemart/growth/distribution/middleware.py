"""Binds a buyer who opened a distributor's link before signing in, on their first request
signed in (accounts knows nothing of growth: the link view left the link in the session).
Costs one dictionary lookup on a session already loaded by authentication."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from circlemart.core.web import viewer_id
from circlemart.growth.distribution import services

SESSION_KEY = "growth_distribution_link"


class PendingBindingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user_id = viewer_id(request)
        session = getattr(request, "session", None)
        if user_id is not None and session is not None and SESSION_KEY in session:
            link_id = session.pop(SESSION_KEY)
            if isinstance(link_id, int):
                services.binding_record(buyer_id=user_id, link_id=link_id)
        return self.get_response(request)
