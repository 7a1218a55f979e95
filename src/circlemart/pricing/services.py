"""The price engine: `quote` turns items into a Quote that explains every amount.

Pure apart from reading SKUs and shipping rules: the same inputs give the same quote, which is
what checkout stores on the order and what the order page shows again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from circlemart.catalog import selectors as catalog_selectors
from circlemart.catalog.contracts import SkuForSale
from circlemart.core.errors import Conflict, NotFound, ValidationFailed
from circlemart.core.money import Money
from circlemart.pricing import selectors
from circlemart.pricing.contracts import (
    Adjustment,
    PricingContext,
    Quote,
    QuoteItem,
    QuoteLine,
    Stage,
)
from circlemart.pricing.models import ShippingRule
from circlemart.pricing.rules import rules_in_order

MAX_QUANTITY = 9999
SHIPPING_METHODS = frozenset(ShippingRule.Method.values)


def merge_items(items: Iterable[QuoteItem]) -> list[QuoteItem]:
    """One item per SKU, quantities added, in first-seen order."""
    merged: dict[int, int] = {}
    for item in items:
        merged[item.sku_id] = merged.get(item.sku_id, 0) + item.quantity
    return [QuoteItem(sku_id=sku_id, quantity=quantity) for sku_id, quantity in merged.items()]


def check_quantity(quantity: int, *, limit: int, field: str = "quantity") -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise ValidationFailed(
            _("Quantity must be at least 1."), code="invalid_quantity", field=field
        )
    if quantity > min(limit, MAX_QUANTITY):
        raise ValidationFailed(
            _("You can buy at most %(limit)d of this item per order.")
            % {"limit": min(limit, MAX_QUANTITY)},
            code="quantity_limit",
            field=field,
            extra={"limit": min(limit, MAX_QUANTITY)},
        )


def _line(sku: SkuForSale, quantity: int) -> QuoteLine:
    return QuoteLine(
        sku_id=sku.sku_id,
        product_id=sku.product_id,
        title=sku.title,
        title_en=sku.title_en,
        options=sku.options,
        cover=sku.cover,
        category_path=sku.category_path,
        list_price=sku.price,
        unit_price=sku.price,
        quantity=quantity,
        discount=0,
        max_per_order=sku.max_per_order,
    )


def _lines(items: list[QuoteItem]) -> tuple[list[QuoteLine], str]:
    skus = catalog_selectors.skus_for_sale(item.sku_id for item in items)
    lines = []
    for index, item in enumerate(items):
        sku = skus.get(item.sku_id)
        if sku is None:
            raise NotFound(
                _("This item does not exist."),
                code="unknown_sku",
                field=f"items[{index}].sku_id",
                extra={"sku_id": item.sku_id},
            )
        if not sku.is_sellable:
            raise Conflict(
                _("“%(title)s” is no longer on sale.") % {"title": sku.title},
                code="unavailable",
                field=f"items[{index}].sku_id",
                extra={"sku_id": item.sku_id},
            )
        check_quantity(item.quantity, limit=sku.max_per_order, field=f"items[{index}].quantity")
        lines.append(_line(sku, item.quantity))
    currencies = {skus[item.sku_id].currency for item in items}
    if len(currencies) > 1:
        raise Conflict(_("Items priced in different currencies cannot share an order."))
    return lines, currencies.pop()


def _shipping_base(context: PricingContext) -> None:
    """The region's flat fee; free above its threshold (on the goods total after discounts)."""
    rule = selectors.shipping_rule(region=context.region, method=context.shipping_method)
    context.shipping_fee = rule.fee
    goods = context.subtotal
    if rule.free_over is not None and goods >= rule.free_over and rule.fee > 0:
        threshold = Money(rule.free_over, context.currency).format()
        context.adjustments.append(
            Adjustment(
                stage=Stage.SHIPPING,
                rule="shipping.free_over",
                label=_("Free shipping on orders from %(threshold)s") % {"threshold": threshold},
                amount=rule.fee,
            )
        )
        context.shipping_fee = 0


def quote(
    *,
    items: Iterable[QuoteItem],
    buyer_id: int | None = None,
    region: str = "",
    shipping_method: str = ShippingRule.Method.STANDARD,
    options: Mapping[str, Any] | None = None,
) -> Quote:
    """Price a basket. Stages run in the documented order (contracts.Stage); registered rules
    run inside their stage by priority. Totals never go below zero."""
    merged = merge_items(items)
    if not merged:
        raise ValidationFailed(_("Choose at least one item."), code="empty", field="items")
    if shipping_method not in SHIPPING_METHODS:
        raise ValidationFailed(
            _("Unknown shipping method."), code="invalid_shipping_method", field="shipping_method"
        )
    lines, currency = _lines(merged)
    context = PricingContext(
        buyer_id=buyer_id,
        region=region.strip(),
        shipping_method=shipping_method,
        currency=currency,
        lines=lines,
        shipping_fee=0,
        adjustments=[],
        options=dict(options or {}),
    )
    shipping_done = False
    for rule in rules_in_order():
        if rule.stage == Stage.SHIPPING and not shipping_done:
            _shipping_base(context)
            shipping_done = True
        rule.apply(context)
    if not shipping_done:
        _shipping_base(context)
    return _finish(context)


def _finish(context: PricingContext) -> Quote:
    list_subtotal = sum(line.list_price * line.quantity for line in context.lines)
    subtotal = sum(line.subtotal for line in context.lines)
    discount_total = sum(min(line.discount, line.subtotal) for line in context.lines)
    shipping_base = context.shipping_fee + sum(
        adjustment.amount
        for adjustment in context.adjustments
        if adjustment.stage == Stage.SHIPPING
    )
    shipping_fee = max(context.shipping_fee, 0)
    return Quote(
        currency=context.currency,
        lines=context.lines,
        region=context.region,
        shipping_method=context.shipping_method,
        list_subtotal=list_subtotal,
        subtotal=subtotal,
        discount_total=discount_total,
        shipping_base=shipping_base,
        shipping_fee=shipping_fee,
        total=max(subtotal - discount_total + shipping_fee, 0),
        adjustments=context.adjustments,
    )


def shipping_rule_ensure(*, region: str, method: str, fee: int, free_over: int | None) -> bool:
    """Create the rule for (region, method) unless one exists; True when created."""
    if method not in SHIPPING_METHODS:
        raise ValidationFailed(
            _("Unknown shipping method."), code="invalid_shipping_method", field="method"
        )
    if fee < 0 or (free_over is not None and free_over < 0):
        raise ValidationFailed(_("Amounts cannot be negative."), code="negative", field="fee")
    _rule, created = ShippingRule.objects.get_or_create(
        region=region.strip(), method=method, defaults={"fee": fee, "free_over": free_over}
    )
    return created
