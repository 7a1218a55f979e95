"""Response shapes of the product listing/search API; those that show a contract are derived
from it (core.contract_schemas)."""

from __future__ import annotations

from ninja import Schema

from circlemart.catalog.schemas import ProductCardOut
from circlemart.core.contract_schemas import derived_from
from circlemart.search.contracts import (
    BrandFacet,
    CategoryFacet,
    HistoryEntry,
    HotSearch,
    PriceBucket,
    SearchFacets,
    SuggestionView,
    TagFacet,
)


@derived_from(CategoryFacet)
class CategoryFacetOut(Schema): ...


@derived_from(BrandFacet)
class BrandFacetOut(Schema): ...


@derived_from(PriceBucket)
class PriceBucketOut(Schema): ...


@derived_from(TagFacet)
class TagFacetOut(Schema): ...


@derived_from(
    SearchFacets,
    nested={
        CategoryFacet: CategoryFacetOut,
        BrandFacet: BrandFacetOut,
        PriceBucket: PriceBucketOut,
        TagFacet: TagFacetOut,
    },
)
class FacetsOut(Schema): ...


# Its own shape, not SearchResult's: the page carries the product cards of its product ids.
class ProductPageOut(Schema):
    items: list[ProductCardOut]
    total: int
    next_cursor: str | None
    query: str
    corrected_query: str | None
    partial_match: bool
    sort: str
    facets: FacetsOut | None


@derived_from(SuggestionView)
class SuggestionOut(Schema): ...


@derived_from(HotSearch)
class HotSearchOut(Schema): ...


@derived_from(HistoryEntry)
class HistoryEntryOut(Schema):
    searched_at: str  # sent as the ISO text the API writes (documented without a format)
