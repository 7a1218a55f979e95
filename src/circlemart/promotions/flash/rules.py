"""The flash sale's pricing rule and commit hook, registered with the price engine at start-up
(apps.ready calls register(); coupons/rules.py lists every promotions rule in order).

  catalogue  60  promotions.flash_price   the flash price (options["flash_item_id"]), when lower
The commit hook promotions.flash takes the flash units inside the order's transaction
(services.flash_units_take)."""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.pricing.contracts import Adjustment, PlacedOrder, PricingContext, Stage
from circlemart.pricing.rules import register_commit_hook, register_rule
from circlemart.promotions.flash import errors, services


class FlashPriceRule:
    """The flash price replaces the unit price of the flash item's line while its session is
    live. A flash item that is not live (or not in the basket) is refused, never silently
    charged at the full price."""

    code = "promotions.flash_price"
    stage = Stage.CATALOGUE
    priority = 60

    def apply(self, context: PricingContext) -> None:
        item_id = services.flash_item_id_of(context.options)
        if item_id is None:
            return
        item = services.flash_item(item_id)
        services.check_window(item, clock.now())
        for index, line in enumerate(context.lines):
            if line.sku_id != item.sku_id:
                continue
            services.check_quantity_limit(item, line.quantity)
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
        raise services.refusal(errors.FLASH_WRONG_ITEM, item=item)


class FlashCommitHook:
    code = "promotions.flash"

    def on_order_placed(self, placed: PlacedOrder) -> None:
        services.flash_units_take(placed)


RULE = FlashPriceRule()
COMMIT_HOOK = FlashCommitHook()


def register() -> None:
    register_rule(RULE)
    register_commit_hook(COMMIT_HOOK)
