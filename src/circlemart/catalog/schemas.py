"""Response shapes of the catalog API (documented in OpenAPI)."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema


class CategoryOut(Schema):
    id: int
    name: str
    name_en: str
    slug: str
    depth: int
    parent_id: int | None
    icon: str
    children: list[CategoryOut] = []


class CategoryDetailOut(Schema):
    category: CategoryOut
    trail: list[CategoryOut]
    children: list[CategoryOut]


class BrandOut(Schema):
    id: int
    name: str
    name_en: str
    slug: str


class SkuOut(Schema):
    id: int
    code: str
    options: dict[str, str]
    price: int
    original_price: int | None
    available: int
    max_per_order: int


class ImageOut(Schema):
    url: str
    thumbnail_url: str
    alt: str
    width: int
    height: int


class ProductOut(Schema):
    id: int
    code: str
    title: str
    title_en: str
    subtitle: str
    description_html: str
    currency: str
    price_min: int
    price_max: int
    sales_count: int
    rating_average: float
    rating_count: int
    brand: BrandOut | None
    category_trail: list[CategoryOut]
    tags: list[str]
    images: list[ImageOut]
    skus: list[SkuOut]
    option_names: list[str]
    updated_at: datetime


class ProductCardOut(Schema):
    id: int
    title: str
    title_en: str
    price_min: int
    price_max: int
    original_price: int | None
    currency: str
    cover: str
    sales_count: int
    rating_average: float
    rating_count: int
    in_stock: bool
    brand_name: str
