"""Resolves `Authorization: Bearer <access token>` on API requests into `request.user`
(remembered for a few seconds with Redis: see accounts.token_cache)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from circlemart.accounts.selectors import request_user_by_access_token


class BearerTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        if request.path.startswith("/api/") and header[:7].lower() == "bearer ":
            user = request_user_by_access_token(header[7:].strip())
            if user is not None:
                request.user = user
                request.token_authenticated = True  # type: ignore[attr-defined]
        return self.get_response(request)
