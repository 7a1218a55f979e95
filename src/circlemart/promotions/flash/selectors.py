"""Flash-sale reads for pages and other apps: the offer a product page shows, the sessions
of the "flash sales now" page, and the back office's live counters. Units left come from the
database (the truth); Redis only decides faster."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, Q, Sum

from circlemart.catalog import selectors as catalog_selectors
from circlemart.core import clock
from circlemart.core.text import localized
from circlemart.promotions.flash.contracts import FlashOffer, FlashSessionView
from circlemart.promotions.flash.models import FlashItem, FlashPurchase, FlashSession

UPCOMING_DAYS = 7


def _offers(items: Iterable[FlashItem], now: datetime) -> list[FlashOffer]:
    items = list(items)
    skus = catalog_selectors.skus_for_sale(item.sku_id for item in items)
    offers = []
    for item in items:
        sku = skus.get(item.sku_id)
        if sku is None or not sku.is_sellable:
            continue
        offers.append(
            FlashOffer(
                item_id=item.pk,
                session_id=item.session_id,
                session_name=item.session.name,
                sku_id=item.sku_id,
                product_id=sku.product_id,
                title=localized(sku.title, sku.title_en),
                cover=sku.cover,
                sku_options=sku.options,
                flash_price=item.flash_price,
                list_price=sku.price,
                currency=sku.currency,
                starts_at=item.session.starts_at,
                ends_at=item.session.ends_at,
                is_live=item.session.starts_at <= now < item.session.ends_at,
                flash_stock=item.flash_stock,
                remaining=max(item.flash_stock - item.sold, 0),
                per_user_limit=item.per_user_limit,
            )
        )
    return offers


def _visible(now: datetime) -> Q:
    return Q(
        session__is_active=True,
        session__ends_at__gt=now,
        session__starts_at__lte=now + timedelta(days=UPCOMING_DAYS),
    )


def flash_offer_for_product(product_id: int) -> FlashOffer | None:
    """The product's flash offer to show: a live one first (the earliest-ending), else the
    next to start. None when the product has none (one query, plus one for its SKUs)."""
    now = clock.now()
    items = (
        FlashItem.objects.filter(_visible(now), sku__product_id=product_id)
        .select_related("session")
        .order_by("session__starts_at", "session__ends_at", "pk")
    )
    offers = _offers(items, now)
    live = [offer for offer in offers if offer.is_live]
    if live:
        return min(live, key=lambda offer: (offer.ends_at, offer.item_id))
    return offers[0] if offers else None


def flash_offer(item_id: int) -> FlashOffer | None:
    now = clock.now()
    items = FlashItem.objects.filter(pk=item_id, session__is_active=True).select_related("session")
    offers = _offers(items, now)
    return offers[0] if offers else None


def flash_sessions_now() -> list[FlashSessionView]:
    """Live sessions (ending soonest first), then those starting within a week."""
    now = clock.now()
    sessions = list(
        FlashSession.objects.filter(
            is_active=True, ends_at__gt=now, starts_at__lte=now + timedelta(days=UPCOMING_DAYS)
        ).order_by("starts_at", "pk")
    )
    items = FlashItem.objects.filter(session__in=sessions).select_related("session")
    by_session: dict[int, list[FlashOffer]] = {}
    for offer in _offers(items.order_by("session_id", "pk"), now):
        by_session.setdefault(offer.session_id, []).append(offer)
    views = [
        FlashSessionView(
            session_id=session.pk,
            name=session.name,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            is_live=session.starts_at <= now < session.ends_at,
            offers=by_session.get(session.pk, []),
        )
        for session in sessions
    ]
    return sorted(views, key=lambda view: (not view.is_live, view.starts_at, view.session_id))


def flash_counters(item_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """item id → sold (held + paid, the item's counter), held, paid, released units and the
    number of orders, for the back office."""
    ids = list(item_ids)
    rows = (
        FlashPurchase.objects.filter(item_id__in=ids)
        .values("item_id")
        .annotate(
            held=Sum("quantity", filter=Q(status=FlashPurchase.Status.HELD), default=0),
            paid=Sum("quantity", filter=Q(status=FlashPurchase.Status.PAID), default=0),
            released=Sum("quantity", filter=Q(status=FlashPurchase.Status.RELEASED), default=0),
            orders=Count("pk", filter=~Q(status=FlashPurchase.Status.RELEASED)),
        )
    )
    counters = {item_id: {"held": 0, "paid": 0, "released": 0, "orders": 0} for item_id in ids}
    for row in rows:
        counters[row["item_id"]] = {
            key: int(row[key]) for key in ("held", "paid", "released", "orders")
        }
    for item_id, sold in FlashItem.objects.filter(pk__in=ids).values_list("pk", "sold"):
        counters[item_id]["sold"] = sold
    return counters
