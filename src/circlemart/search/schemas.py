"""Response shapes of the product listing/search API."""

from __future__ import annotations

from ninja import Schema

from circlemart.catalog.schemas import ProductCardOut


class CategoryFacetOut(Schema):
    id: int
    name: str
    name_en: str
    slug: str
    count: int


class BrandFacetOut(Schema):
    id: int
    name: str
    name_en: str
    slug: str
    count: int


class PriceBucketOut(Schema):
    low: int
    high: int | None
    count: int


class TagFacetOut(Schema):
    name: str
    count: int


class FacetsOut(Schema):
    categories: list[CategoryFacetOut]
    brands: list[BrandFacetOut]
    price_buckets: list[PriceBucketOut]
    in_stock_count: int
    tags: list[TagFacetOut]


class ProductPageOut(Schema):
    items: list[ProductCardOut]
    total: int
    next_cursor: str | None
    query: str
    corrected_query: str | None
    partial_match: bool
    sort: str
    facets: FacetsOut | None


class SuggestionOut(Schema):
    text: str
    kind: str


class HotSearchOut(Schema):
    query: str
    searchers: int


class HistoryEntryOut(Schema):
    query: str
    searched_at: str
