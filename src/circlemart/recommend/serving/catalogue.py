"""What serving needs to know about products (sellable, category, brand, title), read through
catalog selectors and remembered in this process for a few seconds: a list built a moment
ago may show a product that just sold out, never one that was removed long ago."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import get_language

from circlemart.catalog import selectors as catalog

FACTS_SECONDS = 30.0
_MEMO_LIMIT = 50_000


def _facts_seconds() -> float:
    return float(getattr(settings, "RECOMMEND_FACTS_SECONDS", FACTS_SECONDS))


@dataclass(frozen=True)
class ProductFacts:
    id: int
    title: str
    title_en: str
    category_id: int
    category_path: str
    brand: str  # brand name, "" when none (diversity treats "" as no brand)
    is_in_stock: bool

    def shown_title(self) -> str:
        english = (get_language() or "").startswith("en")
        return (self.title_en or self.title) if english else self.title


@dataclass(frozen=True)
class CategoryFacts:
    id: int
    name: str
    name_en: str
    path: str

    def shown_name(self) -> str:
        english = (get_language() or "").startswith("en")
        return (self.name_en or self.name) if english else self.name


class _Memo:
    """id → (value or None for unknown/hidden, fetched at); thread-safe, bounded, time-limited."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[int, tuple[object, float]] = {}

    def split(self, ids: Iterable[int]) -> tuple[dict[int, object], list[int]]:
        now, seconds = time.monotonic(), _facts_seconds()
        known: dict[int, object] = {}
        missing: list[int] = []
        with self._lock:
            for key in ids:
                entry = self._entries.get(key)
                if entry is not None and now - entry[1] < seconds:
                    known[key] = entry[0]
                else:
                    missing.append(key)
        return known, missing

    def store(self, values: dict[int, object]) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._entries) + len(values) > _MEMO_LIMIT:
                self._entries.clear()
            for key, value in values.items():
                self._entries[key] = (value, now)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_products = _Memo()
_categories = _Memo()


def forget_facts() -> None:
    """Forget every remembered product and category (tests; after a catalogue import)."""
    _products.clear()
    _categories.clear()


def category_facts(ids: Iterable[int]) -> dict[int, CategoryFacts]:
    wanted = list(dict.fromkeys(int(i) for i in ids))
    known, missing = _categories.split(wanted)
    if missing:
        nodes = catalog.categories_by_id(missing)
        fetched: dict[int, object] = {
            key: CategoryFacts(id=node.id, name=node.name, name_en=node.name_en, path=node.path)
            if (node := nodes.get(key))
            else None
            for key in missing
        }
        _categories.store(fetched)
        known.update(fetched)
    return {key: value for key, value in known.items() if isinstance(value, CategoryFacts)}


def product_facts(ids: Iterable[int]) -> dict[int, ProductFacts]:
    """Facts of the on-sale products among `ids` (missing, hidden or removed ones are absent)."""
    wanted = list(dict.fromkeys(int(i) for i in ids))
    known, missing = _products.split(wanted)
    if missing:
        cards = {card.id: card for card in catalog.product_cards(missing)}
        category_of = catalog.product_category_ids(list(cards))
        categories = category_facts(set(category_of.values()))
        fetched: dict[int, object] = {}
        for key in missing:
            card = cards.get(key)
            category_id = category_of.get(key)
            if card is None or category_id is None:
                fetched[key] = None
                continue
            category = categories.get(category_id)
            fetched[key] = ProductFacts(
                id=card.id,
                title=card.title,
                title_en=card.title_en,
                category_id=category_id,
                category_path=category.path if category else "",
                brand=card.brand_name,
                is_in_stock=card.in_stock,
            )
        _products.store(fetched)
        known.update(fetched)
    return {key: value for key, value in known.items() if isinstance(value, ProductFacts)}


def sellable(ids: Iterable[int]) -> dict[int, ProductFacts]:
    """Facts of the products among `ids` that may be recommended: on sale, visible, in stock."""
    return {key: facts for key, facts in product_facts(ids).items() if facts.is_in_stock}


def active_category_ids() -> set[int]:
    ids: set[int] = set()
    stack = list(catalog.category_tree())
    while stack:
        node = stack.pop()
        ids.add(node.id)
        stack.extend(node.children)
    return ids


def popular_product_ids(limit: int) -> list[int]:
    """Best sellers on sale, for when no model serves."""
    return [card.id for card in catalog.hot_products(limit)]


@dataclass(frozen=True)
class FreshProduct:
    id: int
    text: str


def fresh_products(limit: int) -> list[FreshProduct]:
    """The newest on-sale, in-stock products with the text the content encoder reads."""
    return [
        FreshProduct(
            id=card.id, text=" ".join(filter(None, [card.title, card.title_en, card.brand_name]))
        )
        for card in catalog.new_products(limit)
        if card.in_stock
    ]


def product_text(product_id: int) -> str | None:
    """A product's title, English title and brand, or None when it is not on sale."""
    cards = catalog.product_cards([product_id])
    if not cards:
        return None
    card = cards[0]
    return " ".join(filter(None, [card.title, card.title_en, card.brand_name]))
