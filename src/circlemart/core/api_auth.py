"""API authentication: whoever the request already is (bearer token or session).

The accounts middleware resolves a bearer token into `request.user` once per request; this
class only decides whether that identity may call an endpoint. Session callers must pass the
CSRF check on writes; token callers need none (browsers never attach the header by themselves).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from circlemart.core.errors import PermissionDenied

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignedIn(HttpBearer):
    """Documented in OpenAPI as bearer auth; also accepts the browser session."""

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        token_caller = getattr(request, "token_authenticated", False)
        if not token_caller and request.method not in SAFE_METHODS and check_csrf(request):
            raise PermissionDenied(
                _("CSRF check failed. Reload the page and try again."), code="csrf_failed"
            )
        return user

    def authenticate(self, request: HttpRequest, token: str) -> Any:  # pragma: no cover
        raise NotImplementedError("SignedIn reads request.user; see BearerTokenMiddleware")
