"""The OpenAPI document tells the truth about refusals: every operation lists the problem
answers it can give (core.problems), request bodies are objects (never null), and integer
parameters carry the BIGINT range the server holds them to."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from circlemart.core.schemas import Problem, bound_integers

PROBLEM_REF = "#/components/schemas/Problem"
UNSAFE_METHODS = frozenset({"post", "put", "patch", "delete"})

# What each refusal means here (the codes are examples; the body names the field), kept once
# under components/responses and referred to by every operation that can answer it.
RESPONSES = {
    400: (
        "BadRequest",
        "Invalid input (`invalid`, `invalid_json`, `invalid_characters` or a domain code), "
        "naming the field.",
    ),
    401: (
        "Unauthorized",
        "Not signed in (`not_authenticated`), or the bearer token is invalid or expired "
        "(`invalid_token`): see `WWW-Authenticate`.",
    ),
    403: ("Forbidden", "Not allowed (`permission_denied`, `csrf_failed` for session callers, …)."),
    404: ("NotFound", "Not found, or not visible to the caller."),
    409: (
        "Conflict",
        "Conflicts with the current state, or an `Idempotency-Key` reused or in progress.",
    ),
    415: ("UnsupportedMediaType", "The body is not `application/json` (`unsupported_media_type`)."),
    429: ("TooManyRequests", "Too many requests (`rate_limited`): see `Retry-After`."),
}
EVERY_OPERATION = (400, 401, 403, 404, 429)


def problem_responses(method: str, operation: dict[str, Any]) -> list[int]:
    """The refusals an operation can answer with, by HTTP method and request body."""
    statuses = list(EVERY_OPERATION)
    if method in UNSAFE_METHODS:
        statuses.append(409)
    if "application/json" in operation.get("requestBody", {}).get("content", {}):
        statuses.append(415)
    return sorted(statuses)


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`X | None = None` bodies: leaving the body out is how to send nothing (null is refused)."""
    choices = schema.get("anyOf")
    if not choices:
        return schema
    kept = [choice for choice in choices if choice != {"type": "null"}]
    if len(kept) == 1:
        return {**{k: v for k, v in schema.items() if k != "anyOf"}, **kept[0]}
    return {**schema, "anyOf": kept}


def document_problems(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.setdefault("schemas", {}).update(problem.pop("$defs", {}))
    components["schemas"]["Problem"] = problem
    components["responses"] = {
        name: {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": PROBLEM_REF}}},
        }
        for name, description in RESPONSES.values()
    }
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                body["schema"] = _without_null(body["schema"])
            for parameter in operation.get("parameters", []):
                bound_integers(parameter.get("schema"))
            responses = operation.setdefault("responses", {})
            for status in problem_responses(method, operation):
                reference = f"#/components/responses/{RESPONSES[status][0]}"
                responses.setdefault(status, {"$ref": reference})


class DocumentedNinjaAPI(NinjaAPI):
    """A NinjaAPI whose OpenAPI document also lists every operation's problem answers."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_problems(schema)
        return schema
