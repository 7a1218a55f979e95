"""A viewer's own purchases and their friends' purchases, read through the orders and social
selectors and cached briefly (a minute's lag in "already bought" is acceptable; a
personalisation choice is never cached: see selectors/surfaces.py)."""

from __future__ import annotations

from django.core.cache import cache

from circlemart.orders import selectors as orders
from circlemart.social.selectors import graph

PURCHASES_SECONDS = 120
FRIENDS_SECONDS = 300
_ORDER_PAGES = 4  # up to 4 × 50 most recent orders: older history does not change the lists
_ORDERS_PER_PAGE = 50
FRIENDS_CONSIDERED = 30


def _paid_products(user_id: int) -> dict[int, float]:
    bought: dict[int, float] = {}
    cursor: str | None = None
    for _ in range(_ORDER_PAGES):
        page = orders.orders_of_buyer(buyer_id=user_id, cursor=cursor, limit=_ORDERS_PER_PAGE)
        for order in page.items:
            if order.paid_at is None:
                continue
            paid = order.paid_at.timestamp()
            for line in order.lines:
                bought[line.product_id] = max(bought.get(line.product_id, 0.0), paid)
        cursor = page.next_cursor
        if cursor is None:
            break
    return bought


def purchases_of(user_id: int) -> dict[int, float]:
    """Product id → when the user last paid for it (epoch seconds)."""
    key = f"rec:bought:{user_id}"
    found = cache.get(key)
    if found is None:
        found = _paid_products(user_id)
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
        for friend_id in friends_of(user_id):
            for product_id, paid in purchases_of(friend_id).items():
                count, newest = found.get(product_id, (0, 0.0))
                found[product_id] = (count + 1, max(newest, paid))
        cache.set(key, found, FRIENDS_SECONDS)
    return dict(found)
