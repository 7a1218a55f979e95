"""Catalog API: categories, brands and product details (anonymous reads cached, with ETags).

Listing, search and suggestions live in the search app's router (`/api/v1/catalog/products`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from circlemart.catalog import selectors
from circlemart.catalog.contracts import TREE_GENERATION, product_generation
from circlemart.catalog.schemas import BrandOut, CategoryDetailOut, CategoryOut, ProductOut
from circlemart.core.errors import NotFound
from circlemart.core.http_cache import json_response

router = Router(auth=None, tags=["catalog"])


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


@router.get("/categories", response=list[CategoryOut], summary="The category tree")
def category_tree(request: HttpRequest) -> HttpResponse:
    return json_response(
        request,
        key="api:categories",
        depends_on=[TREE_GENERATION],
        build=lambda: [_plain(node) for node in selectors.category_tree()],
    )


@router.get("/categories/{slug}", response=CategoryDetailOut, summary="One category")
def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    node = selectors.category_by_slug(slug)
    if node is None:
        raise NotFound(_("Category not found."), field="slug")
    return json_response(
        request,
        key=f"api:category:{slug}",
        depends_on=[TREE_GENERATION],
        build=lambda: {
            "category": _plain(node),
            "trail": [_plain(item) for item in selectors.category_trail(node.path)],
            "children": [_plain(item) for item in selectors.category_children(node.id)],
        },
    )


@router.get("/brands", response=list[BrandOut], summary="All brands")
def brand_list(request: HttpRequest) -> HttpResponse:
    return json_response(
        request,
        key="api:brands",
        depends_on=[TREE_GENERATION],
        build=lambda: [_plain(brand) for brand in selectors.brands()],
    )


@router.get("/products/{product_id}", response=ProductOut, summary="A product with its SKUs")
def product_detail(request: HttpRequest, product_id: int) -> HttpResponse:
    def build() -> dict[str, Any]:
        detail = selectors.product_detail(product_id)
        if detail is None:
            raise NotFound(_("Product not found."), field="product_id")
        return _plain(detail)

    return json_response(
        request,
        key=f"api:product:{product_id}",
        depends_on=[product_generation(product_id)],
        build=build,
    )
