"""Level benefits in the price engine, registered at start-up.

  shipping  50  growth.level_free_shipping  members of a level with free shipping pay no
                                            shipping fee (any method), shown as an adjustment;
                                            it runs before free-shipping coupons (100), so a
                                            member's coupon is left for another order.
Member prices are promotions' rule (promotions.member_price): levels set the member's price
level through promotions.coupons.services.member_level_set when the level changes."""

from __future__ import annotations

from django.utils.translation import gettext as _

from circlemart.core.text import localized
from circlemart.growth.levels import selectors
from circlemart.pricing.contracts import Adjustment, PricingContext, Stage
from circlemart.pricing.rules import register_rule

FREE_SHIPPING_RULE = "growth.level_free_shipping"


class LevelFreeShippingRule:
    code = FREE_SHIPPING_RULE
    stage = Stage.SHIPPING
    priority = 50

    def apply(self, context: PricingContext) -> None:
        if context.buyer_id is None or context.shipping_fee <= 0:
            return
        level = selectors.member_level(context.buyer_id)
        if level is None or not level.has_free_shipping:
            return
        name = localized(level.name, level.name_en)
        context.adjustments.append(
            Adjustment(
                stage=Stage.SHIPPING,
                rule=FREE_SHIPPING_RULE,
                label=_("Free shipping for %(level)s members") % {"level": name},
                amount=context.shipping_fee,
            )
        )
        context.shipping_fee = 0


RULE = LevelFreeShippingRule()


def register() -> None:
    register_rule(RULE)


register()  # imported by growth.rules from the app's ready()
