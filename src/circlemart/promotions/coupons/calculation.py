"""The arithmetic of promotions, pure over a PricingContext: member prices, threshold
discounts, coupons. rules.py loads the terms and calls these; the best-coupon search calls
them too, so what checkout preselects is what the quote then charges.

The documented order and stacking policy:
1. catalogue stage — a member price replaces the unit price when lower.
2. order stage, threshold discounts (priority 100) — by (priority, id); a discount applies
   when the lines in its scope not already taken by an earlier discount reach its minimum
   spend / item count; those lines are then taken (one threshold discount per line).
3. order stage, coupons (priority 200) — at most one coupon per stacking group. Thresholds
   and scopes are checked on the goods after step 2, before any coupon, so the order in which
   coupons run never changes which are valid. Fixed and threshold coupons run first, then
   percent coupons on the already-discounted base (capped), each by user coupon id.
4. shipping stage — free-shipping coupons (their own group; they stack with every other
   group) waive the fee left after the free-over-threshold rule.
Every discount is allocated over the lines it covers (rules.allocate_discount), so no line and
no total ever goes below zero and no discount exceeds what it covers."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from circlemart.core.errors import Conflict, DomainError, ValidationFailed
from circlemart.core.money import Money, babel_locale
from circlemart.core.text import localized
from circlemart.pricing.contracts import Adjustment, PricingContext, QuoteLine, Stage
from circlemart.pricing.rules import allocate_discount
from circlemart.promotions.coupons import errors
from circlemart.promotions.coupons.contracts import (
    CouponKind,
    CouponStatus,
    CouponTerms,
    MemberLevelCode,
    ScopeTerms,
    ThresholdTerms,
)

FIELD = "coupon_ids"
MAX_COUPONS = 10
# The best-coupon search tries every combination of at most this many coupons per group.
SEARCH_PER_GROUP = 6


def money(amount: int, currency: str) -> str:
    return Money(amount, currency).format(babel_locale(get_language()))


def coupon_rule(user_coupon_id: int) -> str:
    return f"coupon:{user_coupon_id}"


def coupon_label(terms: CouponTerms) -> str:
    return _("Coupon: %(name)s") % {"name": localized(terms.name, terms.name_en)}


def covered_sku_ids(scope: ScopeTerms, lines: Iterable[QuoteLine]) -> set[int]:
    return {
        line.sku_id
        for line in lines
        if scope.covers(product_id=line.product_id, category_path=line.category_path)
    }


def lines_total(lines: Iterable[QuoteLine], sku_ids: set[int]) -> int:
    return sum(line.total for line in lines if line.sku_id in sku_ids)


def percent_of(amount: int, percent: int, currency: str) -> int:
    return Money(amount, currency).percent(percent).amount


# --- Member prices (catalogue stage) ---------------------------------------------------------


def member_price_label(level: str) -> str:
    label = dict(MemberLevelCode.choices).get(level, level)
    return _("%(level)s price") % {"level": label}


def apply_member_prices(context: PricingContext, *, level: str, prices: dict[int, int]) -> None:
    """Replace each line's unit price by the level's price when that is lower."""
    for index, line in enumerate(context.lines):
        price = prices.get(line.sku_id)
        if price is None or price <= 0 or price >= line.unit_price:
            continue
        saving = (line.unit_price - price) * line.quantity
        context.lines[index] = dataclasses.replace(line, unit_price=price)
        context.adjustments.append(
            Adjustment(
                stage=Stage.CATALOGUE,
                rule=f"member_price:{level}",
                label=member_price_label(level),
                amount=saving,
                sku_id=line.sku_id,
            )
        )


# --- Threshold discounts (order stage, before coupons) ---------------------------------------


def threshold_label(terms: ThresholdTerms) -> str:
    return localized(terms.name, terms.name_en)


def apply_thresholds(context: PricingContext, thresholds: Sequence[ThresholdTerms]) -> None:
    taken: set[int] = set()
    for terms in sorted(thresholds, key=lambda t: (t.priority, t.threshold_id)):
        if terms.currency != context.currency:
            continue
        eligible = {
            line.sku_id
            for line in context.lines
            if line.sku_id not in taken
            and line.total > 0
            and terms.scope.covers(product_id=line.product_id, category_path=line.category_path)
        }
        if not eligible:
            continue
        spend = lines_total(context.lines, eligible)
        quantity = sum(line.quantity for line in context.lines if line.sku_id in eligible)
        if spend < terms.min_spend or quantity < terms.min_quantity:
            continue
        if terms.percent_off is not None:
            amount = percent_of(spend, terms.percent_off, context.currency)
        else:
            amount = terms.amount_off
        if amount <= 0:
            continue
        allocate_discount(
            context,
            amount=amount,
            rule=f"threshold:{terms.threshold_id}",
            label=threshold_label(terms),
            stage=Stage.ORDER,
            sku_ids=eligible,
        )
        taken |= eligible


# --- Coupons ---------------------------------------------------------------------------------


def _refuse(error: type[DomainError], message: str, code: str, terms: CouponTerms) -> DomainError:
    return error(message, code=code, field=FIELD, extra={"coupon_id": terms.user_coupon_id})


def check_coupon(terms: CouponTerms, *, now: datetime, is_new_buyer: bool) -> None:
    """Refuse a coupon that cannot be used at all right now (whatever the basket)."""
    if terms.status in (CouponStatus.USED, CouponStatus.LOCKED):
        raise _refuse(Conflict, _("This coupon has already been used."), errors.COUPON_USED, terms)
    if terms.status == CouponStatus.EXPIRED or terms.valid_until <= now:
        raise _refuse(Conflict, _("This coupon has expired."), errors.COUPON_EXPIRED, terms)
    if terms.valid_from > now:
        raise _refuse(
            Conflict,
            _("This coupon cannot be used yet: it is valid from %(date)s.")
            % {"date": timezone.localdate(terms.valid_from).isoformat()},
            errors.COUPON_NOT_STARTED,
            terms,
        )
    if terms.is_new_users_only and not is_new_buyer:
        raise _refuse(
            Conflict,
            _("This coupon is for your first order only."),
            errors.COUPON_NEW_USERS_ONLY,
            terms,
        )


def check_basket(terms: CouponTerms, context: PricingContext) -> set[int]:
    """The lines the coupon covers in this basket; refuses when none or below its threshold.
    Call before any coupon is applied (thresholds are on the goods before coupons)."""
    covered = {
        sku_id
        for sku_id in covered_sku_ids(terms.scope, context.lines)
        if any(line.sku_id == sku_id and line.total > 0 for line in context.lines)
    }
    if terms.currency != context.currency or not covered:
        raise _refuse(
            Conflict,
            _("This coupon does not apply to anything in your order."),
            errors.COUPON_NOT_APPLICABLE,
            terms,
        )
    spend = lines_total(context.lines, covered)
    if spend < terms.min_spend:
        raise _refuse(
            Conflict,
            _("Spend %(threshold)s on eligible items to use this coupon (%(short)s more).")
            % {
                "threshold": money(terms.min_spend, terms.currency),
                "short": money(terms.min_spend - spend, terms.currency),
            },
            errors.COUPON_BELOW_THRESHOLD,
            terms,
        )
    return covered


def check_stacking(coupons: Sequence[CouponTerms]) -> None:
    seen: dict[str, CouponTerms] = {}
    for terms in sorted(coupons, key=lambda t: t.user_coupon_id):
        if terms.group in seen:
            raise _refuse(
                ValidationFailed,
                _("These coupons cannot be combined: choose one of them."),
                errors.COUPON_NOT_STACKABLE,
                terms,
            )
        seen[terms.group] = terms


def application_order(coupons: Iterable[CouponTerms]) -> list[CouponTerms]:
    """Order-stage coupons in the documented order: amounts first, then percentages."""
    rank = {CouponKind.FIXED: 0, CouponKind.THRESHOLD: 0, CouponKind.PERCENT: 1}
    return sorted(
        (terms for terms in coupons if terms.kind != CouponKind.FREE_SHIPPING),
        key=lambda terms: (rank.get(CouponKind(terms.kind), 2), terms.user_coupon_id),
    )


def coupon_amount(terms: CouponTerms, *, base: int) -> int:
    """What the coupon takes off `base` (the covered goods as they stand now)."""
    if terms.kind in (CouponKind.FIXED, CouponKind.THRESHOLD):
        return min(terms.amount, base)
    if terms.kind == CouponKind.PERCENT and terms.percent is not None:
        amount = percent_of(base, terms.percent, terms.currency)
        if terms.max_discount is not None:
            amount = min(amount, terms.max_discount)
        return min(amount, base)
    return 0


def validate_coupons(
    context: PricingContext,
    coupons: Sequence[CouponTerms],
    *,
    now: datetime,
    is_new_buyer: bool,
) -> dict[int, set[int]]:
    """All refusals before anything is applied; answers the covered SKUs per coupon."""
    check_stacking(coupons)
    covered: dict[int, set[int]] = {}
    for terms in sorted(coupons, key=lambda t: t.user_coupon_id):
        check_coupon(terms, now=now, is_new_buyer=is_new_buyer)
        covered[terms.user_coupon_id] = check_basket(terms, context)
    return covered


def apply_order_coupons(
    context: PricingContext, coupons: Sequence[CouponTerms], covered: dict[int, set[int]]
) -> None:
    for terms in application_order(coupons):
        sku_ids = covered[terms.user_coupon_id]
        amount = coupon_amount(terms, base=lines_total(context.lines, sku_ids))
        if amount > 0:
            allocate_discount(
                context,
                amount=amount,
                rule=coupon_rule(terms.user_coupon_id),
                label=coupon_label(terms),
                stage=Stage.ORDER,
                sku_ids=sku_ids,
            )


def apply_free_shipping(context: PricingContext, coupons: Sequence[CouponTerms]) -> None:
    for terms in sorted(coupons, key=lambda t: t.user_coupon_id):
        if terms.kind != CouponKind.FREE_SHIPPING or context.shipping_fee <= 0:
            continue
        context.adjustments.append(
            Adjustment(
                stage=Stage.SHIPPING,
                rule=coupon_rule(terms.user_coupon_id),
                label=coupon_label(terms),
                amount=context.shipping_fee,
            )
        )
        context.shipping_fee = 0


# --- The best combination --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ShippingTerms:
    fee: int
    free_over: int | None


@dataclasses.dataclass(frozen=True)
class Outcome:
    coupon_ids: tuple[int, ...]
    goods: int
    shipping_fee: int

    @property
    def total(self) -> int:
        return self.goods + self.shipping_fee


def simulate(
    base: PricingContext, coupons: Sequence[CouponTerms], shipping: ShippingTerms
) -> Outcome:
    """Price `coupons` (already known valid) on a copy of the coupon-free context, as the
    engine would: order-stage coupons, the free-over rule, then free-shipping coupons."""
    context = dataclasses.replace(base, lines=list(base.lines), adjustments=[])
    covered = {terms.user_coupon_id: check_basket(terms, base) for terms in coupons}
    apply_order_coupons(context, coupons, covered)
    fee = shipping.fee
    if shipping.free_over is not None and context.subtotal >= shipping.free_over:
        fee = 0
    context.shipping_fee = fee
    apply_free_shipping(context, coupons)
    ids = tuple(sorted(terms.user_coupon_id for terms in coupons))
    return Outcome(coupon_ids=ids, goods=context.subtotal, shipping_fee=context.shipping_fee)


def usable_for_basket(
    base: PricingContext, coupons: Sequence[CouponTerms], *, now: datetime, is_new_buyer: bool
) -> tuple[list[CouponTerms], dict[int, DomainError]]:
    """Split coupons into those this basket may use and the refusals of the others."""
    usable: list[CouponTerms] = []
    refused: dict[int, DomainError] = {}
    for terms in coupons:
        try:
            check_coupon(terms, now=now, is_new_buyer=is_new_buyer)
            check_basket(terms, base)
        except DomainError as refusal:
            refused[terms.user_coupon_id] = refusal
        else:
            usable.append(terms)
    return usable, refused


def best_combination(
    base: PricingContext, usable: Sequence[CouponTerms], shipping: ShippingTerms
) -> Outcome:
    """The lowest total over every combination with at most one coupon per group (brute
    force: groups are few and each is cut to its best few coupons). Ties go to fewer coupons,
    then to the coupons that expire first, then to lower ids — always the same answer."""
    groups: dict[str, list[CouponTerms]] = {}
    for terms in sorted(usable, key=lambda t: t.user_coupon_id):
        groups.setdefault(terms.group, []).append(terms)
    options: list[list[CouponTerms | None]] = []
    for members in groups.values():
        alone = sorted(
            members,
            key=lambda t: (simulate(base, [t], shipping).total, t.valid_until, t.user_coupon_id),
        )
        options.append([None, *alone[:SEARCH_PER_GROUP]])
    best: tuple[tuple[int, int, tuple[datetime, ...], tuple[int, ...]], Outcome] | None = None
    for combination in itertools.product(*options):
        chosen = [terms for terms in combination if terms is not None]
        outcome = simulate(base, chosen, shipping)
        key = (
            outcome.total,
            len(chosen),
            tuple(sorted(terms.valid_until for terms in chosen)),
            outcome.coupon_ids,
        )
        if best is None or key < best[0]:
            best = (key, outcome)
    if best is None:  # no groups at all: the empty combination
        return simulate(base, [], shipping)
    return best[1]
