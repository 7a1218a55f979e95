"""Listing and search requests, shared by the API and the pages: read the parameters from a
query string, run the search, log first-page searches (hot searches, history).

    ?q=耳机&category=electronics&brand=3,7&price_min=10000&price_max=50000&in_stock=1
     &tags=新品&sort=price_asc&cursor=…&limit=20

Prices are minor units (fen). Anything malformed is a ValidationFailed naming the parameter;
an unknown category slug is a NotFound.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from circlemart.catalog import selectors as catalog
from circlemart.catalog.contracts import CategoryNode
from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.search import search_log, selectors
from circlemart.search.contracts import SearchFilters, SearchResult

MAX_QUERY_CHARS = 200
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True)
class ListingRequest:
    query: str
    filters: SearchFilters
    sort: str
    cursor: str | None
    limit: int | None
    category: CategoryNode | None

    def cache_key(self) -> str:
        f = self.filters
        return "|".join(
            str(part)
            for part in (
                self.query,
                f.category_id,
                ",".join(map(str, f.brand_ids)),
                f.price_min,
                f.price_max,
                int(f.in_stock),
                ",".join(f.tags),
                self.sort,
                self.cursor or "",
                self.limit or "",
            )
        )


def _integer(raw: str | None, field: str) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        return int(raw.strip())
    except ValueError:
        raise ValidationFailed(_("Enter a whole number."), field=field) from None


def _joined(params: Mapping[str, str], name: str) -> str:
    """`brand=3,7` (API) and `brand=3&brand=7` (HTML checkboxes) mean the same."""
    getlist = getattr(params, "getlist", None)
    values = getlist(name) if getlist else [params.get(name) or ""]
    return ",".join(value for value in values if value)


def _price_range(raw: str) -> tuple[str | None, str | None]:
    """`price=10000-50000` or `price=50000-` (a facet bucket) → (min, max)."""
    if not raw:
        return None, None
    low, _, high = raw.partition("-")
    return low or None, high or None


def _id_list(raw: str | None, field: str) -> tuple[int, ...]:
    if not raw:
        return ()
    try:
        return tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ValidationFailed(_("Enter ids separated by commas."), field=field) from None


def parse_listing(params: Mapping[str, str], *, category_slug: str | None = None) -> ListingRequest:
    query = (params.get("q") or "")[: MAX_QUERY_CHARS * 50]  # the search layer caps further
    slug = category_slug or (params.get("category") or "").strip() or None
    category = None
    if slug:
        category = catalog.category_by_slug(slug)
        if category is None:
            raise NotFound(_("Category not found."), field="category")
    brand_ids = _id_list(_joined(params, "brand"), "brand")
    tags = tuple(tag for tag in _joined(params, "tags").split(",") if tag.strip())
    bucket_low, bucket_high = _price_range(params.get("price") or "")
    filters = SearchFilters(
        category_id=category.id if category else None,
        brand_ids=brand_ids,
        price_min=_integer(params.get("price_min") or bucket_low, "price_min"),
        price_max=_integer(params.get("price_max") or bucket_high, "price_max"),
        in_stock=(params.get("in_stock") or "").lower() in TRUE_WORDS,
        tags=tags,
    )
    return ListingRequest(
        query=query,
        filters=filters,
        sort=(params.get("sort") or "").strip(),
        cursor=params.get("cursor") or None,
        limit=_integer(params.get("limit"), "limit"),
        category=category,
    )


def run_listing(
    listing: ListingRequest, *, viewer_id: int | None, record: bool = True
) -> SearchResult:
    """Run the search and, with `record`, log it (first pages of real searches only)."""
    result = selectors.product_search(
        query=listing.query,
        filters=listing.filters,
        sort=listing.sort,
        cursor=listing.cursor,
        limit=listing.limit,
        viewer_id=viewer_id,
    )
    if record:
        record_listing(listing, searched=result.query, total=result.total, viewer_id=viewer_id)
    return result


def record_listing(
    listing: ListingRequest, *, searched: str, total: int, viewer_id: int | None
) -> None:
    """Log a first-page search (hot searches, history): also when its page came from a cache.
    `searched` is the analysed query of the result ("" for browsing)."""
    if searched and listing.cursor is None:
        search_log.search_log_submit(query=listing.query, user_id=viewer_id, result_count=total)
