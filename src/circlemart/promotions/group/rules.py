"""Group buy's pricing rule and commit hook, registered with the price engine at start-up
(apps.ready calls register(); coupons/rules.py lists every promotions rule in order).

  catalogue  65  promotions.group_price   the group price (options["group_deal_id"] opens a
                                          group, options["group_id"] joins one; the leader price
                                          for a leader), when lower
The commit hook promotions.group makes the group or takes the seat inside the order's
transaction and holds the order from shipping (services.group_seat_take)."""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.pricing.contracts import Adjustment, PlacedOrder, PricingContext, Stage
from circlemart.pricing.rules import register_commit_hook, register_rule
from circlemart.pricing.services import check_quantity
from circlemart.promotions.group import errors, services


class GroupPriceRule:
    """The group price replaces the unit price of the deal's line. A group-buy order holds
    that one line only; a deal that is not live or a group that cannot be joined is refused
    here already, so the shopper sees why before any order is written."""

    code = "promotions.group_price"
    stage = Stage.CATALOGUE
    priority = 65

    def apply(self, context: PricingContext) -> None:
        choice = services.group_choice_of(context.options)
        if choice is None:
            return
        services.check_choice(choice, buyer_id=context.buyer_id, now=clock.now())
        if len(context.lines) != 1 or context.lines[0].sku_id != choice.deal.sku_id:
            raise services.refusal(errors.GROUP_WRONG_ITEM)
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
        services.group_seat_take(placed)


RULE = GroupPriceRule()
COMMIT_HOOK = GroupCommitHook()


def register() -> None:
    register_rule(RULE)
    register_commit_hook(COMMIT_HOOK)
