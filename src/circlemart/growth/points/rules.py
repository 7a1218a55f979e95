"""Points at checkout, registered with the price engine at start-up.

  order  300  growth.points  options["points"]: the points the shopper asks to use. Runs after
                             the threshold discounts (100) and coupons (200), on the goods they
                             left; the server decides how many are used (see calculation.py).
The commit hook growth.points spends them inside the order's transaction (points/orders.py):
a balance that fell short since the quote refuses the order and nothing is written."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from circlemart.core.errors import ValidationFailed
from circlemart.growth.points import calculation, selectors
from circlemart.growth.points import orders as points_orders
from circlemart.pricing.contracts import PlacedOrder, PricingContext, Stage
from circlemart.pricing.rules import allocate_discount, register_commit_hook, register_rule

FIELD = "points"
INVALID_POINTS = "invalid_points"
POINTS_SIGN_IN = "points_sign_in"


def points_requested(options: dict[str, Any]) -> int:
    """options["points"]: a whole number ≥ 0 (a digit string from a form is read as one);
    blank or missing is 0. Anything else is a 400 on `points`."""
    raw = options.get(FIELD)
    if raw in (None, ""):
        return 0
    if isinstance(raw, str) and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ValidationFailed(
            _("Points must be a whole number, zero or more."), code=INVALID_POINTS, field=FIELD
        )
    return raw


class PointsRule:
    code = selectors.CHECKOUT_RULE
    stage = Stage.ORDER
    priority = 300

    def apply(self, context: PricingContext) -> None:
        requested = points_requested(context.options)
        if requested == 0:
            return
        if context.buyer_id is None:
            raise ValidationFailed(_("Sign in to use points."), code=POINTS_SIGN_IN, field=FIELD)
        usable = calculation.usable_at_checkout(
            requested=requested,
            spendable=selectors.points_spendable(context.buyer_id),
            goods=context.subtotal,
            points_per_yuan=settings.POINTS_PER_YUAN,
            max_percent=settings.POINTS_MAX_PERCENT_PER_ORDER,
        )
        if usable.points <= 0:
            return
        allocate_discount(
            context,
            amount=usable.amount,
            rule=f"{selectors.ADJUSTMENT_PREFIX}{usable.points}",
            label=_("Points: %(points)s used") % {"points": f"{usable.points:,}"},
            stage=Stage.ORDER,
        )


class PointsCommitHook:
    code = selectors.CHECKOUT_RULE

    def on_order_placed(self, placed: PlacedOrder) -> None:
        points_orders.points_spend_for_order(placed)


RULE = PointsRule()
COMMIT_HOOK = PointsCommitHook()


def register() -> None:
    register_rule(RULE)
    register_commit_hook(COMMIT_HOOK)


register()  # imported by growth.rules from the app's ready()
