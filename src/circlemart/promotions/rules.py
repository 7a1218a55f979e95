"""Promotions' pricing rules and commit hook, registered with the price engine at start-up.

Stage and priority (the documented order — calculation.py explains the stacking policy):
  catalogue  50  promotions.member_price       member price by level, when lower
  catalogue  60  promotions.flash_price        the flash price (options["flash_item_id"]), when
                                               lower; flash orders take no member price above it
  catalogue  65  promotions.group_price        the group price (options["group_deal_id"] opens a
                                               group, options["group_id"] joins one; the leader
                                               price for a leader), when lower
  catalogue  70  promotions.bargain_price      the bargain's current price (options["bargain_id"],
                                               the starter, one unit), when lower (bargain_rules)
  order     100  promotions.threshold          满减 / 满折 across the basket, automatic
  order     200  promotions.coupons            the chosen coupons (options["coupon_ids"])
  shipping  100  promotions.free_shipping      free-shipping coupons
The commit hook promotions.coupons uses up the applied coupons inside the order's
transaction; promotions.flash takes the flash units there (flash_services); promotions.group
makes the group or takes the seat there and holds the order from shipping (group_services)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.pricing.contracts import Adjustment, PlacedOrder, PricingContext, Stage
from circlemart.pricing.rules import register_commit_hook, register_rule
from circlemart.pricing.services import check_quantity
from circlemart.promotions import (
    calculation,
    errors,
    flash_errors,
    flash_services,
    group_errors,
    group_services,
    selectors,
    services,
)
from circlemart.promotions.calculation import FIELD
from circlemart.promotions.contracts import CouponKind


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


class FlashPriceRule:
    """The flash price replaces the unit price of the flash item's line while its session is
    live. A flash item that is not live (or not in the basket) is refused, never silently
    charged at the full price."""

    code = "promotions.flash_price"
    stage = Stage.CATALOGUE
    priority = 60

    def apply(self, context: PricingContext) -> None:
        item_id = flash_services.flash_item_id_of(context.options)
        if item_id is None:
            return
        item = flash_services.flash_item(item_id)
        flash_services.check_window(item, clock.now())
        for index, line in enumerate(context.lines):
            if line.sku_id != item.sku_id:
                continue
            flash_services.check_quantity_limit(item, line.quantity)
            if item.flash_price < line.unit_price:
                saving = (line.unit_price - item.flash_price) * line.quantity
                context.lines[index] = dataclasses.replace(line, unit_price=item.flash_price)
                context.adjustments.append(
                    Adjustment(
                        stage=Stage.CATALOGUE,
                        rule=f"flash:{item.pk}",
                        label=_("Flash sale: %(name)s") % {"name": item.session.name},
                        amount=saving,
                        sku_id=line.sku_id,
                    )
                )
            return
        raise flash_services.refusal(flash_errors.FLASH_WRONG_ITEM, item=item)


class FlashCommitHook:
    code = "promotions.flash"

    def on_order_placed(self, placed: PlacedOrder) -> None:
        flash_services.flash_units_take(placed)


class GroupPriceRule:
    """The group price replaces the unit price of the deal's line. A group-buy order holds
    that one line only; a deal that is not live or a group that cannot be joined is refused
    here already, so the shopper sees why before any order is written."""

    code = "promotions.group_price"
    stage = Stage.CATALOGUE
    priority = 65

    def apply(self, context: PricingContext) -> None:
        choice = group_services.group_choice_of(context.options)
        if choice is None:
            return
        group_services.check_choice(choice, buyer_id=context.buyer_id, now=clock.now())
        if len(context.lines) != 1 or context.lines[0].sku_id != choice.deal.sku_id:
            raise group_services.refusal(group_errors.GROUP_WRONG_ITEM)
        line = context.lines[0]
        check_quantity(line.quantity, limit=choice.deal.max_quantity)
        price = choice.unit_price()
        if price < line.unit_price:
            context.lines[0] = dataclasses.replace(line, unit_price=price)
            context.adjustments.append(
                Adjustment(
                    stage=Stage.CATALOGUE,
                    rule=f"group:{choice.deal.pk}",
                    label=(
                        _("Group buy (leader): %(name)s")
                        if choice.is_leader and choice.deal.leader_price
                        else _("Group buy: %(name)s")
                    )
                    % {"name": choice.deal.name},
                    amount=(line.unit_price - price) * line.quantity,
                    sku_id=line.sku_id,
                )
            )


class GroupCommitHook:
    code = "promotions.group"

    def on_order_placed(self, placed: PlacedOrder) -> None:
        group_services.group_seat_take(placed)


RULES = (
    MemberPriceRule(),
    FlashPriceRule(),
    GroupPriceRule(),
    ThresholdDiscountRule(),
    CouponRule(),
    FreeShippingCouponRule(),
)
COMMIT_HOOK = CouponCommitHook()
FLASH_COMMIT_HOOK = FlashCommitHook()
GROUP_COMMIT_HOOK = GroupCommitHook()


def register() -> None:
    for rule in RULES:
        register_rule(rule)
    register_commit_hook(COMMIT_HOOK)
    register_commit_hook(FLASH_COMMIT_HOOK)
    register_commit_hook(GROUP_COMMIT_HOOK)
