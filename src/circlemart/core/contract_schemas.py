"""API response schemas derived from the contracts: a read model is written once, as a frozen
dataclass (an app's contracts.py, or the read model of its selectors), and its ninja schema is
made from it here. The rule is in docs/architecture.md, "One definition per shape"."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

from ninja import Schema
from pydantic import create_model

SchemaT = TypeVar("SchemaT", bound=Schema)


def derived_from(
    contract: type[Any],
    *,
    only: Sequence[str] = (),
    exclude: Collection[str] = (),
    nested: Mapping[type[Any], type[Schema]] | None = None,
    optional: Collection[str] = (),
) -> Callable[[type[SchemaT]], type[SchemaT]]:
    """Class decorator: the schema below gets the contract's fields, in order, with their types.

    - `only` / `exclude`: the contract fields the API shows, or those it leaves out.
    - `nested`: the schema of each contract that appears inside a field's type (the contract
      inside itself is the schema being made).
    - `optional`: fields that keep the contract's default, so the document marks them
      optional; every other field is required (an answer always carries it).

    Enums become their value type (`str`), which is what the API sends. The class body holds
    only what the API shows differently: a field named like a contract field replaces its type
    in place (say why in a comment), any other field is added after the contract's — a property
    of the contract (read from the object like a field) or a value the API adds (e.g. a URL).
    Unknown names are an error at import time, so a renamed contract field cannot silently
    leave the API.
    """
    if not dataclasses.is_dataclass(contract):
        raise TypeError(f"{contract!r} is not a dataclass")
    fields = {field.name: field for field in dataclasses.fields(contract)}
    for argument, names in (("only", only), ("exclude", exclude), ("optional", optional)):
        unknown = sorted(set(names) - set(fields))
        if unknown:
            raise ValueError(f"{argument} names no field of {contract.__name__}: {unknown}")
    shown = [name for name in (only or fields) if name not in exclude]

    def decorate(body: type[SchemaT]) -> type[SchemaT]:
        name = body.__name__
        schemas: dict[type[Any], Any] = {**(nested or {}), contract: name}
        hints = typing.get_type_hints(contract)
        own = {key: (info.annotation, info) for key, info in body.model_fields.items()}
        definitions: dict[str, Any] = {}
        for field_name in shown:
            if field_name in own:
                definitions[field_name] = own.pop(field_name)
                continue
            where = f"{name}.{field_name}"
            api_type = _api_type(hints[field_name], schemas, where)
            definitions[field_name] = (api_type, _default(fields[field_name], optional, where))
        definitions.update(own)
        schema = create_model(
            name, __base__=Schema, __module__=body.__module__, __doc__=body.__doc__, **definitions
        )
        schema.__qualname__ = body.__qualname__
        schema.model_rebuild(_types_namespace={name: schema})
        return typing.cast(type[SchemaT], schema)

    return decorate


def _default(field: dataclasses.Field[Any], optional: Collection[str], where: str) -> Any:
    if field.name not in optional:
        return ...
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    raise ValueError(f"{where} has no default to keep")


def _api_type(annotation: Any, schemas: Mapping[type[Any], Any], where: str) -> Any:
    """The type the API documents for a contract's annotation."""
    if isinstance(annotation, type):
        if annotation in schemas:
            return schemas[annotation]
        if dataclasses.is_dataclass(annotation):
            raise TypeError(f"{where}: name the schema of {annotation.__name__} in nested=")
        if issubclass(annotation, enum.Enum):
            for value_type in (str, int):
                if issubclass(annotation, value_type):
                    return value_type
            raise TypeError(f"{where}: {annotation.__name__} has no str or int values")
        return annotation
    origin = typing.get_origin(annotation)
    if origin is None:
        return annotation  # Any, None, …
    arguments = tuple(
        _api_type(argument, schemas, where) for argument in typing.get_args(annotation)
    )
    if origin in (types.UnionType, typing.Union):
        return typing.Union[arguments]  # noqa: UP007 (the arguments may be forward references)
    return origin[arguments]
