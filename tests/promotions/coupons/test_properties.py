"""Property tests of the price engine with promotions' rules: whatever the basket, coupons and
threshold discounts, the total is never negative, discounts never exceed what they cover,
every amount is explained by an adjustment, and the result does not depend on the order in
which coupons were chosen."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from circlemart.core import clock
from circlemart.core.errors import DomainError
from circlemart.pricing import services as pricing
from circlemart.pricing.contracts import PricingContext, QuoteItem, QuoteLine, Stage
from circlemart.promotions.coupons import calculation
from circlemart.promotions.coupons.contracts import (
    CouponKind,
    CouponStatus,
    CouponTerms,
    Scope,
    ScopeTerms,
    ThresholdTerms,
)
from tests.accounts.factories import UserFactory
from tests.promotions.conftest import claimed, make_sku, template, threshold

NOW = clock.now()
PATHS = ("0001", "00010001", "0002")


@st.composite
def lines(draw: st.DrawFn) -> list[QuoteLine]:
    count = draw(st.integers(1, 5))
    return [
        QuoteLine(
            sku_id=index + 1,
            product_id=index + 1,
            title="t",
            title_en="t",
            options={},
            cover="",
            category_path=draw(st.sampled_from(PATHS)),
            list_price=(price := draw(st.integers(1, 200_000))),
            unit_price=price,
            quantity=draw(st.integers(1, 5)),
            discount=0,
            max_per_order=99,
        )
        for index in range(count)
    ]


scopes = st.one_of(
    st.just(ScopeTerms(scope=Scope.ALL)),
    st.builds(
        lambda paths: ScopeTerms(scope=Scope.CATEGORIES, category_paths=tuple(sorted(paths))),
        st.sets(st.sampled_from(("0001", "0002")), min_size=1),
    ),
    st.builds(
        lambda ids: ScopeTerms(scope=Scope.PRODUCTS, product_ids=frozenset(ids)),
        st.sets(st.integers(1, 6), min_size=1),
    ),
)


@st.composite
def coupons(draw: st.DrawFn) -> list[CouponTerms]:
    made = []
    for index in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(list(CouponKind)))
        amount = draw(st.integers(1, 300_000)) if kind in ("fixed", "threshold") else 0
        made.append(
            CouponTerms(
                user_coupon_id=index + 1,
                template_id=index + 1,
                owner_id=1,
                kind=kind,
                name="c",
                name_en="c",
                currency="CNY",
                amount=amount,
                percent=draw(st.integers(1, 99)) if kind == "percent" else None,
                max_discount=draw(st.none() | st.integers(1, 100_000)),
                min_spend=max(amount, draw(st.integers(0, 300_000)))
                if kind == "threshold"
                else draw(st.integers(0, 50_000)),
                scope=draw(scopes),
                stacking_group=draw(st.sampled_from(("platform", "shop"))),
                is_new_users_only=False,
                status=CouponStatus.AVAILABLE,
                valid_from=NOW - timedelta(days=1),
                valid_until=NOW + timedelta(days=1),
            )
        )
    return made


@st.composite
def thresholds(draw: st.DrawFn) -> list[ThresholdTerms]:
    made = []
    for index in range(draw(st.integers(0, 3))):
        percent = draw(st.none() | st.integers(1, 99))
        amount = 0 if percent is not None else draw(st.integers(1, 100_000))
        made.append(
            ThresholdTerms(
                threshold_id=index + 1,
                name="t",
                name_en="t",
                currency="CNY",
                min_spend=max(amount, draw(st.integers(0, 300_000))),
                min_quantity=draw(st.integers(0, 6)),
                amount_off=amount,
                percent_off=percent,
                priority=draw(st.integers(0, 3)),
                scope=draw(scopes),
            )
        )
    return made


def context_of(basket: list[QuoteLine], fee: int) -> PricingContext:
    return PricingContext(
        buyer_id=1,
        region="",
        shipping_method="standard",
        currency="CNY",
        lines=list(basket),
        shipping_fee=fee,
        adjustments=[],
        options={},
    )


def run(
    basket: list[QuoteLine],
    chosen: list[CouponTerms],
    rules: list[ThresholdTerms],
    fee: int,
) -> PricingContext:
    context = context_of(basket, fee)
    calculation.apply_thresholds(context, rules)
    covered = calculation.validate_coupons(context, chosen, now=NOW, is_new_buyer=True)
    calculation.apply_order_coupons(context, chosen, covered)
    calculation.apply_free_shipping(context, chosen)
    return context


def one_per_group(all_coupons: list[CouponTerms]) -> list[CouponTerms]:
    seen: dict[str, CouponTerms] = {}
    for terms in all_coupons:
        seen.setdefault(terms.group, terms)
    return list(seen.values())


@settings(max_examples=400, deadline=None)
@given(basket=lines(), offered=coupons(), rules=thresholds(), fee=st.integers(0, 2000))
def test_discounts_stay_within_what_they_cover_and_explain_every_fen(
    basket: list[QuoteLine],
    offered: list[CouponTerms],
    rules: list[ThresholdTerms],
    fee: int,
) -> None:
    chosen = one_per_group(offered)
    refusal: DomainError | None = None
    try:
        context = run(basket, chosen, rules, fee)
    except DomainError as error:
        refusal = error
    if refusal is not None:  # a coupon that does not fit this basket is refused, not priced
        assert refusal.field == "coupon_ids"
        assert refusal.code in {"coupon_below_threshold", "coupon_not_applicable"}
        return
    subtotal = sum(line.subtotal for line in context.lines)
    for line in context.lines:
        assert 0 <= line.discount <= line.subtotal
    discount = sum(line.discount for line in context.lines)
    assert 0 <= discount <= subtotal
    assert context.subtotal == subtotal - discount >= 0
    assert 0 <= context.shipping_fee <= fee
    order_stage = [a for a in context.adjustments if a.stage == Stage.ORDER]
    assert sum(a.amount for a in order_stage) == discount
    assert all(a.amount > 0 for a in context.adjustments)
    shipping = sum(a.amount for a in context.adjustments if a.stage == Stage.SHIPPING)
    assert context.shipping_fee + shipping == fee
    shuffled = list(chosen)
    random.Random(len(basket)).shuffle(shuffled)
    again = run(basket, list(reversed(shuffled)), list(reversed(rules)), fee)
    assert again.lines == context.lines
    assert again.adjustments == context.adjustments


@settings(max_examples=150, deadline=None)
@given(
    basket=lines(),
    offered=coupons(),
    rules=thresholds(),
    fee=st.integers(0, 2000),
    free_over=st.none() | st.integers(0, 300_000),
)
def test_the_best_combination_is_never_worse_than_any_single_coupon_or_none(
    basket: list[QuoteLine],
    offered: list[CouponTerms],
    rules: list[ThresholdTerms],
    fee: int,
    free_over: int | None,
) -> None:
    base = context_of(basket, fee)
    calculation.apply_thresholds(base, rules)
    base.adjustments = []
    shipping = calculation.ShippingTerms(fee=fee, free_over=free_over)
    usable, _refused = calculation.usable_for_basket(base, offered, now=NOW, is_new_buyer=True)
    best = calculation.best_combination(base, usable, shipping)
    assert best.total >= 0
    assert best.total <= calculation.simulate(base, [], shipping).total
    for terms in usable:
        assert best.total <= calculation.simulate(base, [terms], shipping).total
    groups = [t.group for t in usable if t.user_coupon_id in best.coupon_ids]
    assert len(groups) == len(set(groups))
    assert calculation.best_combination(base, list(reversed(usable)), shipping) == best


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    prices=st.lists(st.integers(1, 50_000), min_size=1, max_size=3),
    quantities=st.lists(st.integers(1, 4), min_size=3, max_size=3),
    kinds=st.lists(st.sampled_from(list(CouponKind)), max_size=3, unique=True),
    amounts=st.lists(st.integers(1, 60_000), min_size=3, max_size=3),
    with_threshold=st.booleans(),
)
def test_the_whole_engine_with_promotions_never_goes_negative_and_repeats_itself(
    prices: list[int],
    quantities: list[int],
    kinds: list[str],
    amounts: list[int],
    with_threshold: bool,
) -> None:
    user = UserFactory()
    skus = [make_sku(price=price, stock=10) for price in prices]
    if with_threshold:
        threshold(min_spend=amounts[0], amount_off=min(amounts[1], amounts[0]))
    chosen: list[int] = []
    for index, kind in enumerate(kinds):
        fields: dict[str, Any] = {"kind": kind, "stacking_group": f"group-{index}"}
        if kind == "percent":
            fields.update(amount=0, percent=amounts[index] % 99 + 1, max_discount=amounts[index])
        elif kind == "free_shipping":
            fields.update(amount=0)
        elif kind == "threshold":
            fields.update(amount=amounts[index], min_spend=amounts[index])
        else:
            fields.update(amount=amounts[index])
        chosen.append(claimed(user.pk, template(**fields)))
    basket = [QuoteItem(sku_id=sku, quantity=q) for sku, q in zip(skus, quantities, strict=False)]

    def price() -> Any:
        return pricing.quote(
            items=basket, buyer_id=user.pk, region="上海", options={"coupon_ids": chosen}
        )

    refusal: DomainError | None = None
    try:
        first = price()
    except DomainError as error:
        refusal = error
    if refusal is not None:  # earlier examples' threshold discounts may have taken it all
        assert refusal.code in {"coupon_below_threshold", "coupon_not_applicable"}
        return
    assert price() == first
    assert first.total >= 0
    assert 0 <= first.discount_total <= first.subtotal
    assert first.total == first.subtotal - first.discount_total + first.shipping_fee
    assert all(0 <= line.discount <= line.subtotal for line in first.lines)
    assert sum(a.amount for a in first.adjustments if a.stage == "order") == first.discount_total
