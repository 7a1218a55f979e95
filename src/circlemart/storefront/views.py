"""Shopper pages: home, product page (and, with search, category listings and results)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language
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
from circlemart.core.http_cache import is_anonymous
from circlemart.social import selectors as social_selectors
from circlemart.storefront.templatetags.storefront import money

T = TypeVar("T")


def _page_cache(
    request: HttpRequest, key: str, depends_on: list[str], render_body: Callable[[], T]
) -> T:
    """Anonymous visitors share the rendered body; signed-in ones get it fresh. The layout
    around it (CSRF token, CSP nonce, who is signed in) is rendered per request."""
    if not is_anonymous(request):
        return render_body()
    return cached(f"page:{key}:{get_language()}", depends_on, render_body, timeout=600)


def home(request: HttpRequest) -> HttpResponse:
    def body() -> str:
        leaders = social_selectors.most_followed(limit=8)
        cards = account_selectors.user_cards([user_id for user_id, _ in leaders])
        creators = [
            {"card": cards[user_id], "followers": followers}
            for user_id, followers in leaders
            if user_id in cards
        ]
        context = {
            "categories": catalog_selectors.category_tree(),
            "hot_products": catalog_selectors.hot_products(limit=12),
            "new_products": catalog_selectors.new_products(limit=6),
            "creators": creators,
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

    page = _page_cache(request, f"product:{product_id}", [product_generation(product_id)], body)
    if not page:
        raise Http404(_("Product not found."))
    return render(request, "storefront/product.html", {"page": page})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
