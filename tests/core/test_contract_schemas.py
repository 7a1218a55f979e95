"""core.contract_schemas: API answers derived from the contract dataclasses, and the rule that
every app's schema classes are named as the OpenAPI document names them."""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import pytest
from ninja import Schema

import circlemart
from circlemart.core.contract_schemas import derived_from


class Colour(StrEnum):
    RED = "red"


@dataclass(frozen=True)
class Leaf:
    id: int
    colour: Colour
    secret: str


@dataclass(frozen=True)
class Tree:
    id: int
    name: str
    planted_at: datetime | None
    leaves: list[Leaf]
    parent: Tree | None
    note: str = ""
    tags: list[str] = field(default_factory=list)
    children: list[Tree] = field(default_factory=list)

    @property
    def leaf_count(self) -> int:
        return len(self.leaves)


@derived_from(Leaf, exclude=("secret",))
class LeafOut(Schema):
    pass


@derived_from(Tree, optional=("tags", "children"), nested={Leaf: LeafOut})
class TreeOut(Schema):
    name: str | None  # replaced in place
    leaf_count: int  # a property of the contract
    url: str  # given by the API


def a_tree(**changes: Any) -> Tree:
    values: dict[str, Any] = {
        "id": 1,
        "name": "oak",
        "planted_at": None,
        "leaves": [Leaf(id=7, colour=Colour.RED, secret="s3cret")],
        "parent": None,
    }
    return Tree(**(values | changes))


def test_fields_keep_the_contract_order_and_types_with_enums_as_values() -> None:
    definitions = TreeOut.model_json_schema()["$defs"]  # TreeOut refers to itself
    schema = definitions["TreeOut"]
    assert list(TreeOut.model_fields) == [
        "id",
        "name",
        "planted_at",
        "leaves",
        "parent",
        "note",
        "tags",
        "children",
        "leaf_count",
        "url",
    ]
    assert schema["required"] == [
        "id",
        "name",
        "planted_at",
        "leaves",
        "parent",
        "note",
        "leaf_count",
        "url",
    ]
    properties = schema["properties"]
    assert properties["id"] == {"title": "Id", "type": "integer"}
    assert properties["name"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Name"}
    assert properties["planted_at"]["anyOf"][0] == {"format": "date-time", "type": "string"}
    assert properties["note"] == {"title": "Note", "type": "string"}  # required: no default kept
    assert properties["tags"]["default"] == []
    assert properties["children"] == {
        "default": [],
        "items": {"$ref": "#/$defs/TreeOut"},
        "title": "Children",
        "type": "array",
    }
    assert properties["parent"]["anyOf"][0] == {"$ref": "#/$defs/TreeOut"}
    assert definitions["LeafOut"] == {
        "properties": {
            "colour": {"title": "Colour", "type": "string"},
            "id": {"title": "Id", "type": "integer"},
        },
        "required": ["id", "colour"],
        "title": "LeafOut",
        "type": "object",
    }
    assert "description" not in schema


def test_an_answer_is_read_from_the_contract_object() -> None:
    tree = a_tree(id=2, note="by the gate")
    answer = TreeOut.model_validate({**tree.__dict__, "leaf_count": 1, "url": "/trees/2/"})
    assert answer.model_dump(mode="json") == {
        "id": 2,
        "name": "oak",
        "planted_at": None,
        "leaves": [{"id": 7, "colour": "red"}],  # the leaf's secret is not shown
        "parent": None,
        "note": "by the gate",
        "tags": [],
        "children": [],
        "leaf_count": 1,
        "url": "/trees/2/",
    }


def test_properties_are_read_from_the_object_itself() -> None:
    @derived_from(Tree, only=("id",))
    class CountOut(Schema):
        leaf_count: int

    assert CountOut.model_validate(a_tree(leaves=[])).model_dump() == {"id": 1, "leaf_count": 0}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"exclude": ("colour", "shape")}, "exclude names no field of Leaf: ['shape']"),
        ({"only": ("id", "size")}, "only names no field of Leaf: ['size']"),
        ({"optional": ("id",)}, "LeafBadOut.id has no default to keep"),
        ({"optional": ("missing",)}, "optional names no field of Leaf: ['missing']"),
    ],
)
def test_names_that_do_not_fit_the_contract_are_refused_at_import(
    arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):

        @derived_from(Leaf, **arguments)
        class LeafBadOut(Schema):
            pass


def test_a_nested_contract_needs_its_schema_named() -> None:
    with pytest.raises(TypeError, match=r"^TreeBadOut.leaves: name the schema of Leaf in nested=$"):

        @derived_from(Tree)
        class TreeBadOut(Schema):
            pass


def test_only_dataclasses_are_contracts() -> None:
    with pytest.raises(TypeError, match="is not a dataclass"):
        derived_from(Colour)


def _schema_modules() -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages(circlemart.__path__, prefix="circlemart.")
        if info.name.endswith(".schemas")
    ]


def test_every_schema_class_is_named_as_its_module_names_it() -> None:
    """The OpenAPI document names a schema by its class: a derived schema keeps its class name."""
    modules = _schema_modules()
    assert "circlemart.promotions.flash.schemas" in modules
    seen = 0
    for module_name in modules:
        module = importlib.import_module(module_name)
        for attribute, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, Schema) and value is not Schema:
                if value.__module__ != module_name:
                    continue  # imported from elsewhere
                assert value.__name__ == attribute, f"{module_name}.{attribute}"
                seen += 1
    assert seen > 100
