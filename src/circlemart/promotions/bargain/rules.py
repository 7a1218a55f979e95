"""The bargain's pricing rule and commit hook, registered with the price engine at start-up
(apps.ready calls register()).

  catalogue  70  promotions.bargain_price   the bargain's current price for its SKU's line
                                            (options["bargain_id"]; the starter only, one unit,
                                            while the bargain is open), when lower
The commit hook promotions.bargain marks the bargain purchased by the order inside the order's
transaction (services.bargain_purchase_take). Threshold discounts still apply on top,
as for flash prices; a bargain checkout carries no coupons."""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext as _

from circlemart.pricing.contracts import Adjustment, PlacedOrder, PricingContext, Stage
from circlemart.pricing.rules import register_commit_hook, register_rule
from circlemart.promotions.bargain import errors, services


class BargainPriceRule:
    """The bargain's current price replaces the unit price of its SKU's line. A bargain that
    cannot be bought now (someone else's, expired, bought) is refused, never silently charged
    at the full price."""

    code = "promotions.bargain_price"
    stage = Stage.CATALOGUE
    priority = 70

    def apply(self, context: PricingContext) -> None:
        bargain_id = services.bargain_id_of(context.options)
        if bargain_id is None:
            return
        bargain = services.bargain_for_checkout(bargain_id=bargain_id, buyer_id=context.buyer_id)
        for index, line in enumerate(context.lines):
            if line.sku_id != bargain.sku_id:
                continue
            if line.quantity != 1:
                raise services.refusal(errors.BARGAIN_ONE_UNIT)
            if bargain.current_price < line.unit_price:
                context.lines[index] = dataclasses.replace(line, unit_price=bargain.current_price)
                context.adjustments.append(
                    Adjustment(
                        stage=Stage.CATALOGUE,
                        rule=f"bargain:{bargain.pk}",
                        label=_("Bargain: %(name)s") % {"name": bargain.deal.name},
                        amount=line.unit_price - bargain.current_price,
                        sku_id=line.sku_id,
                    )
                )
            return
        raise services.refusal(errors.BARGAIN_WRONG_ITEM)


class BargainCommitHook:
    code = "promotions.bargain"

    def on_order_placed(self, placed: PlacedOrder) -> None:
        services.bargain_purchase_take(placed)


RULE = BargainPriceRule()
COMMIT_HOOK = BargainCommitHook()


def register() -> None:
    register_rule(RULE)
    register_commit_hook(COMMIT_HOOK)
