"""Writes of the points mall: redeeming an item for points, and the fulfilment steps operators
take on a gift (ship, deliver, cancel).

A redemption is one transaction, keyed per request: the redemption row first (its unique key
makes a copy of the request wait, then answer the first), then the per-user count and the
item's stock (conditional UPDATEs), the points (`points_spend`, refused when short) and, for a
coupon, the coupon itself (`reward_grant`). Any refusal rolls everything back: a short balance
or no stock writes nothing."""

from __future__ import annotations

import json

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from circlemart.accounts import selectors as account_selectors
from circlemart.core import clock
from circlemart.core.errors import Conflict, NotFound, ValidationFailed
from circlemart.growth import rewards
from circlemart.growth.contracts import Reward, RewardKind
from circlemart.growth.mall import errors
from circlemart.growth.mall.contracts import Fulfilment, ItemKind, RedemptionView
from circlemart.growth.mall.models import MallHolding, MallItem, MallRedemption
from circlemart.growth.mall.selectors import redemption_view
from circlemart.growth.points import services as points_services


def _key(user_id: int, idempotency_key: str) -> str:
    if not idempotency_key or len(idempotency_key) > 128:
        raise ValidationFailed(
            _("An idempotency key of 1–128 characters is required."),
            code="invalid_idempotency_key",
            field="idempotency_key",
        )
    return f"mall:{user_id}:{idempotency_key}"


def _available_item(item_id: int) -> MallItem:
    item = MallItem.objects.filter(pk=item_id, is_active=True).first()
    if item is None:
        raise NotFound(
            _("This item is not in the mall."), code=errors.ITEM_NOT_FOUND, field="item_id"
        )
    now = clock.now()
    if (item.starts_at is not None and item.starts_at > now) or (
        item.ends_at is not None and item.ends_at <= now
    ):
        raise Conflict(
            _("This item cannot be redeemed now."),
            code=errors.ITEM_NOT_AVAILABLE,
            field="item_id",
        )
    return item


def _sold_out() -> Conflict:
    return Conflict(_("Sold out."), code=errors.SOLD_OUT, field="item_id")


def _limit_reached(item: MallItem) -> Conflict:
    return Conflict(
        _("You can redeem this item at most %(limit)d times.") % {"limit": item.per_user_limit},
        code=errors.LIMIT_REACHED,
        field="item_id",
    )


def _address(item: MallItem, *, user_id: int, address_id: int | None) -> str:
    if item.kind != ItemKind.PRODUCT:
        return ""
    if address_id is None:
        raise ValidationFailed(
            _("Choose where to send the gift."), code=errors.ADDRESS_REQUIRED, field="address_id"
        )
    snapshot = account_selectors.address_snapshot(user_id=user_id, address_id=address_id)
    if snapshot is None:
        raise NotFound(_("Address not found."), code=errors.ADDRESS_NOT_FOUND, field="address_id")
    return json.dumps(snapshot, ensure_ascii=False)


def _take_holding(item: MallItem, user_id: int) -> None:
    MallHolding.objects.get_or_create(user_id=user_id, item=item)
    taken = MallHolding.objects.filter(
        user_id=user_id, item=item, count__lt=item.per_user_limit
    ).update(count=F("count") + 1)
    if not taken:
        raise _limit_reached(item)


def _take_stock(item: MallItem) -> None:
    rows = MallItem.objects.filter(pk=item.pk)
    if item.stock is not None:
        rows = rows.filter(redeemed_count__lt=F("stock"))
    if not rows.update(redeemed_count=F("redeemed_count") + 1):
        raise _sold_out()


def _existing(key: str) -> MallRedemption | None:
    return MallRedemption.objects.filter(idempotency_key=key).first()


