"""Product listing and search API: /api/v1/catalog/products, /suggest, /hot-searches, and the
signed-in user's search history under /api/v1/me/search-history."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from circlemart.catalog import selectors as catalog
from circlemart.catalog.contracts import LISTING_GENERATION
from circlemart.core.cache import cached
from circlemart.core.http_cache import json_response
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.search import selectors, services
from circlemart.search.contracts import SEARCH_INDEX_GENERATION, SearchResult
from circlemart.search.listing import parse_listing, record_listing, run_listing
from circlemart.search.schemas import HistoryEntryOut, HotSearchOut, ProductPageOut, SuggestionOut

router = Router(auth=None, tags=["catalog"])
history_router = Router(tags=["me"])


def page_body(result: SearchResult) -> dict[str, Any]:
    return {
        "items": [dataclasses.asdict(card) for card in catalog.product_cards(result.product_ids)],
        "total": result.total,
        "next_cursor": result.next_cursor,
        "query": result.query,
        "corrected_query": result.corrected_query,
        "partial_match": result.partial_match,
        "sort": result.sort.value,
        "facets": dataclasses.asdict(result.facets) if result.facets else None,
    }


@router.get(
    "/products",
    response=ProductPageOut,
    summary="List, filter and search products",
    description=(
        "Query parameters: `q` (Chinese or English text; empty = browse), `category` (slug, "
        "includes subcategories), `brand` (ids, comma-separated), `price_min`/`price_max` "
        "(fen), `in_stock` (1), `tags` (comma-separated), `sort` (relevance, sales, "
        "price_asc, price_desc, newest, rating), `cursor` (from `next_cursor`), `limit` "
        "(1–100). Bad values answer 400 naming the parameter; an unknown category 404."
    ),
)
def product_list(request: HttpRequest) -> HttpResponse | dict[str, Any]:
    listing = parse_listing(request.GET)
    if listing.query:
        # The same body for everyone until the index or a listed product changes; the search
        # is logged (hot searches, history) on every request, from the cache or not.
        def build() -> dict[str, Any]:
            result = run_listing(listing, viewer_id=viewer_id(request), record=False)
            return {"body": page_body(result), "searched": result.query}

        key = hashlib.sha256(listing.cache_key().encode()).hexdigest()[:32]
        page = cached(
            f"api:search:{key}",
            [LISTING_GENERATION, SEARCH_INDEX_GENERATION],
            build,
            timeout=settings.SEARCH_PAGE_CACHE_SECONDS,
        )
        body: dict[str, Any] = page["body"]
        record_listing(
            listing, searched=page["searched"], total=body["total"], viewer_id=viewer_id(request)
        )
        return body
    return json_response(
        request,
        key=f"api:browse:{listing.cache_key()}",
        depends_on=[LISTING_GENERATION, SEARCH_INDEX_GENERATION],
        build=lambda: page_body(run_listing(listing, viewer_id=viewer_id(request))),
    )


@router.get("/suggest", response=list[SuggestionOut], summary="Completions as you type")
def suggest(request: HttpRequest, q: str = "") -> HttpResponse:
    return json_response(
        request,
        key=f"api:suggest:{q[:50]}",
        depends_on=[SEARCH_INDEX_GENERATION],
        build=lambda: [dataclasses.asdict(item) for item in selectors.suggest(q[:50])],
    )


@router.get("/hot-searches", response=list[HotSearchOut], summary="What people search now")
def hot_searches(request: HttpRequest) -> list[dict[str, Any]]:
    return [dataclasses.asdict(item) for item in selectors.hot_searches()]


@history_router.get("", response=list[HistoryEntryOut], summary="My recent searches")
def history(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"query": entry.query, "searched_at": entry.searched_at.isoformat()}
        for entry in selectors.search_history(signed_in_id(request))
    ]


@history_router.delete("", response={204: None}, summary="Clear my recent searches")
def history_clear(request: HttpRequest) -> Status[None]:
    services.history_clear(signed_in_id(request))
    return Status(204, None)
