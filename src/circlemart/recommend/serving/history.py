"""A viewer's own purchases and their friends' purchases, read through the orders and social
selectors and cached briefly (a minute's lag in "already bought" is acceptable; a
personalisation choice is never cached: see selectors/surfaces.py)."""

from __future__ import annotations

from django.core.cache import cache

from circlemart.orders import selectors as orders
from circlemart.social.selectors import graph

PURCHASES_SECONDS = 120
FRIENDS_SECONDS = 300
FRIENDS_CONSIDERED = 30


def _paid_products(user_ids: list[int]) -> dict[int, dict[int, float]]:
    paid = orders.paid_products_of(buyer_ids=user_ids)
    return {
        user_id: {product: moment.timestamp() for product, moment in paid.get(user_id, {}).items()}
        for user_id in user_ids
    }


def purchases_of(user_id: int) -> dict[int, float]:
    """Product id → when the user last paid for it (epoch seconds)."""
    key = f"rec:bought:{user_id}"
    found = cache.get(key)
    if found is None:
        found = _paid_products([user_id])[user_id]
        cache.set(key, found, PURCHASES_SECONDS)
    return dict(found)


def friends_of(user_id: int) -> list[int]:
    """Up to FRIENDS_CONSIDERED mutual follows, newest friendship first."""
    page = graph.friends_page(user_id=user_id, cursor=None, limit=FRIENDS_CONSIDERED)
    return [edge.followee_id for edge in page.items]


def friends_purchases(user_id: int) -> dict[int, tuple[int, float]]:
    """Product id → (how many friends bought it, newest purchase time)."""
    key = f"rec:friends-bought:{user_id}"
    found = cache.get(key)
    if found is None:
        found = {}
        for bought in _paid_products(friends_of(user_id)).values():
            for product_id, paid in bought.items():
                count, newest = found.get(product_id, (0, 0.0))
                found[product_id] = (count + 1, max(newest, paid))
        cache.set(key, found, FRIENDS_SECONDS)
    return dict(found)
