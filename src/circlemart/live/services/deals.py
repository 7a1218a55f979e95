"""Selling in the room: the pinned ("now explaining") product, live-only coupons (created as
non-public promotions campaigns, dropped into the room, claimed exactly: N coupons give N
claims through promotions' conditional UPDATE), in-room flash deals (promotions.flash items)
and announcements. Changes to the room need its host or staff; announcements any moderator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from circlemart.catalog import selectors as catalog
from circlemart.core import clock
from circlemart.core.errors import Conflict, NotFound, ValidationFailed
from circlemart.live import errors
from circlemart.live.models import MessageKind, Room, RoomCoupon, RoomProduct, RoomState
from circlemart.live.realtime.broadcast import publish
from circlemart.live.selectors import rooms as selectors
from circlemart.live.services.rooms import check_moderator, pin_locked, room_for_manager
from circlemart.moderation import services as moderation
from circlemart.moderation.contracts import Action
from circlemart.promotions.coupons import services as coupons
from circlemart.promotions.coupons.contracts import CouponRef
from circlemart.promotions.flash import selectors as flash_selectors
from circlemart.promotions.flash import services as flash

ON_AIR = (RoomState.LIVE, RoomState.PAUSED)
ANNOUNCEMENT_MAX = 200
COUPON_NAME_MAX = 60
COUPON_QUANTITY_MAX = 100_000
COUPON_AMOUNT_MAX = 10_000_000  # minor units
FLASH_MINUTES_MAX = 180
FLASH_QUANTITY_MAX = 100_000


def _not_live(state: str = "") -> Conflict:
    return Conflict(
        _("The room is not live."),
        code=errors.ROOM_NOT_LIVE,
        field="state",
        extra={"state": state} if state else None,
    )


def _check_on_air(room: Room, states: tuple[RoomState, ...] = ON_AIR) -> None:
    if room.state not in states:
        raise _not_live(room.state)


def _check_product_in_room(room_id: int, product_id: int) -> None:
    if not RoomProduct.objects.filter(room_id=room_id, product_id=product_id).exists():
        raise ValidationFailed(
            _("This product is not in the room's list."),
            code=errors.PRODUCT_NOT_IN_ROOM,
            field="product_id",
        )


# --- pinned product ---------------------------------------------------------------------------


def room_pin_product(*, actor_id: int, room_id: int, product_id: int | None) -> None:
    """Pin a product of the room's list ("now explaining"), or unpin with None: a `pin` frame
    with the product card (or null) reaches every viewer."""
    room = room_for_manager(actor_id=actor_id, room_id=room_id)
    _check_on_air(room)
    card = None
    if product_id is not None:
        _check_product_in_room(room.pk, product_id)
        card = selectors.product_card(product_id)
        if card is None:
            raise ValidationFailed(
                _("This product is not on sale."),
                code=errors.PRODUCT_NOT_AVAILABLE,
                field="product_id",
            )
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(pk=room.pk)
        _check_on_air(locked)
        pin_locked(locked, product=card, actor_id=actor_id)


# --- live coupons -----------------------------------------------------------------------------


def room_coupon_create(
    *,
    actor_id: int,
    room_id: int,
    name: str,
    amount: int,
    min_spend: int,
    quantity: int,
    valid_days: int = 7,
) -> int:
    """A live-only coupon for the room (not dropped yet); the coupon template's id. Fixed
    amount off, a threshold when min_spend > 0; one per viewer."""
    room = room_for_manager(actor_id=actor_id, room_id=room_id)
    if room.state in (RoomState.ENDED, RoomState.REPLAY):
        raise _not_live(room.state)
    name = moderation.sanitize_text(name or "").replace("\n", " ")
    if not name or len(name) > COUPON_NAME_MAX:
        raise ValidationFailed(
            _("Give the coupon a name of at most %(max)d characters.") % {"max": COUPON_NAME_MAX},
            code=errors.INVALID_COUPON,
            field="name",
        )
    if not 0 < amount <= COUPON_AMOUNT_MAX:
        raise ValidationFailed(
            _("The amount off must be more than zero."), code=errors.INVALID_COUPON, field="amount"
        )
    if min_spend < 0 or (min_spend and min_spend < amount):
        raise ValidationFailed(
            _("The minimum spend must be zero or at least the amount off."),
            code=errors.INVALID_COUPON,
            field="min_spend",
        )
    if not 0 < quantity <= COUPON_QUANTITY_MAX:
        raise ValidationFailed(
            _("Between 1 and %(max)d coupons.") % {"max": COUPON_QUANTITY_MAX},
            code=errors.INVALID_COUPON,
            field="quantity",
        )
    if not 0 < valid_days <= 365:
        raise ValidationFailed(
            _("Valid for 1 to 365 days."), code=errors.INVALID_COUPON, field="valid_days"
        )
    with transaction.atomic():
        template_id = coupons.coupon_template_create_unlisted(
            name=name, amount=amount, min_spend=min_spend, quantity=quantity, valid_days=valid_days
        )
        RoomCoupon.objects.create(room_id=room.pk, coupon_template_id=template_id)
    return template_id


def _room_coupon(room_id: int, template_id: int) -> RoomCoupon:
    row = RoomCoupon.objects.filter(room_id=room_id, coupon_template_id=template_id).first()
    if row is None:
        raise NotFound(
            _("This coupon does not belong to this room."),
            code=errors.COUPON_NOT_IN_ROOM,
            field="coupon_template_id",
        )
    return row


def room_coupon_drop(*, actor_id: int, room_id: int, coupon_template_id: int) -> None:
    """Drop the coupon into the live room: a `coupon` frame; viewers may claim it from now."""
    room = room_for_manager(actor_id=actor_id, room_id=room_id)
    _check_on_air(room, (RoomState.LIVE,))
    _room_coupon(room.pk, coupon_template_id)
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(pk=room.pk)
        _check_on_air(locked, (RoomState.LIVE,))
        RoomCoupon.objects.filter(room_id=room.pk, coupon_template_id=coupon_template_id).update(
            dropped_at=clock.now()
        )
        coupon = selectors.live_coupon(room_id=room.pk, template_id=coupon_template_id)
        if coupon is None:
            raise NotFound(
                _("This coupon does not belong to this room."),
                code=errors.COUPON_NOT_IN_ROOM,
                field="coupon_template_id",
            )
        publish(
            room_id=room.pk,
            kind=MessageKind.COUPON,
            payload={"coupon": coupon.as_payload()},
            user_id=actor_id,
        )


def room_coupon_claim(*, user_id: int, room_id: int, coupon_template_id: int) -> CouponRef:
    """A viewer claims a dropped coupon of a live room. Exact under concurrency (one
    conditional UPDATE on the campaign's quantity). Refusals: 404 room_not_found /
    coupon_not_in_room, 409 room_not_live / coupon_not_dropped / coupon_sold_out /
    coupon_claim_limit."""
    state = selectors.room_state(room_id)
    if state != RoomState.LIVE:
        raise _not_live(state)
    row = _room_coupon(room_id, coupon_template_id)
    if row.dropped_at is None:
        raise Conflict(
            _("This coupon has not been dropped yet."),
            code=errors.COUPON_NOT_DROPPED,
            field="coupon_template_id",
        )
    return coupons.coupon_claim_unlisted(user_id=user_id, template_id=coupon_template_id)


# --- flash deals ------------------------------------------------------------------------------


def room_flash_start(
    *,
    actor_id: int,
    room_id: int,
    product_id: int,
    sku_id: int,
    price: int,
    quantity: int,
    minutes: int,
) -> int:
    """An in-room flash deal on a SKU of a product in the room's list, from now for `minutes`
    (a promotions flash item: bought through flash_buy); a `flash` frame. The item's id."""
    room = room_for_manager(actor_id=actor_id, room_id=room_id)
    _check_on_air(room, (RoomState.LIVE,))
    _check_product_in_room(room.pk, product_id)
    sku = catalog.skus_for_sale([sku_id]).get(sku_id)
    if sku is None or sku.product_id != product_id:
        raise ValidationFailed(
            _("This SKU is not of that product."), code=errors.SKU_NOT_IN_ROOM, field="sku_id"
        )
    if not 0 < minutes <= FLASH_MINUTES_MAX:
        raise ValidationFailed(
            _("A flash deal lasts 1 to %(max)d minutes.") % {"max": FLASH_MINUTES_MAX},
            code=errors.INVALID_FLASH,
            field="minutes",
        )
    if not 0 < quantity <= FLASH_QUANTITY_MAX:
        raise ValidationFailed(
            _("Between 1 and %(max)d units.") % {"max": FLASH_QUANTITY_MAX},
            code=errors.INVALID_FLASH,
            field="quantity",
        )
    now = clock.now()
    ends_at = now + timedelta(minutes=minutes)
    with transaction.atomic():
        item_id = flash.flash_item_create(
            name=_("Live room %(id)d") % {"id": room.pk},
            sku_id=sku_id,
            price=price,
            quantity=quantity,
            starts_at=now,
            ends_at=ends_at,
        )
        offer = flash_selectors.flash_offer(item_id)
        item: dict[str, Any] = {
            "item_id": item_id,
            "product_id": product_id,
            "sku_id": sku_id,
            "title": sku.title,
            "options": sku.options,
            "image_url": sku.cover,
            "price": price,
            "list_price": sku.price,
            "currency": sku.currency,
            "quantity": quantity,
            "remaining": offer.remaining if offer else quantity,
            "per_user_limit": offer.per_user_limit if offer else 1,
            "starts_at": now.isoformat(),
            "ends_at": ends_at.isoformat(),
        }
        publish(room_id=room.pk, kind=MessageKind.FLASH, payload={"item": item}, user_id=actor_id)
    return item_id


# --- announcements ----------------------------------------------------------------------------


def clean_announcement(text: str) -> str:
    text = moderation.sanitize_text(text or "")
    if not text or len(text) > ANNOUNCEMENT_MAX:
        raise ValidationFailed(
            _("An announcement is 1 to %(max)d characters.") % {"max": ANNOUNCEMENT_MAX},
            code=errors.INVALID_ANNOUNCEMENT,
            field="text",
        )
    verdict = moderation.text_screen(text=text, field="text")
    if verdict.action == Action.BLOCK:
        raise ValidationFailed(
            _("This text contains words that are not allowed. Please edit it and try again."),
            code=errors.SENSITIVE_CONTENT,
            field="text",
        )
    return verdict.text  # masked words replaced by *


def room_announce(*, actor_id: int, room_id: int, text: str) -> None:
    """A moderator's announcement to the room (1..200 characters, through the word filter:
    blocked words refuse it, masked words are starred): an `announcement` frame."""
    check_moderator(actor_id=actor_id, room_id=room_id)
    cleaned = clean_announcement(text)
    state = selectors.room_state(room_id)
    if state not in ON_AIR:
        raise _not_live(state)
    publish(
        room_id=room_id,
        kind=MessageKind.ANNOUNCEMENT,
        payload={"text": cleaned},
        user_id=actor_id,
    )
