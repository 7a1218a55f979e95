"""Coupons' pricing rules and commit hook, registered with the price engine at start-up.

Stage and priority of every promotions rule (the documented order — calculation.py explains
the stacking policy; each mechanism registers its own from its rules.py):
  catalogue  50  promotions.member_price       member price by level, when lower
  catalogue  60  promotions.flash_price        the flash price (options["flash_item_id"]), when
                                               lower; flash orders take no member price above it
                                               (flash/rules.py)
  catalogue  65  promotions.group_price        the group price (options["group_deal_id"] opens a
                                               group, options["group_id"] joins one; the leader
                                               price for a leader), when lower (group/rules.py)
  catalogue  70  promotions.bargain_price      the bargain's current price (options["bargain_id"],
                                               the starter, one unit), when lower (bargain/rules.py)
  order     100  promotions.threshold          满减 / 满折 across the basket, automatic
  order     200  promotions.coupons            the chosen coupons (options["coupon_ids"])
  shipping  100  promotions.free_shipping      free-shipping coupons
The commit hook promotions.coupons uses up the applied coupons inside the order's
transaction; promotions.flash takes the flash units there (flash/services.py); promotions.group
makes the group or takes the seat there and holds the order from shipping (group/services.py)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.pricing.contracts import PlacedOrder, PricingContext, Stage
from circlemart.pricing.rules import register_commit_hook, register_rule
from circlemart.promotions.coupons import calculation, errors, selectors, services
from circlemart.promotions.coupons.calculation import FIELD
from circlemart.promotions.coupons.contracts import CouponKind


def coupon_ids_of(options: dict[str, Any]) -> list[int]:
    """options["coupon_ids"]: user coupon ids (ints or digit strings); blanks are no choice."""
    raw = options.get("coupon_ids")
    if raw in (None, "", []):
        return []
    if isinstance(raw, int | str):
        raw = [raw]
    if not isinstance(raw, list | tuple):
        raise ValidationFailed(
            _("Choose coupons from your coupons."), code=errors.INVALID_COUPON_IDS, field=FIELD
        )
    chosen: list[int] = []
    for value in raw:
        if value in (None, ""):
            continue
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and value.isdigit())
        ):
            raise ValidationFailed(
                _("Choose coupons from your coupons."),
                code=errors.INVALID_COUPON_IDS,
                field=FIELD,
            )
        if int(value) not in chosen:
            chosen.append(int(value))
    if len(chosen) > calculation.MAX_COUPONS:
        raise ValidationFailed(
            _("Choose at most %(count)d coupons.") % {"count": calculation.MAX_COUPONS},
            code=errors.INVALID_COUPON_IDS,
            field=FIELD,
        )
    return chosen


def chosen_coupons(context: PricingContext) -> list[Any]:
    ids = coupon_ids_of(context.options)
    if not ids:
        return []
    if context.buyer_id is None:
        raise ValidationFailed(
            _("Sign in to use coupons."), code=errors.COUPON_SIGN_IN, field=FIELD
        )
    found = selectors.coupon_terms(owner_id=context.buyer_id, user_coupon_ids=ids)
    missing = [coupon_id for coupon_id in ids if coupon_id not in found]
    if missing:  # someone else's coupon reads exactly like a missing one
        raise NotFound(
            _("This coupon is not among your coupons."),
            code=errors.COUPON_NOT_FOUND,
            field=FIELD,
            extra={"coupon_id": missing[0]},
        )
    return [found[coupon_id] for coupon_id in ids]


class MemberPriceRule:
    code = "promotions.member_price"
    stage = Stage.CATALOGUE
    priority = 50

    def apply(self, context: PricingContext) -> None:
        if context.buyer_id is None:
            return
        level = selectors.member_level(context.buyer_id)
        if level is None:
            return
        prices = selectors.member_prices(
            level=level, sku_ids=[line.sku_id for line in context.lines]
        )
        if prices:
            calculation.apply_member_prices(context, level=level, prices=prices)


class ThresholdDiscountRule:
    code = "promotions.threshold"
    stage = Stage.ORDER
    priority = 100

    def apply(self, context: PricingContext) -> None:
        thresholds = selectors.active_thresholds()
        if thresholds:
            calculation.apply_thresholds(context, thresholds)


class CouponRule:
    code = "promotions.coupons"
    stage = Stage.ORDER
    priority = 200

    def apply(self, context: PricingContext) -> None:
        coupons = chosen_coupons(context)
        if not coupons:
            return
        assert context.buyer_id is not None
        is_new = (
            selectors.is_new_buyer(context.buyer_id)
            if any(terms.is_new_users_only for terms in coupons)
            else True
        )
        covered = calculation.validate_coupons(
            context, coupons, now=clock.now(), is_new_buyer=is_new
        )
        calculation.apply_order_coupons(context, coupons, covered)


class FreeShippingCouponRule:
    """The order-stage rule already refused any invalid choice; this one only waives the fee."""

    code = "promotions.free_shipping"
    stage = Stage.SHIPPING
    priority = 100

    def apply(self, context: PricingContext) -> None:
        if context.shipping_fee <= 0:
            return
        ids = coupon_ids_of(context.options)
        if not ids or context.buyer_id is None:
            return
        found = selectors.coupon_terms(owner_id=context.buyer_id, user_coupon_ids=ids)
        calculation.apply_free_shipping(
            context, [terms for terms in found.values() if terms.kind == CouponKind.FREE_SHIPPING]
        )


class CouponCommitHook:
    code = "promotions.coupons"

    def on_order_placed(self, placed: PlacedOrder) -> None:
        services.coupons_use_for_order(placed)


RULES = (
    MemberPriceRule(),
    ThresholdDiscountRule(),
    CouponRule(),
    FreeShippingCouponRule(),
)
COMMIT_HOOK = CouponCommitHook()


def register() -> None:
    for rule in RULES:
        register_rule(rule)
    register_commit_hook(COMMIT_HOOK)
