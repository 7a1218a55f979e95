"""Maps errors to HTTP problem answers: `{"error": {"code", "message", "field"}}` with a 4xx."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from circlemart.core.errors import DomainError


def problem(api: NinjaAPI, request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    return api.create_response(request, {"error": body}, status=status)


def _field_name(location: list[Any] | tuple[Any, ...]) -> str:
    # ninja reports ("body", "payload", "email"); callers know the field as "email".
    parts = [str(part) for part in location if part not in {"body", "query", "path", "form"}]
    if len(parts) > 1 and parts[0] in {"payload", "data", "filters", "params"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        response = problem(api, request, exc.status, exc.as_dict())
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response

    @api.exception_handler(NinjaValidationError)
    def on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        details = []
        for error in exc.errors:
            field = _field_name(error.get("loc", ()))
            message = error.get("msg", "")
            if error.get("type") == "missing":
                message = str(_("This field is required."))
            elif isinstance(message, str) and message.startswith("Value error, "):
                message = message.removeprefix("Value error, ")
            details.append({"field": field, "message": message})
        first = details[0] if details else {"field": "body", "message": str(_("Invalid input."))}
        body = {
            "code": "invalid",
            "message": first["message"],
            "field": first["field"],
            "errors": details,
        }
        return problem(api, request, 400, body)

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        body = {"code": "not_authenticated", "message": str(_("Authentication required."))}
        response = problem(api, request, 401, body)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(api, request, 404, {"code": "not_found", "message": str(_("Not found."))})

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            body = {
                "code": "invalid_json",
                "message": str(_("The request body is not valid JSON.")),
                "field": "body",
            }
            return problem(api, request, 400, body)
        return problem(api, request, exc.status_code, {"code": "error", "message": str(exc)})
