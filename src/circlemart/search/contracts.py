"""What crosses the search boundary: the query inputs and the read models pages and the API
build on. Prices are integer minor units (fen)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SearchSort(StrEnum):
    """`relevance` is the default with a query; without one it means `sales`."""

    RELEVANCE = "relevance"
    SALES = "sales"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NEWEST = "newest"
    RATING = "rating"


@dataclass(frozen=True)
class SearchFilters:
    """Every filter narrows the result; unset filters do nothing.

    - `category_id`: the category and its whole subtree.
    - `brand_ids`: any of these brands.
    - `price_min` / `price_max`: bounds (inclusive) on the product's lowest SKU price.
    - `in_stock`: True keeps only products that can be bought now.
    - `tags`: products carrying all of these tags.
    """

    category_id: int | None = None
    brand_ids: tuple[int, ...] = ()
    price_min: int | None = None
    price_max: int | None = None
    in_stock: bool = False
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class CategoryFacet:
    """A direct child of the filtered category (or a root category when none is filtered)."""

    id: int
    name: str
    name_en: str
    slug: str
    count: int


@dataclass(frozen=True)
class BrandFacet:
    """Counted with every filter except the brand filter, so more brands can be ticked."""

    id: int
    name: str
    name_en: str
    slug: str
    count: int


@dataclass(frozen=True)
class PriceBucket:
    """`low` ≤ price < `high` (no upper bound when `high` is None); counted with every filter
    except the price filter."""

    low: int
    high: int | None
    count: int


@dataclass(frozen=True)
class TagFacet:
    name: str
    count: int


@dataclass(frozen=True)
class SearchFacets:
    categories: list[CategoryFacet]
    brands: list[BrandFacet]
    price_buckets: list[PriceBucket]
    # How many results would be in stock, counted with every filter except `in_stock`.
    in_stock_count: int
    tags: list[TagFacet]


@dataclass(frozen=True)
class SearchResult:
    """One page of results. Render the tiles with `catalog.selectors.product_cards(product_ids)`.

    - `product_ids`: this page, best first.
    - `total`: all results with the current filters (not only this page).
    - `facets`: None when asked for without facets (`with_facets=False`).
    - `next_cursor`: pass back for the next page; None on the last page.
    - `query`: the normalised query that was searched ("" means category browsing).
    - `corrected_query`: set when typo correction changed the query ("did you mean").
    - `sort`: the sort actually applied (`relevance` becomes `sales` without a query).
    - `partial_match`: nothing matched every word, so these are titles containing the
      query as a substring ("showing similar products").
    """

    product_ids: list[int]
    total: int
    facets: SearchFacets | None
    next_cursor: str | None
    query: str
    corrected_query: str | None
    sort: SearchSort
    partial_match: bool = False


@dataclass(frozen=True)
class SuggestionView:
    text: str
    kind: str  # "query" | "product" | "brand" | "category" | "keyword"


@dataclass(frozen=True)
class HotSearch:
    query: str
    searchers: int  # distinct signed-in users, plus each anonymous search


@dataclass(frozen=True)
class HistoryEntry:
    query: str
    searched_at: datetime


@dataclass(frozen=True)
class IndexChange:
    """What `services.index_products` did."""

    indexed: int  # documents written (new or changed)
    unchanged: int  # documents already up to date
    removed: int  # documents deleted (product gone or off sale)


# Cache generation (core.cache) bumped whenever the index changes: cached listings depend on it.
SEARCH_INDEX_GENERATION = "search:index"
