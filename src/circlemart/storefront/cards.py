"""Product cards as rendered HTML fragments, cached per product generation and language.

A grid of 20 cards costs two cache round trips (the products' generations, then the
fragments); only cards not cached yet are read from the catalog (one query) and rendered,
with the product link reversed once per call rather than once per card.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from circlemart.catalog import selectors as catalog_selectors
from circlemart.catalog.contracts import ProductCard, product_generation
from circlemart.core.cache import generations

CARD_TEMPLATE = "storefront/partials/_product_card.html"
# Reversed once with this id, then the id is put in by plain string formatting.
_LINK_PLACEHOLDER = 987654321
# Cached for a product that is not on sale (no card): it shows nothing.
_NO_CARD = ""


def _timeout() -> int:
    return int(getattr(settings, "PRODUCT_CARD_CACHE_SECONDS", 600))


def product_link_format() -> str:
    """The product page's address with `{id}` in place of the id (one reverse)."""
    return reverse("storefront:product", args=[_LINK_PLACEHOLDER]).replace(
        str(_LINK_PLACEHOLDER), "{id}"
    )


def render_card(card: ProductCard, *, link: str) -> str:
    return render_to_string(CARD_TEMPLATE, {"card": card, "card_url": link})


def card_fragments(product_ids: Sequence[int]) -> list[SafeString]:
    """The rendered cards of these products in this order, in the active language; products
    not on sale are left out (as `catalog.selectors.product_cards` does)."""
    by_id = card_fragments_by_id(product_ids)
    return [by_id[product_id] for product_id in dict.fromkeys(product_ids) if product_id in by_id]


def card_fragments_by_id(product_ids: Iterable[int]) -> dict[int, SafeString]:
    """Product id → its rendered card (products not on sale are absent)."""
    ids = list(dict.fromkeys(int(product_id) for product_id in product_ids))
    if not ids:
        return {}
    language = get_language() or ""
    stamps = generations(product_generation(product_id) for product_id in ids)
    keys = {
        product_id: f"card:{product_id}:{language}:{stamps[product_generation(product_id)]}"
        for product_id in ids
    }
    found: dict[str, str] = cache.get_many(list(keys.values()))
    missing = [product_id for product_id in ids if keys[product_id] not in found]
    if missing:
        found.update(_render_missing(missing, keys))
    return {
        product_id: mark_safe(found[keys[product_id]])  # noqa: S308 - our autoescaping template
        for product_id in ids
        if found.get(keys[product_id])
    }


def _render_missing(missing: Iterable[int], keys: dict[int, str]) -> dict[str, str]:
    wanted = list(missing)
    link = product_link_format()
    rendered = {
        card.id: render_card(card, link=link.format(id=card.id))
        for card in catalog_selectors.product_cards(wanted)
    }
    fresh = {keys[product_id]: rendered.get(product_id, _NO_CARD) for product_id in wanted}
    cache.set_many(fresh, timeout=_timeout())
    return fresh
