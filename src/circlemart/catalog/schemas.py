"""Response shapes of the catalog API (documented in OpenAPI), derived from the contracts
(core.contract_schemas)."""

from __future__ import annotations

from ninja import Schema

from circlemart.catalog.contracts import (
    BrandView,
    CategoryNode,
    ImageView,
    ProductCard,
    ProductDetail,
    SkuView,
)
from circlemart.core.contract_schemas import derived_from


@derived_from(CategoryNode, exclude=("path",), optional=("children",))
class CategoryOut(Schema): ...


class CategoryDetailOut(Schema):
    category: CategoryOut
    trail: list[CategoryOut]
    children: list[CategoryOut]


@derived_from(BrandView)
class BrandOut(Schema): ...


@derived_from(SkuView)
class SkuOut(Schema): ...


@derived_from(ImageView)
class ImageOut(Schema): ...


@derived_from(
    ProductDetail,
    exclude=("status",),
    nested={BrandView: BrandOut, CategoryNode: CategoryOut, ImageView: ImageOut, SkuView: SkuOut},
)
class ProductOut(Schema): ...


@derived_from(ProductCard)
class ProductCardOut(Schema): ...
