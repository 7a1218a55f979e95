"""Bargain reads for pages, the API and the back office: live deals, one deal, a bargain's
share page (public: prices and the helpers' public faces; the order number for the starter
only), the viewer's live bargain on a deal, and the deals' counters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, Q

from circlemart.accounts import selectors as account_selectors
from circlemart.catalog import selectors as catalog_selectors
from circlemart.core import clock
from circlemart.core.text import localized
from circlemart.promotions.bargain.contracts import (
    LIVE_STATUSES,
    BargainCounters,
    BargainDealView,
    BargainHelper,
    BargainStatus,
    BargainView,
)
from circlemart.promotions.bargain.models import Bargain, BargainDeal


def _deal_views(deals: Iterable[BargainDeal], now: datetime) -> list[BargainDealView]:
    deals = list(deals)
    skus = catalog_selectors.skus_for_sale(deal.sku_id for deal in deals)
    views = []
    for deal in deals:
        sku = skus.get(deal.sku_id)
        if sku is None or not sku.is_sellable:
            continue
        views.append(
            BargainDealView(
                deal_id=deal.pk,
                name=deal.name,
                sku_id=deal.sku_id,
                product_id=sku.product_id,
                title=localized(sku.title, sku.title_en),
                cover=sku.cover,
                sku_options=sku.options,
                list_price=sku.price,
                floor_price=deal.floor_price,
                currency=sku.currency,
                helpers_needed=deal.helpers_needed,
                duration_hours=deal.duration_hours,
                starts_at=deal.starts_at,
                ends_at=deal.ends_at,
                is_live=deal.starts_at <= now < deal.ends_at,
                is_upcoming=now < deal.starts_at,
                buy_only_at_floor=deal.buy_only_at_floor,
            )
        )
    return views


def bargain_deals_live(*, product_id: int | None = None) -> list[BargainDealView]:
    """Deals open for starting bargains now (a product's, or all), ending soonest first (two
    queries)."""
    now = clock.now()
    deals = BargainDeal.objects.filter(is_active=True, starts_at__lte=now, ends_at__gt=now)
    if product_id is not None:
        deals = deals.filter(sku__product_id=product_id)
    return _deal_views(deals.order_by("ends_at", "pk"), now)


def bargain_deal(deal_id: int) -> BargainDealView | None:
    """A switched-on deal, live or not (its page says when it starts or that it ended)."""
    now = clock.now()
    views = _deal_views(BargainDeal.objects.filter(pk=deal_id, is_active=True), now)
    return views[0] if views else None


def live_bargain_of(*, deal_id: int, starter_id: int) -> int | None:
    """The starter's open bargain on a deal, if any."""
    return (
        Bargain.objects.filter(
            deal_id=deal_id,
            starter_id=starter_id,
            status__in=LIVE_STATUSES,
            expires_at__gt=clock.now(),
        )
        .values_list("pk", flat=True)
        .first()
    )


def effective_status(bargain: Bargain, now: datetime) -> str:
    """A live bargain past its window (or of a switched-off deal) is expired already, whether
    or not the sweep has written so yet."""
    if bargain.status in LIVE_STATUSES and (
        now >= bargain.expires_at or not bargain.deal.is_active
    ):
        return str(BargainStatus.EXPIRED)
    return str(bargain.status)


def bargain_view(*, bargain_id: int, viewer_id: int | None) -> BargainView | None:
    """A bargain's share page: four queries whatever the number of helpers."""
    bargain = Bargain.objects.select_related("deal").filter(pk=bargain_id).first()
    if bargain is None:
        return None
    helps = list(bargain.helps.order_by("sequence"))
    cards = account_selectors.user_cards([bargain.starter_id, *(h.helper_id for h in helps)])
    sku = catalog_selectors.skus_for_sale([bargain.sku_id]).get(bargain.sku_id)
    starter = cards.get(bargain.starter_id)
    is_starter = viewer_id is not None and viewer_id == bargain.starter_id
    helpers = []
    for help_row in helps:
        card = cards.get(help_row.helper_id)
        helpers.append(
            BargainHelper(
                sequence=help_row.sequence,
                helper_id=help_row.helper_id,
                nickname=card.nickname if card else "",
                avatar_url=card.avatar_url if card else "",
                cut=help_row.cut,
                helped_at=help_row.helped_at,
            )
        )
    return BargainView(
        bargain_id=bargain.pk,
        deal_id=bargain.deal_id,
        deal_name=bargain.deal.name,
        starter_id=bargain.starter_id,
        starter_nickname=starter.nickname if starter else "",
        sku_id=bargain.sku_id,
        product_id=sku.product_id if sku else 0,
        title=localized(sku.title, sku.title_en) if sku else bargain.deal.name,
        cover=sku.cover if sku else "",
        sku_options=sku.options if sku else {},
        currency=bargain.currency,
        start_price=bargain.start_price,
        current_price=bargain.current_price,
        floor_price=bargain.floor_price,
        helpers_needed=bargain.helpers_needed,
        helpers_count=bargain.helpers_count,
        status=effective_status(bargain, clock.now()),
        started_at=bargain.started_at,
        expires_at=bargain.expires_at,
        buy_only_at_floor=bargain.deal.buy_only_at_floor,
        viewer_is_starter=is_starter,
        viewer_has_helped=viewer_id is not None
        and any(help_row.helper_id == viewer_id for help_row in helps),
        order_number=bargain.order_number if is_starter else "",
        helpers=helpers,
    )


def bargain_counters(deal_ids: Iterable[int]) -> dict[int, BargainCounters]:
    """deal id → started, active (open now), completed (reached the floor), purchased (held by
    an order), paid and expired bargains, in one query."""
    ids = list(deal_ids)
    now = clock.now()
    live = Q(status__in=LIVE_STATUSES)
    rows = (
        Bargain.objects.filter(deal_id__in=ids)
        .values("deal_id")
        .annotate(
            started=Count("pk"),
            active=Count("pk", filter=live & Q(expires_at__gt=now)),
            completed=Count("pk", filter=Q(reached_at__isnull=False)),
            purchased=Count("pk", filter=Q(status=BargainStatus.PURCHASED)),
            paid=Count("pk", filter=Q(status=BargainStatus.PURCHASED, paid_at__isnull=False)),
            expired=Count(
                "pk", filter=Q(status=BargainStatus.EXPIRED) | (live & Q(expires_at__lte=now))
            ),
        )
    )
    counters = {deal_id: BargainCounters() for deal_id in ids}
    for row in rows:
        counters[row["deal_id"]] = BargainCounters(
            started=row["started"],
            active=row["active"],
            completed=row["completed"],
            purchased=row["purchased"],
            paid=row["paid"],
            expired=row["expired"],
        )
    return counters
