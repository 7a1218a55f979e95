"""Shapes the whole API shares: the base of every request body (InputSchema), and the problem
answer of every refusal (core.problems) as the OpenAPI document describes it (core.openapi).
Answers derived from contracts live in core.contract_schemas."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ModelWrapValidatorHandler,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import CoreSchema, PydanticCustomError

# Strings in request bodies are at most this long unless a field says less (documented as
# maxLength in the OpenAPI schema and enforced by validation).
INPUT_STRING_MAX_LENGTH = 10_000
# Integers are what a database BIGINT holds (ids, amounts in minor units, quantities).
INTEGER_MIN = -(2**63)
INTEGER_MAX = 2**63 - 1


def _out_of_range(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not INTEGER_MIN <= value <= INTEGER_MAX
    if isinstance(value, list | tuple | set | frozenset):
        return any(_out_of_range(item) for item in value)
    if isinstance(value, dict):
        return any(_out_of_range(key) or _out_of_range(item) for key, item in value.items())
    return False


def bound_integers(schema: Any) -> None:
    """Give every integer in a JSON schema the BIGINT range, unless it says narrower."""
    if isinstance(schema, list):
        for item in schema:
            bound_integers(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "integer":
        schema.setdefault("minimum", INTEGER_MIN)
        schema.setdefault("maximum", INTEGER_MAX)
    for key in ("properties", "$defs"):
        for child in schema.get(key, {}).values():
            bound_integers(child)
    for key in ("items", "additionalProperties", "anyOf", "allOf", "oneOf", "prefixItems"):
        bound_integers(schema.get(key))


def _document_input_bounds(schema: dict[str, Any], model: type[Any]) -> None:
    bound_integers(schema)


def _strict_scalars(schema: Any) -> None:
    """Make the int and bool validators of a pydantic-core schema strict: lax mode would read
    0 as false, "5" or 5.0 as 5. Object keys stay lax: JSON writes them as strings."""
    if isinstance(schema, list):
        for item in schema:
            _strict_scalars(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") in {"int", "bool"}:
        schema["strict"] = True
    for key, child in schema.items():
        if key != "keys_schema":
            _strict_scalars(child)


class InputSchema(Schema):
    """Base of every request body schema (and of the objects nested in one).

    - An object is an object: ninja's Schema reads attributes off anything (it also maps ORM
      rows), so `{"address": 5}` would pass as an address with every field defaulted. Inputs
      take a JSON object only.
    - Every string is bounded, so the schema can say so and callers learn the limit; every
      integer fits a BIGINT (a larger one would fail in the database, not at the edge).
    - Numbers and booleans keep their JSON type: `0` is not false, `"5"` or `5.0` not 5.
    """

    model_config = ConfigDict(
        str_max_length=INPUT_STRING_MAX_LENGTH, json_schema_extra=_document_input_bounds
    )

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        # Replaces ninja's validator of the same name, which wraps the input for attribute
        # access; request bodies are plain JSON objects and need none of that.
        if not isinstance(values, Mapping | cls):
            raise PydanticCustomError("model_type", str(_("Must be a JSON object.")))
        return handler(values)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[BaseModel], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        schema = handler(source)
        _strict_scalars(schema)
        return schema

    @field_validator("*", mode="after")
    @classmethod
    def _integers_fit_the_database(cls, value: Any) -> Any:
        if _out_of_range(value):
            raise PydanticCustomError("int_range", str(_("A number is out of range.")))
        return value


class ProblemDetail(Schema):
    # Domain errors may add their own facts (e.g. `available` on out_of_stock).
    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    code: str
    message: str
    field: str | None = None
    errors: list[dict[str, str]] | None = None  # schema errors list every field
    retry_after: int | None = None  # a rate limit says when to come back


class Problem(Schema):
    """Every refusal: `{"error": {"code", "message", "field"}}` with a 4xx status."""

    error: ProblemDetail


# A calendar day in a request body ("2026-12-06"): bounded like every string the API takes.
IsoDate = Annotated[date, Field(json_schema_extra={"maxLength": 10})]
