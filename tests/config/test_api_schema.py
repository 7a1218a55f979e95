"""The OpenAPI schema tells the truth: every operation lists its problem answers, paging
parameters carry their bounds, request bodies are objects whose strings are bounded, and a real
refusal matches the Problem schema it is documented with."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from django.conf import settings
from django.test import Client

from circlemart.config.api import api
from circlemart.core.pagination import CURSOR_MAX_LENGTH
from circlemart.core.schemas import INPUT_STRING_MAX_LENGTH, InputSchema

SCHEMA = api.get_openapi_schema(path_prefix="/api/v1/")
COMPONENTS = SCHEMA["components"]["schemas"]
PROBLEM = "#/components/schemas/Problem"


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in SCHEMA["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def unbounded_strings(schema: dict[str, Any], where: str, seen: set[str]) -> Iterator[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            yield from unbounded_strings(COMPONENTS[name], name, seen)
        return
    bounded = "maxLength" in schema or "enum" in schema or schema.get("format") == "binary"
    if schema.get("type") == "string" and not bounded:
        yield where
    for name, child in schema.get("properties", {}).items():
        yield from unbounded_strings(child, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from unbounded_strings(schema[key], f"{where}[]", seen)
    for key in ("anyOf", "allOf", "oneOf"):
        for child in schema.get(key, []):
            yield from unbounded_strings(child, where, seen)


def test_every_operation_lists_its_problem_answers():
    for method, path, operation in operations():
        responses = operation["responses"]
        expected = {400, 401, 403, 404, 429}
        if method in {"post", "put", "patch", "delete"}:
            expected.add(409)
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            expected.add(415)
        documented = {status for status in responses if int(status) >= 400}
        assert documented == expected, (method, path)
        for status in expected:
            name = responses[status]["$ref"].removeprefix("#/components/responses/")
            content = SCHEMA["components"]["responses"][name]["content"]
            assert content == {"application/json": {"schema": {"$ref": PROBLEM}}}


def test_paging_parameters_carry_their_bounds():
    limits = cursors = 0
    for method, path, operation in operations():
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query" or parameter["name"] not in {"limit", "cursor"}:
                continue
            (value, _null) = parameter["schema"]["anyOf"]
            if parameter["name"] == "limit":
                limits += 1
                expected = {"type": "integer", "minimum": 1, "maximum": settings.API_PAGE_SIZE_MAX}
            else:
                cursors += 1
                expected = {"type": "string", "maxLength": CURSOR_MAX_LENGTH}
            assert value == expected, (method, path, parameter["name"])
    assert (limits, cursors) >= (18, 15)


def test_request_bodies_are_objects_and_their_strings_are_bounded():
    bodies = 0
    for method, path, operation in operations():
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        bodies += 1
        schema = content["application/json"]["schema"]
        assert "anyOf" not in schema, (method, path)  # no `null`: leave the body out instead
        assert resolve(schema)["type"] == "object", (method, path)
        assert list(unbounded_strings(schema, path, set())) == [], (method, path)
    assert bodies > 50


def json_body_types() -> Iterator[tuple[str, type[Any]]]:
    """(operation, schema class) of every JSON request body, `X | None` unwrapped."""
    for bound_router in api._get_bound_routers():
        for path, path_view in bound_router.path_operations.items():
            for operation in path_view.operations:
                for model in operation.models:
                    if model.__ninja_param_source__ != "body":
                        continue
                    for field in model.model_fields.values():
                        annotation = field.annotation
                        is_union = typing.get_origin(annotation) in {typing.Union, types.UnionType}
                        members = typing.get_args(annotation) if is_union else (annotation,)
                        for member in members:
                            if member is not type(None):
                                yield f"{operation.methods} {path}", member


def test_every_json_body_is_an_input_schema():
    bodies = list(json_body_types())
    not_input = {
        (where, body.__name__) for where, body in bodies if not issubclass(body, InputSchema)
    }

    assert len(bodies) > 50
    assert not_input == set()


def test_the_input_bound_is_documented_where_no_field_says_less():
    login = COMPONENTS["LoginIn"]["properties"]["email"]
    assert login == {"maxLength": INPUT_STRING_MAX_LENGTH, "title": "Email", "type": "string"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "headers", "status"),
    [
        ("get", "/api/v1/catalog/products?category=%00", None, None, {}, 400),
        ("post", "/api/v1/auth/login", "email=a", "text/plain", {}, 415),
        ("post", "/api/v1/auth/login", "[]", "application/json", {}, 400),
        ("post", "/api/v1/auth/login", "{}", "application/json", {}, 400),
        ("get", "/api/v1/me", None, None, {"Authorization": "Bearer cm_at_x"}, 401),
        ("get", "/api/v1/me", None, None, {}, 401),
        ("get", "/api/v1/orders/NOPE", None, None, {}, 401),
    ],
)
def test_real_refusals_match_the_documented_problem_schema(
    method, path, body, content_type, headers, status
):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if method == "get":
        response = client.get(path, headers=headers)
    else:
        response = client.post(path, data=body, content_type=content_type, headers=headers)

    assert response.status_code == status
    problem = {"$ref": "#/components/schemas/Problem", "components": SCHEMA["components"]}
    jsonschema_rs.validate(problem, response.json())
    with pytest.raises(jsonschema_rs.ValidationError):  # the schema does hold answers to account
        jsonschema_rs.validate(problem, {"error": {"code": "invalid"}})
