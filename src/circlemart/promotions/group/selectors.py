"""Group-buy reads for pages, the API and the back office: live deals (a product's, or all),
a group with its members as anyone may see them, the open groups a product page lists, a
user's groups, and each deal's live counters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q

from circlemart.accounts import selectors as account_selectors
from circlemart.catalog import selectors as catalog_selectors
from circlemart.core import clock
from circlemart.core.text import localized
from circlemart.promotions.group.contracts import (
    GroupDealCounters,
    GroupDealView,
    GroupMemberView,
    GroupView,
)
from circlemart.promotions.group.models import Group, GroupDeal, GroupMember

G = Group.Status
M = GroupMember.Status
OPEN_GROUPS_SHOWN = 10
LIVE_MEMBER = ~Q(status=M.RELEASED)


def _deal_views(deals: Iterable[GroupDeal], now: datetime) -> list[GroupDealView]:
    deals = list(deals)
    skus = catalog_selectors.skus_for_sale(deal.sku_id for deal in deals)
    counts = group_deal_counters(deal.pk for deal in deals)
    views = []
    for deal in deals:
        sku = skus.get(deal.sku_id)
        if sku is None or not sku.is_sellable:
            continue
        counters = counts[deal.pk]
        views.append(
            GroupDealView(
                deal_id=deal.pk,
                name=deal.name,
                sku_id=deal.sku_id,
                product_id=sku.product_id,
                title=localized(sku.title, sku.title_en),
                cover=sku.cover,
                sku_options=sku.options,
                group_price=deal.group_price,
                leader_price=deal.leader_price,
                list_price=sku.price,
                currency=sku.currency,
                group_size=deal.group_size,
                time_limit_minutes=deal.time_limit_minutes,
                max_quantity=deal.max_quantity,
                starts_at=deal.starts_at,
                ends_at=deal.ends_at,
                is_live=deal.starts_at <= now < deal.ends_at,
                groups_open=counters.open,
                groups_succeeded=counters.succeeded,
            )
        )
    return views


def live_deals(*, product_id: int | None = None) -> list[GroupDealView]:
    """Deals open for new groups now, ending soonest first."""
    now = clock.now()
    query = GroupDeal.objects.filter(is_active=True, starts_at__lte=now, ends_at__gt=now)
    if product_id is not None:
        query = query.filter(sku__product_id=product_id)
    return _deal_views(query.order_by("ends_at", "pk"), now)


def deal(deal_id: int) -> GroupDealView | None:
    views = _deal_views(GroupDeal.objects.filter(pk=deal_id, is_active=True), clock.now())
    return views[0] if views else None


def _group_view(group: Group, *, viewer_id: int | None, now: datetime) -> GroupView:
    members = [m for m in group.members.all() if m.status != M.RELEASED]
    cards = account_selectors.user_cards([m.user_id for m in members] + [group.leader_id])
    mine = next((m for m in members if viewer_id is not None and m.user_id == viewer_id), None)
    leader = cards.get(group.leader_id)
    is_open = group.status == G.OPEN and group.expires_at is not None and group.expires_at > now
    return GroupView(
        group_id=group.pk,
        deal_id=group.deal_id,
        status=group.status,
        status_label=str(G(group.status).label),
        size=group.size,
        paid_count=group.paid_count,
        seats_taken=group.seats_taken,
        seats_left=max(group.size - group.seats_taken, 0),
        filled_by_system=group.filled_by_system,
        leader_id=group.leader_id,
        leader_nickname=leader.nickname if leader else "",
        leader_avatar_url=leader.avatar_url if leader else "",
        opened_at=group.opened_at,
        expires_at=group.expires_at,
        finished_at=group.finished_at,
        members=[
            GroupMemberView(
                user_id=m.user_id,
                nickname=cards[m.user_id].nickname if m.user_id in cards else "",
                avatar_url=cards[m.user_id].avatar_url if m.user_id in cards else "",
                role=m.role,
                is_paid=m.status in (M.PAID, M.REFUNDING, M.REFUNDED),
            )
            for m in members
        ],
        viewer_status=mine.status if mine else "",
        # Your own order number only: another member's is never shown.
        viewer_order_number=mine.order_number if mine else "",
        may_join=is_open and mine is None and group.seats_taken < group.size,
    )


def group(group_id: int, *, viewer_id: int | None = None) -> GroupView | None:
    row = (
        Group.objects.filter(pk=group_id, deal__is_active=True).prefetch_related("members").first()
    )
    if row is None or (row.status == G.PENDING and row.leader_id != viewer_id):
        return None  # a group nobody but its leader may see yet
    return _group_view(row, viewer_id=viewer_id, now=clock.now())


def open_groups(
    *, deal_ids: Iterable[int], viewer_id: int | None = None, limit: int = OPEN_GROUPS_SHOWN
) -> list[GroupView]:
    """Open groups of these deals with seats left, the ones closest to filling (then to
    their deadline) first: what a product page offers to join."""
    now = clock.now()
    rows = (
        Group.objects.filter(deal_id__in=list(deal_ids), status=G.OPEN, expires_at__gt=now)
        .filter(seats_taken__lt=F("size"))
        .prefetch_related("members")
        .order_by("-seats_taken", "expires_at", "pk")[:limit]
    )
    return [_group_view(row, viewer_id=viewer_id, now=now) for row in rows]


def groups_of_user(user_id: int, *, limit: int = 50) -> list[GroupView]:
    ids = list(
        GroupMember.objects.filter(LIVE_MEMBER, user_id=user_id)
        .order_by("-group_id")
        .values_list("group_id", flat=True)[:limit]
    )
    now = clock.now()
    rows = Group.objects.filter(pk__in=ids).prefetch_related("members").order_by("-pk")
    return [_group_view(row, viewer_id=user_id, now=now) for row in rows]


def group_of_order(order_number: str) -> int | None:
    return (
        GroupMember.objects.filter(order_number=order_number)
        .values_list("group_id", flat=True)
        .first()
    )


def group_deal_counters(deal_ids: Iterable[int]) -> dict[int, GroupDealCounters]:
    """deal id → groups by status and members paid/refunded, for the back office."""
    ids = list(deal_ids)
    groups = (
        Group.objects.filter(deal_id__in=ids)
        .values("deal_id")
        .annotate(
            **{status: Count("pk", filter=Q(status=status)) for status in G.values},
        )
    )
    members = (
        GroupMember.objects.filter(group__deal_id__in=ids)
        .values("group__deal_id")
        .annotate(
            paid=Count("pk", filter=Q(status=M.PAID)),
            refunded=Count("pk", filter=Q(status=M.REFUNDED)),
        )
    )
    paid = {row["group__deal_id"]: (row["paid"], row["refunded"]) for row in members}
    counters = {deal_id: GroupDealCounters(deal_id=deal_id) for deal_id in ids}
    for found in groups:
        row: dict[str, Any] = dict(found)
        deal_id = int(row["deal_id"])
        members_paid, members_refunded = paid.get(deal_id, (0, 0))
        by_status: dict[str, Any] = {status: int(row[status]) for status in G.values}
        counters[deal_id] = GroupDealCounters(
            deal_id=deal_id,
            members_paid=members_paid,
            members_refunded=members_refunded,
            **by_status,
        )
    return counters
