"""Shopper pages: home, product page (and, with search, category listings and results)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from circlemart.accounts import selectors as account_selectors
from circlemart.catalog import selectors as catalog_selectors
from circlemart.catalog.contracts import (
    LISTING_GENERATION,
    TREE_GENERATION,
    ProductDetail,
    product_generation,
)
from circlemart.core.cache import cached
from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.core.http_cache import is_anonymous
from circlemart.core.web import viewer_id
from circlemart.promotions.group import selectors as group_selectors
from circlemart.search import selectors as search_selectors
from circlemart.search.contracts import SEARCH_INDEX_GENERATION
from circlemart.search.listing import ListingRequest, parse_listing, record_listing, run_listing
from circlemart.social import selectors as social_selectors
from circlemart.storefront.cards import card_fragments, card_fragments_by_id
from circlemart.storefront.templatetags.storefront import money

T = TypeVar("T")


def _page_cache(
    request: HttpRequest,
    key: str,
    depends_on: list[str],
    render_body: Callable[[], T],
    *,
    same_for_everyone: bool = False,
    timeout: int = 600,
) -> T:
    """Anonymous visitors share the rendered body, and so does everyone when the body shows
    nothing about the viewer. The layout around it (CSRF token, CSP nonce, who is signed in)
    is rendered per request."""
    if not same_for_everyone and not is_anonymous(request):
        return render_body()
    return cached(f"page:{key}:{get_language()}", depends_on, render_body, timeout=timeout)


# Root categories by slug → an icon shipped with the project (the catalogue's emoji need a font
# the visitor's machine may lack). Categories not listed get the generic shopping bag.
CATEGORY_ICONS = {
    "electronics": "electronics",
    "beauty": "beauty",
    "fashion": "fashion",
    "food": "food",
    "home": "home",
    "baby": "baby",
    "sports": "sports",
    "pets": "pets",
}


COMMUNITY_NOTES = 6


def category_icon(slug: str) -> str:
    """The static URL of a category's icon."""
    name = CATEGORY_ICONS.get(slug, "generic")
    return static(f"storefront/icons/category-{name}.svg")


def home(request: HttpRequest) -> HttpResponse:
    def body() -> str:
        hot_ids = catalog_selectors.hot_product_ids(limit=10)  # two full rows on a desktop
        new_ids = catalog_selectors.new_product_ids(limit=6)
        fragments = card_fragments_by_id(hot_ids + new_ids)  # one lookup for both grids
        hot_cards = [fragments[product_id] for product_id in hot_ids if product_id in fragments]
        new_cards = [fragments[product_id] for product_id in new_ids if product_id in fragments]
        leaders = social_selectors.most_followed(limit=8)
        cards = account_selectors.user_cards([user_id for user_id, _ in leaders])
        creators = [
            {"card": cards[user_id], "followers": followers}
            for user_id, followers in leaders
            if user_id in cards
        ]
        context = {
            "categories": [
                {"node": root, "icon": category_icon(root.slug)}
                for root in catalog_selectors.category_tree()
            ],
            "hot_products": hot_cards,
            "new_products": new_cards,
            "creators": creators,
            # "From the community": the discover feed's first notes (public ones only).
            "community_notes": social_selectors.discover_feed(
                viewer_id=viewer_id(request), cursor=None, limit=COMMUNITY_NOTES
            ).items,
            "member_count": account_selectors.user_count(),
            "follow_count": social_selectors.edge_count(),
        }
        return render_to_string("storefront/partials/home_body.html", context, request=request)

    content = _page_cache(request, "home", [LISTING_GENERATION, TREE_GENERATION], body)
    return render(request, "storefront/home.html", {"content": content})


def _sku_payload(detail: ProductDetail) -> list[dict[str, Any]]:
    return [
        {
            "id": sku.id,
            "options": sku.options,
            "available": sku.available,
            "price_display": money(sku.price, detail.currency),
            "original_display": money(sku.original_price, detail.currency)
            if sku.original_price
            else "",
            "stock_display": _("%(count)d in stock") % {"count": sku.available},
        }
        for sku in detail.skus
    ]


def group_deals(request: HttpRequest) -> HttpResponse:
    """拼团: the group-buy deals open now, the home page's activity grid leads here."""
    return render(request, "storefront/group_deals.html", {"deals": group_selectors.live_deals()})


def product_page(request: HttpRequest, product_id: int) -> HttpResponse:
    def body() -> dict[str, str]:
        detail = catalog_selectors.product_detail(product_id)
        if detail is None:
            return {}
        option_values = {
            name: list(dict.fromkeys(sku.options.get(name, "") for sku in detail.skus))
            for name in detail.option_names
        }
        leaf = detail.category_trail[-1] if detail.category_trail else None
        context = {
            "product": detail,
            "option_values": option_values,
            "sku_payload": _sku_payload(detail),
            "leaf": leaf,
        }
        html = render_to_string("storefront/partials/product_body.html", context, request=request)
        return {"title": detail.title, "title_en": detail.title_en, "html": html}

    page = _page_cache(
        request,
        f"product:{product_id}",
        [product_generation(product_id)],
        body,
        same_for_everyone=True,  # the product body shows nothing about the viewer
    )
    if not page:
        raise Http404(_("Product not found."))
    return render(request, "storefront/product.html", {"page": page})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# --- Listings and search ---------------------------------------------------------------------

SORTS = [
    ("", gettext_lazy("Recommended")),
    ("sales", gettext_lazy("Best selling")),
    ("price_asc", gettext_lazy("Price: low to high")),
    ("price_desc", gettext_lazy("Price: high to low")),
    ("newest", gettext_lazy("Newest")),
    ("rating", gettext_lazy("Top rated")),
]


