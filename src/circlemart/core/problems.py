"""Maps errors to HTTP problem answers: `{"error": {"code", "message", "field"}}` with a 4xx."""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, RawPostDataException
from django.urls import resolve
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.types import DictStrAny

from circlemart.core.errors import DomainError
from circlemart.core.input_characters import is_json_media_type
from circlemart.core.schemas import INTEGER_MAX, INTEGER_MIN


class UnsupportedMediaType(ValueError):
    """A JSON endpoint was sent a body of another media type."""


class BodyNotAnObject(ValueError):
    """A JSON endpoint was sent an array, a number, a string, true/false or null."""


class JsonObjectParser(Parser):
    """Request bodies of JSON endpoints: application/json (or application/*+json) holding one
    JSON object. Form and multipart endpoints never come here (ninja reads request.POST)."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        # ninja re-parses each form field of a multipart body through a bare HttpRequest
        # (content_type None): that is a JSON value, not a request body.
        if request.content_type is None:
            return json.loads(request.body)
        if not is_json_media_type(request.content_type):
            raise UnsupportedMediaType(request.content_type)
        document = json.loads(request.body)
        if not isinstance(document, dict):
            raise BodyNotAnObject(type(document).__name__)
        return document


def problem(api: NinjaAPI, request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    return api.create_response(request, {"error": body}, status=status)


def _field_name(location: list[Any] | tuple[Any, ...]) -> str:
    # ninja reports ("body", "payload", "email"); callers know the field as "email".
    parts = [str(part) for part in location if part not in {"body", "query", "path", "form"}]
    if len(parts) > 1 and parts[0] in {"payload", "data", "filters", "params"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def install(api: NinjaAPI) -> None:
    api.parser = JsonObjectParser()

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

    @api.exception_handler(RawPostDataException)
    def on_consumed_body(request: HttpRequest, exc: RawPostDataException) -> HttpResponse:
        # The body was read as a (large, streamed) form before this JSON endpoint wanted it.
        return problem(api, request, *_unreadable_body(UnsupportedMediaType()))

    @api.exception_handler(OverflowError)
    def on_number_out_of_range(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        # An integer path or query parameter beyond what the database binds (SQLite raises
        # OverflowError; bodies are bounded by core.schemas.InputSchema). Anything else that
        # overflows is a real failure and stays one.
        field = _oversized_integer_field(request)
        if field is None:
            raise exc
        message = _("A number is out of range.")
        return problem(api, request, 400, {"code": "invalid", "message": message, "field": field})

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            return problem(api, request, *_unreadable_body(exc.__cause__))
        return problem(api, request, exc.status_code, {"code": "error", "message": str(exc)})


_INTEGER = re.compile(r"^[+-]?\d+$")


def _oversized_integer_field(request: HttpRequest) -> str | None:
    candidates = [*resolve(request.path_info).kwargs.items(), *request.GET.items()]
    for name, value in candidates:
        is_integer = isinstance(value, str) and _INTEGER.match(value) is not None
        if is_integer and not INTEGER_MIN <= int(value) <= INTEGER_MAX:
            return str(name)
    return None


def _unreadable_body(cause: BaseException | None) -> tuple[int, dict[str, Any]]:
    """ninja wraps whatever the parser raised; the cause says which refusal it is."""
    if isinstance(cause, UnsupportedMediaType):
        message = _("Send the body as application/json.")
        return 415, {"code": "unsupported_media_type", "message": message, "field": "Content-Type"}
    if isinstance(cause, BodyNotAnObject):
        message = _("The request body must be a JSON object.")
        return 400, {"code": "invalid", "message": message, "field": "body"}
    message = _("The request body is not valid JSON.")
    return 400, {"code": "invalid_json", "message": message, "field": "body"}
