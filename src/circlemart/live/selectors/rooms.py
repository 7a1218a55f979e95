"""Reads of live rooms, scoped to the viewer: anyone sees public rooms (every state: scheduled,
live, paused, ended, replay); only the host, assistants and staff see management data (the
assistant list). Roles: the host; an assistant; staff = merchant staff or an administrator
(manages every room); a signed-in viewer; an anonymous viewer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from circlemart.accounts import selectors as accounts
from circlemart.accounts.contracts import Role
from circlemart.catalog import selectors as catalog
from circlemart.catalog.contracts import ProductCard
from circlemart.core.errors import NotFound
from circlemart.core.money import Money, babel_locale
from circlemart.live import errors
from circlemart.live.contracts import (
    HostCard,
    LiveCoupon,
    LogMessage,
    RoomCard,
    RoomProductCard,
    RoomRole,
    RoomView,
    Section,
)
from circlemart.live.models import (
    Room,
    RoomAssistant,
    RoomCoupon,
    RoomMessage,
    RoomProduct,
    RoomState,
    ViewerSession,
)
from circlemart.promotions.coupons import selectors as coupons

LIVE_STATES = (RoomState.LIVE, RoomState.PAUSED)
MESSAGES_PAGE = 200


def room_not_found() -> NotFound:
    return NotFound(_("Live room not found."), code=errors.ROOM_NOT_FOUND, field="room_id")


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # the pages helper's URLs may not be mounted (API-only tests)
        return ""


def room_url(room_id: int) -> str:
    return _url("live:room", room_id) or f"/live/{room_id}/"


def is_staff(user_id: int) -> bool:
    """Merchant staff and administrators manage every room."""
    return accounts.user_holds_role(user_id=user_id, role=Role.MERCHANT_STAFF)


def may_host(user_id: int) -> bool:
    """Creators and merchant staff (and administrators) may create rooms."""
    return accounts.user_holds_role(user_id=user_id, role=Role.CREATOR) or accounts.user_holds_role(
        user_id=user_id, role=Role.MERCHANT_STAFF
    )


def _role_of(room: Room, user_id: int | None) -> RoomRole:
    if user_id is None:
        return RoomRole.ANONYMOUS
    if room.host_id == user_id:
        return RoomRole.HOST
    if RoomAssistant.objects.filter(room_id=room.pk, user_id=user_id).exists():
        return RoomRole.ASSISTANT
    if is_staff(user_id):
        return RoomRole.STAFF
    return RoomRole.VIEWER


def room_role(*, room_id: int, user_id: int | None) -> str:
    """ "host" | "assistant" | "staff" | "viewer" | "anonymous"; NotFound for an unknown room."""
    room = Room.objects.filter(pk=room_id).only("id", "host_id").first()
    if room is None:
        raise room_not_found()
    return _role_of(room, user_id).value


def host_card(user_id: int) -> HostCard:
    card = accounts.user_cards([user_id]).get(user_id)
    if card is None:
        return HostCard(id=user_id, name="", avatar_url="")
    return HostCard(id=card.id, name=card.nickname, avatar_url=card.avatar_url)


def _host_cards(user_ids: Iterable[int]) -> dict[int, HostCard]:
    cards = accounts.user_cards(sorted(set(user_ids)))
    return {
        user_id: HostCard(id=card.id, name=card.nickname, avatar_url=card.avatar_url)
        for user_id, card in cards.items()
    }


def _price_display(amount: int, currency: str) -> str:
    return Money(amount, currency).format(babel_locale(get_language()))


def _product_card(card: ProductCard) -> RoomProductCard:
    english = (get_language() or "").startswith("en")
    return RoomProductCard(
        product_id=card.id,
        title=(card.title_en or card.title) if english else card.title,
        image_url=card.cover,
        price=card.price_min,
        currency=card.currency,
        price_display=_price_display(card.price_min, card.currency),
        url=_url("storefront:product", card.id),
        in_stock=card.in_stock,
    )


def product_cards(product_ids: list[int]) -> list[RoomProductCard]:
    """Cards of on-sale products, in this order (missing or hidden ones dropped)."""
    return [_product_card(card) for card in catalog.product_cards(product_ids)]


def product_card(product_id: int) -> RoomProductCard | None:
    cards = product_cards([product_id])
    return cards[0] if cards else None


def room_product_ids(room_id: int) -> list[int]:
    return list(
        RoomProduct.objects.filter(room_id=room_id)
        .order_by("position", "id")
        .values_list("product_id", flat=True)
    )


def viewer_count(room_id: int) -> int:
    """Connections open now (presence)."""
    return ViewerSession.objects.filter(room_id=room_id, left_at__isnull=True).count()


def _viewer_counts(room_ids: list[int]) -> dict[int, int]:
    if not room_ids:
        return {}
    return dict(
        ViewerSession.objects.filter(room_id__in=room_ids, left_at__isnull=True)
        .values("room_id")
        .annotate(count=Count("id"))
        .values_list("room_id", "count")
    )


def room_coupons(
    *, room_id: int, viewer_id: int | None, dropped_only: bool = True
) -> list[LiveCoupon]:
    """The room's live coupons (dropped ones unless told otherwise), newest drop first."""
    rows = RoomCoupon.objects.filter(room_id=room_id)
    if dropped_only:
        rows = rows.filter(dropped_at__isnull=False)
    room_coupons_list = list(rows.order_by("-dropped_at", "-id"))
    terms = coupons.unlisted_coupons(
        template_ids=[row.coupon_template_id for row in room_coupons_list], viewer_id=viewer_id
    )
    english = (get_language() or "").startswith("en")
    result = []
    for row in room_coupons_list:
        term = terms.get(row.coupon_template_id)
        if term is None or not term.is_active:
            continue
        result.append(
            LiveCoupon(
                template_id=term.template_id,
                name=(term.name_en or term.name) if english else term.name,
                amount=term.amount,
                min_spend=term.min_spend,
                remaining=term.remaining,
                quantity=term.quantity,
                dropped_at=row.dropped_at,
                claimed=term.claimed_by_viewer > 0,
            )
        )
    return result