def _more_url(request: HttpRequest, cursor: str) -> str:
    params = request.GET.copy()
    params["cursor"] = cursor
    return f"{request.path}?{params.urlencode()}"


def _listing_context(request: HttpRequest, listing: ListingRequest) -> dict[str, Any]:
    # Not recorded here: the caller records the search, also when its page comes from a cache.
    result = run_listing(listing, viewer_id=viewer_id(request), record=False)
    trail = catalog_selectors.category_trail(listing.category.path) if listing.category else []
    chosen_price = request.GET.get("price", "")
    price_options = [
        {
            "value": f"{bucket.low}-{bucket.high or ''}",
            "low": bucket.low,
            "high": bucket.high,
            "count": bucket.count,
            "selected": chosen_price == f"{bucket.low}-{bucket.high or ''}",
        }
        for bucket in (result.facets.price_buckets if result.facets else [])
        if bucket.count
    ]
    return {
        "listing": listing,
        "result": result,
        "price_options": price_options,
        "cards": card_fragments(result.product_ids),
        "trail": trail,
        "sorts": SORTS,
        "more_url": _more_url(request, result.next_cursor) if result.next_cursor else "",
        "selected_brands": set(listing.filters.brand_ids),
        "params": request.GET,
    }


def _listing_error(request: HttpRequest, error: ValidationFailed) -> HttpResponse:
    """A bad filter in the address (hand-edited, stale link) gets a message, not a 500."""
    context = {"error": error.message, "params": request.GET, "sorts": SORTS}
    return render(request, "storefront/listing.html", context, status=400)


# What a search box accepts (its maxlength): a long paste becomes a short address, never a
# "414 URI Too Long" from the web server in front of Django.
SEARCH_INPUT_MAX_CHARS = 100


def _shortened_search(request: HttpRequest) -> HttpResponse | None:
    """An over-long query (a hand-made link, an old form) is cut to the box's limit: the
    shopper lands on the shortened search with a message saying so."""
    query = request.GET.get("q") or ""
    if len(query) <= SEARCH_INPUT_MAX_CHARS:
        return None
    params = request.GET.copy()
    params["q"] = query[:SEARCH_INPUT_MAX_CHARS]
    params.pop("cursor", None)
    messages.info(
        request,
        _("Searches are limited to %(count)d characters: showing results for the first %(count)d.")
        % {"count": SEARCH_INPUT_MAX_CHARS},
    )
    return redirect(f"{request.path}?{params.urlencode()}")


def _listing_page(request: HttpRequest, *, category_slug: str | None = None) -> HttpResponse:
    shortened = _shortened_search(request)
    if shortened is not None:
        return shortened
    try:
        listing = parse_listing(request.GET, category_slug=category_slug)
    except NotFound as error:
        raise Http404(str(error.message)) from error
    except ValidationFailed as error:
        return _listing_error(request, error)
    htmx = getattr(request, "htmx", False)
    if htmx and listing.cursor:  # infinite scroll: the next tiles and the next sentinel
        try:
            context = _listing_context(request, listing)
        except ValidationFailed:
            return HttpResponse(status=400)
        return render(request, "storefront/partials/listing_more.html", context)

    def body() -> dict[str, Any]:
        context = _listing_context(request, listing)
        html = render_to_string(
            "storefront/partials/listing_results.html", context, request=request
        )
        result = context["result"]
        return {"html": html, "searched": result.query, "total": result.total}

    try:
        # Tiles and filters show nothing about the viewer: one body for everyone, per address
        # (every parameter counts: the body links back to it) and language, until the index
        # or a listed product changes.
        page = _page_cache(
            request,
            f"listing:{request.path}:{_query_string_key(request)}",
            [LISTING_GENERATION, SEARCH_INDEX_GENERATION],
            body,
            same_for_everyone=True,
            timeout=settings.SEARCH_PAGE_CACHE_SECONDS,
        )
    except ValidationFailed as error:
        return _listing_error(request, error)
    # Searches are logged per request, also when the page came from the cache.
    record_listing(
        listing, searched=page["searched"], total=page["total"], viewer_id=viewer_id(request)
    )
    results = page["html"]
    if htmx:  # filters changed: swap the results only
        return HttpResponse(results)
    page_context: dict[str, Any] = {
        "results": results,
        "listing": listing,
        "params": request.GET,
        "sorts": SORTS,
        "trail": catalog_selectors.category_trail(listing.category.path)
        if listing.category
        else [],
        "hot_searches": search_selectors.hot_searches(limit=8)
        if not listing.query and not listing.category
        else [],
        "history": search_selectors.search_history(viewer_id(request) or 0, limit=8)
        if not listing.query and viewer_id(request)
        else [],
    }
    return render(request, "storefront/listing.html", page_context)


def _query_string_key(request: HttpRequest) -> str:
    """The query string, parameters sorted, hashed to a short fixed-length key."""
    pairs = sorted((name, value) for name, values in request.GET.lists() for value in values)
    return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()[:32]


def category_page(request: HttpRequest, slug: str) -> HttpResponse:
    return _listing_page(request, category_slug=slug)


def search_page(request: HttpRequest) -> HttpResponse:
    return _listing_page(request)


def search_suggestions(request: HttpRequest) -> HttpResponse:
    """htmx: the suggestion list under the search box."""
    prefix = (request.GET.get("q") or "")[:50]
    items = search_selectors.suggest(prefix) if prefix.strip() else []
    return render(request, "storefront/partials/suggestions.html", {"items": items})
