"""Orders placed in a room: the buy sheet puts `{"source": "live:<room id>"}` in the order's
attribution; once paid, the order is counted in the room (RoomOrder, unique by order number)
and announced with an `order` frame naming the buyer only by a masked nickname."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from circlemart.accounts import selectors as accounts
from circlemart.catalog import selectors as catalog
from circlemart.core.events import publish as publish_event
from circlemart.live import events
from circlemart.live.models import MessageKind, Room, RoomOrder
from circlemart.live.realtime.broadcast import publish
from circlemart.orders import selectors as orders

SOURCE_PREFIX = "live:"


def attribution_for(room_id: int) -> dict[str, str]:
    """What the room's buy sheet passes as the order's attribution."""
    return {"source": f"{SOURCE_PREFIX}{room_id}"}


def room_id_of(attribution: dict[str, str]) -> int | None:
    source = attribution.get("source", "")
    if not source.startswith(SOURCE_PREFIX):
        return None
    value = source.removeprefix(SOURCE_PREFIX)
    return int(value) if value.isdigit() else None


def mask_name(name: str) -> str:
    """ "小红书达人" → "小***人"; a one- or two-character name keeps its first character."""
    name = name.strip()
    if not name:
        return _("A shopper")
    if len(name) <= 2:
        return f"{name[0]}*"
    return f"{name[0]}***{name[-1]}"


def room_order_record(*, order_number: str, paid_at: datetime) -> bool:
    """Count a paid order in its room, once; True when this call counted it. Orders without
    a live attribution, or for an unknown room, are ignored."""
    money = orders.order_money(order_number)
    if money is None:
        return False
    room_id = room_id_of(money.attribution)
    if room_id is None or not Room.objects.filter(pk=room_id).exists():
        return False
    if RoomOrder.objects.filter(order_number=order_number).exists():
        return False
    product_ids = list(dict.fromkeys(line.product_id for line in money.lines))
    cards = catalog.product_cards(product_ids[:1]) if product_ids else []
    title = cards[0].title if cards else ""
    if len(product_ids) > 1:
        title = _("%(title)s and %(count)d more") % {"title": title, "count": len(product_ids) - 1}
    buyer = accounts.user_cards([money.buyer_id]).get(money.buyer_id)
    try:
        with transaction.atomic():
            RoomOrder.objects.create(
                room_id=room_id,
                order_number=order_number,
                buyer_id=money.buyer_id,
                total=money.total,
                currency=money.currency,
                paid_at=money.paid_at or paid_at,
            )
            publish(
                room_id=room_id,
                kind=MessageKind.ORDER,
                payload={
                    "buyer": mask_name(buyer.nickname if buyer else ""),
                    "product_title": title,
                },
            )
            publish_event(
                events.RoomOrderRecorded(
                    room_id=room_id,
                    order_number=order_number,
                    buyer_id=money.buyer_id,
                    total=money.total,
                    currency=money.currency,
                )
            )
    except IntegrityError:  # a concurrent delivery of the same event counted it first
        return False
    return True
