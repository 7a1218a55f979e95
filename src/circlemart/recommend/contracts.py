"""What crosses the recommend app's boundary: surfaces, reasons and served lists."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Surface(StrEnum):
    FOR_YOU = "for_you"
    SIMILAR = "similar"
    BOUGHT_TOGETHER = "bought_together"
    CART_ADDONS = "cart_addons"
    BUY_AGAIN = "buy_again"
    FRIENDS = "friends"
    NOTES = "notes"


@dataclass(frozen=True)
class Reason:
    """Why an item is in a list. `kind`: viewed, bought, similar, popular, trending, circle,
    friends, interest, repeat, new, session, followed. `label` is already localised."""

    kind: str
    product_id: int | None = None
    label: str = ""


@dataclass(frozen=True)
class RecommendedItem:
    object_id: int  # a product id, or a note id on the notes surface
    score: float
    reason: Reason | None = None


@dataclass(frozen=True)
class RecommendationList:
    list_id: str  # uuid hex: ties the list's impressions and clicks together
    surface: Surface
    model_version: int | None  # None: a non-personalised fallback served it
    is_personalised: bool
    items: tuple[RecommendedItem, ...]