def live_coupon(*, room_id: int, template_id: int) -> LiveCoupon | None:
    for coupon in room_coupons(room_id=room_id, viewer_id=None, dropped_only=False):
        if coupon.template_id == template_id:
            return coupon
    return None


def _cover_url(room: Room) -> str:
    return room.cover.url if room.cover else ""


def room_detail(*, room_id: int, viewer_id: int | None) -> RoomView:
    """The room as this viewer sees it; NotFound for an unknown room."""
    room = Room.objects.filter(pk=room_id).first()
    if room is None:
        raise room_not_found()
    role = _role_of(room, viewer_id)
    product_ids = room_product_ids(room.pk)
    cards = product_cards(product_ids)
    pinned = None
    if room.pinned_product_id is not None:
        pinned = next((c for c in cards if c.product_id == room.pinned_product_id), None)
    assistant_ids: list[int] = []
    if role.is_moderator:
        assistant_ids = list(
            RoomAssistant.objects.filter(room_id=room.pk)
            .order_by("id")
            .values_list("user_id", flat=True)
        )
    return RoomView(
        id=room.pk,
        title=room.title,
        description=room.description,
        cover_url=_cover_url(room),
        video_url=room.video_url,
        replay_url=room.replay_url,
        state=room.state,
        scheduled_start=room.scheduled_start,
        started_at=room.started_at,
        ended_at=room.ended_at,
        host=host_card(room.host_id),
        pinned_product=pinned,
        products=cards,
        coupons=room_coupons(room_id=room.pk, viewer_id=viewer_id),
        like_count=room.like_count,
        last_sequence=room.last_sequence,
        viewers=viewer_count(room.pk),
        slow_mode_seconds=room.slow_mode_seconds,
        peak_viewers=room.peak_viewers,
        role=role.value,
        assistant_ids=assistant_ids,
    )


def _cards(rooms: list[Room]) -> list[RoomCard]:
    hosts = _host_cards(room.host_id for room in rooms)
    viewers = _viewer_counts([room.pk for room in rooms])
    return [
        RoomCard(
            id=room.pk,
            title=room.title,
            cover_url=_cover_url(room),
            state=room.state,
            scheduled_start=room.scheduled_start,
            started_at=room.started_at,
            ended_at=room.ended_at,
            host=hosts.get(room.host_id, HostCard(id=room.host_id, name="", avatar_url="")),
            viewers=viewers.get(room.pk, 0),
            like_count=room.like_count,
            url=room_url(room.pk),
        )
        for room in rooms
    ]


def _section_query(section: Section) -> QuerySet[Room]:
    if section == Section.LIVE:
        return (
            Room.objects.filter(state__in=LIVE_STATES)
            .annotate(
                open_sessions=Count("viewer_sessions", filter=Q(viewer_sessions__left_at=None))
            )
            .order_by("-open_sessions", "-started_at", "-id")
        )
    if section == Section.UPCOMING:
        return Room.objects.filter(state=RoomState.SCHEDULED).order_by("scheduled_start", "id")
    return Room.objects.filter(state=RoomState.REPLAY).order_by("-ended_at", "-id")


def rooms_list(*, section: str, limit: int = 20, host_id: int | None = None) -> list[RoomCard]:
    """Live now (most viewers first), upcoming (soonest first) or replays (latest first)."""
    query = _section_query(Section(section))
    if host_id is not None:
        query = query.filter(host_id=host_id)
    return _cards(list(query[: max(1, min(limit, 100))]))


def host_rooms(*, host_id: int, limit: int = 20) -> list[RoomCard]:
    """A creator's rooms for their profile: live first, then upcoming, then the latest past."""
    order = {RoomState.LIVE: 0, RoomState.PAUSED: 0, RoomState.SCHEDULED: 1}
    rooms = list(Room.objects.filter(host_id=host_id).order_by("-scheduled_start", "-id")[:200])
    rooms.sort(key=lambda room: order.get(RoomState(room.state), 2))
    return _cards(rooms[: max(1, min(limit, 100))])


def room_messages(
    *, room_id: int, after_seq: int = 0, limit: int = MESSAGES_PAGE
) -> list[LogMessage]:
    """The room's log after a sequence number, in order (replay, clients without websockets).
    Deleted chat lines keep their number but lose their text."""
    if not Room.objects.filter(pk=room_id).exists():
        raise room_not_found()
    rows = RoomMessage.objects.filter(room_id=room_id, sequence__gt=after_seq).order_by("sequence")[
        : max(1, min(limit, 1000))
    ]
    return [
        LogMessage(
            seq=row.sequence,
            type=row.kind,
            at=row.created_at,
            data={**row.payload, "text": "", "deleted": True} if row.is_deleted else row.payload,
        )
        for row in rows
    ]


def room_state(room_id: int) -> str:
    state = Room.objects.filter(pk=room_id).values_list("state", flat=True).first()
    if state is None:
        raise room_not_found()
    return str(state)