def mall_redeem(
    *, user_id: int, item_id: int, idempotency_key: str, address_id: int | None = None
) -> RedemptionView:
    """Redeem one item for its points. Refusals write nothing: 404 mall_item_not_found /
    address_not_found, 400 address_required, 409 mall_item_not_available / mall_sold_out /
    mall_limit_reached / insufficient_points (or the coupon's own 409). A repeated key answers
    the first redemption (was_new=False)."""
    key = _key(user_id, idempotency_key)
    existing = _existing(key)
    if existing is not None:
        return redemption_view(existing, was_new=False)
    item = _available_item(item_id)
    address = _address(item, user_id=user_id, address_id=address_id)
    if item.stock is not None and item.redeemed_count >= item.stock:
        raise _sold_out()  # the usual answer early; the conditional UPDATE below decides
    now = clock.now()
    try:
        with transaction.atomic():
            redemption = MallRedemption.objects.create(
                user_id=user_id,
                item=item,
                kind=item.kind,
                item_name=item.name,
                points=item.points_price,
                status=Fulfilment.ISSUED if item.kind == ItemKind.COUPON else Fulfilment.PENDING,
                address=address,
                idempotency_key=key,
                created_at=now,
                updated_at=now,
            )
            _take_holding(item, user_id)
            entry = points_services.points_spend(
                user_id=user_id,
                amount=item.points_price,
                reason="mall_redeem",
                reference=f"mall:{redemption.pk}",
                idempotency_key=f"mall-redeem:{redemption.pk}",
            )
            redemption.points_entry_id = entry.pk
            # The item's row is the hot one: locked last, for the shortest time.
            _take_stock(item)
            if item.kind == ItemKind.COUPON:
                assert item.coupon_template_id is not None  # the kind's CHECK constraint
                paid = rewards.reward_grant(
                    user_id=user_id,
                    reward=Reward(
                        kind=RewardKind.COUPON, coupon_template_id=item.coupon_template_id
                    ),
                    reason="mall_redeem",
                    reference=f"mall:{redemption.pk}",
                    idempotency_key=f"mall-redeem:{redemption.pk}",
                )
                redemption.user_coupon_id = paid.user_coupon_id
            redemption.save(update_fields=["points_entry_id", "user_coupon_id"])
    except IntegrityError:
        # A copy of this request with the same key won the unique index: answer its result.
        existing = _existing(key)
        if existing is None:
            raise
        return redemption_view(existing, was_new=False)
    return redemption_view(redemption, was_new=True)


def _bad_step() -> Conflict:
    return Conflict(
        _("This redemption cannot take that step now."),
        code=errors.BAD_TRANSITION,
        field="status",
    )


def _step(redemption_id: int, *, source: Fulfilment, target: Fulfilment, **fields: str) -> None:
    moved = MallRedemption.objects.filter(
        pk=redemption_id, kind=ItemKind.PRODUCT, status=source
    ).update(status=target, updated_at=clock.now(), **fields)
    if not moved:
        raise _bad_step()


def mall_redemption_ship(*, redemption_id: int, tracking_number: str) -> None:
    """A pending gift leaves the warehouse (tracking number required)."""
    tracking_number = tracking_number.strip()
    if not tracking_number or len(tracking_number) > 40:
        raise ValidationFailed(
            _("Enter the tracking number (at most 40 characters)."),
            code="invalid_tracking_number",
            field="tracking_number",
        )
    _step(
        redemption_id,
        source=Fulfilment.PENDING,
        target=Fulfilment.SHIPPED,
        tracking_number=tracking_number,
    )


def mall_redemption_deliver(*, redemption_id: int) -> None:
    _step(redemption_id, source=Fulfilment.SHIPPED, target=Fulfilment.DELIVERED)


def mall_redemption_cancel(*, redemption_id: int) -> None:
    """Cancel a gift not yet shipped: its points come back to the shopper (into the lots they
    came from), the stock and the shopper's count for the item are given back. Once."""
    with transaction.atomic():
        redemption = (
            MallRedemption.objects.select_for_update()
            .filter(pk=redemption_id, kind=ItemKind.PRODUCT)
            .first()
        )
        if redemption is None or redemption.status != Fulfilment.PENDING:
            raise _bad_step()
        MallRedemption.objects.filter(pk=redemption.pk).update(
            status=Fulfilment.CANCELLED, updated_at=clock.now()
        )
        if redemption.points_entry_id is not None:
            points_services.points_return(
                spend_entry_id=redemption.points_entry_id,
                amount=redemption.points,
                reason="mall_cancelled",
                idempotency_key=f"mall-cancel:{redemption.pk}",
            )
        MallHolding.objects.filter(
            user_id=redemption.user_id, item_id=redemption.item_id, count__gt=0
        ).update(count=F("count") - 1)
        MallItem.objects.filter(Q(pk=redemption.item_id) & Q(redeemed_count__gt=0)).update(
            redeemed_count=F("redeemed_count") - 1
        )
