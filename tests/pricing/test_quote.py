"""The price engine: server prices, explained shipping, registered rules in a fixed order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circlemart.core.errors import Conflict, NotFound, ValidationFailed
from circlemart.pricing import rules, services
from circlemart.pricing.contracts import PricingContext, QuoteItem, Stage
from circlemart.pricing.models import ShippingRule
from tests.catalog import factories

pytestmark = pytest.mark.django_db


def _sku(price: int, *, stock: int = 10) -> int:
    product = factories.product(prices=(price,), stock=(stock,))
    return product.skus.get().pk


def test_quote_prices_lines_from_the_catalog_and_adds_standard_shipping() -> None:
    sku = _sku(2500)
    quote = services.quote(items=[QuoteItem(sku_id=sku, quantity=2)])
    assert [(line.unit_price, line.quantity, line.total) for line in quote.lines] == [
        (2500, 2, 5000)
    ]
    assert (quote.subtotal, quote.discount_total, quote.shipping_fee, quote.total) == (
        5000,
        0,
        800,
        5800,
    )
    assert quote.adjustments == []


def test_free_shipping_over_the_threshold_is_explained() -> None:
    sku = _sku(5000)
    quote = services.quote(items=[QuoteItem(sku_id=sku, quantity=2)])
    assert (quote.shipping_base, quote.shipping_fee, quote.total) == (800, 0, 10000)
    assert [(a.rule, a.amount, a.stage) for a in quote.adjustments] == [
        ("shipping.free_over", 800, Stage.SHIPPING)
    ]


def test_region_rule_beats_the_catch_all() -> None:
    ShippingRule.objects.create(region="", method="standard", fee=600, free_over=None)
    ShippingRule.objects.create(region="新疆", method="standard", fee=2000, free_over=None)
    sku = _sku(20000)
    assert services.quote(items=[QuoteItem(sku, 1)], region="新疆").shipping_fee == 2000
    assert services.quote(items=[QuoteItem(sku, 1)], region="上海").shipping_fee == 600


def test_same_sku_twice_is_one_line() -> None:
    sku = _sku(1000)
    quote = services.quote(items=[QuoteItem(sku, 1), QuoteItem(sku, 2)])
    assert [(line.sku_id, line.quantity) for line in quote.lines] == [(sku, 3)]


@pytest.mark.parametrize("quantity", [0, -3, 100, 10**9])
def test_bad_quantities_are_refused_naming_the_field(quantity: int) -> None:
    sku = _sku(1000)
    with pytest.raises(ValidationFailed) as refused:
        services.quote(items=[QuoteItem(sku, quantity)])
    assert refused.value.field == "items[0].quantity"


def test_unknown_and_unsellable_skus_are_refused() -> None:
    with pytest.raises(NotFound) as unknown:
        services.quote(items=[QuoteItem(987654, 1)])
    assert (unknown.value.code, unknown.value.field) == ("unknown_sku", "items[0].sku_id")
    hidden = factories.product(status="off_shelf").skus.get().pk
    with pytest.raises(Conflict) as unavailable:
        services.quote(items=[QuoteItem(hidden, 1)])
    assert unavailable.value.code == "unavailable"


def test_empty_basket_and_unknown_shipping_method() -> None:
    with pytest.raises(ValidationFailed) as empty:
        services.quote(items=[])
    assert empty.value.field == "items"
    with pytest.raises(ValidationFailed) as method:
        services.quote(items=[QuoteItem(_sku(100), 1)], shipping_method="teleport")
    assert method.value.field == "shipping_method"


class _TakeOff:
    def __init__(self, code: str, stage: Stage, amount: int, priority: int = 0) -> None:
        self.code, self.stage, self.amount, self.priority = code, stage, amount, priority
        self.seen_subtotals: list[int] = []

    def apply(self, context: PricingContext) -> None:
        self.seen_subtotals.append(context.subtotal)
        if self.stage == Stage.SHIPPING:
            taken = min(self.amount, context.shipping_fee)
            context.shipping_fee -= taken
            context.adjustments.append(
                services.Adjustment(stage=self.stage, rule=self.code, label=self.code, amount=taken)
            )
            return
        rules.allocate_discount(
            context, amount=self.amount, rule=self.code, label=self.code, stage=self.stage
        )


@pytest.fixture
def registered() -> Iterator[list[_TakeOff]]:
    added: list[_TakeOff] = []
    yield added
    for rule in added:
        rules.unregister_rule(rule.code)


def test_rules_run_stage_by_stage_and_discounts_are_allocated_exactly(
    registered: list[_TakeOff],
) -> None:
    order_rule = _TakeOff("b.order", Stage.ORDER, 1000)
    line_rule = _TakeOff("a.line", Stage.LINE, 301)
    ship_rule = _TakeOff("c.ship", Stage.SHIPPING, 300)
    for rule in (order_rule, ship_rule, line_rule):
        registered.append(rule)
        rules.register_rule(rule)
    sku_a, sku_b = _sku(3000), _sku(1000)
    quote = services.quote(items=[QuoteItem(sku_a, 1), QuoteItem(sku_b, 1)])
    assert [a.rule for a in quote.adjustments] == ["a.line", "b.order", "c.ship"]
    assert line_rule.seen_subtotals == [4000]
    assert order_rule.seen_subtotals == [3699]
    assert quote.discount_total == 1301
    assert sum(line.discount for line in quote.lines) == 1301
    assert (quote.shipping_fee, quote.total) == (500, 4000 - 1301 + 500)


@settings(max_examples=40, deadline=None)
@given(
    prices=st.lists(st.integers(min_value=1, max_value=500_000), min_size=1, max_size=4),
    discounts=st.lists(st.integers(min_value=0, max_value=2_000_000), max_size=4),
)
def test_total_never_negative_and_discounts_never_exceed_subtotal(
    prices: list[int], discounts: list[int]
) -> None:
    added = [_TakeOff(f"p{index}", Stage.ORDER, amount) for index, amount in enumerate(discounts)]
    for rule in added:
        rules.register_rule(rule)
    try:
        skus = [_sku(price) for price in prices]
        quote = services.quote(items=[QuoteItem(sku, 1) for sku in skus])
        again = services.quote(items=[QuoteItem(sku, 1) for sku in skus])
    finally:
        for rule in added:
            rules.unregister_rule(rule.code)
    assert 0 <= quote.discount_total <= quote.subtotal
    assert quote.total >= 0
    assert quote.total == quote.subtotal - quote.discount_total + quote.shipping_fee
    assert all(0 <= line.discount <= line.subtotal for line in quote.lines)
    assert quote == again
