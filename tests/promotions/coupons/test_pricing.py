"""Threshold discounts, member prices, the best-coupon search and the checkout partial, all
through the real price engine."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from circlemart.core import clock
from circlemart.pricing import services as pricing
from circlemart.pricing.contracts import QuoteItem
from circlemart.promotions.coupons import selectors, services
from circlemart.promotions.coupons.contracts import CouponKind, MemberLevelCode, Scope
from circlemart.promotions.coupons.models import MemberPrice
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog_factories
from tests.promotions.conftest import claimed, make_buyer, make_sku, place, template, threshold

pytestmark = pytest.mark.django_db


def items(*pairs: tuple[int, int]) -> list[QuoteItem]:
    return [QuoteItem(sku_id=sku, quantity=quantity) for sku, quantity in pairs]


def goods(result: Any) -> list[Any]:
    """The adjustments to the goods (the free-over-¥99 shipping rule is pricing's own)."""
    return [a for a in result.adjustments if a.rule != "shipping.free_over"]


def quote(user: Any, *pairs: tuple[int, int], coupon_ids: list[int] | None = None) -> Any:
    with translation.override("en"):
        return pricing.quote(
            items=items(*pairs),
            buyer_id=user.pk if user else None,
            region="上海",
            options={"coupon_ids": coupon_ids or []},
        )


def test_spend_200_save_30_applies_automatically_before_coupons() -> None:
    user = UserFactory()
    sku = make_sku(price=11000)
    rule = threshold()
    percent = claimed(user.pk, template(kind=CouponKind.PERCENT, amount=0, percent=10))
    assert goods(quote(user, (sku, 1))) == []
    result = quote(user, (sku, 2), coupon_ids=[percent])
    assert [(a.rule, a.label, a.amount) for a in goods(result)] == [
        (f"threshold:{rule.pk}", "¥30 off ¥200", 3000),
        (f"coupon:{percent}", "Coupon: ¥10 off", 1900),  # 10% of 22000 − 3000
    ]
    assert result.total == 22000 - 3000 - 1900  # shipping is free above ¥99


def test_two_items_ten_percent_off_in_a_category_and_a_line_joins_one_discount() -> None:
    user = UserFactory()
    shoes = catalog_factories.category("鞋")
    sneaker = catalog_factories.product(prices=(4000,), in_category=shoes).skus.get().pk
    hat = make_sku(price=3000)
    pair_deal = threshold(
        min_spend=0,
        min_quantity=2,
        amount_off=0,
        percent_off=10,
        scope=Scope.CATEGORIES,
        categories=[shoes],
        priority=10,
    )
    everything = threshold(min_spend=5000, amount_off=1000, priority=20)
    result = quote(user, (sneaker, 2), (hat, 1))
    assert [(a.rule, a.amount) for a in result.adjustments if a.stage == "order"] == [
        (f"threshold:{pair_deal.pk}", 800),
    ]  # the hat alone (¥30) does not reach the second discount's ¥50
    assert {line.sku_id: line.discount for line in result.lines} == {sneaker: 800, hat: 0}
    result = quote(user, (sneaker, 2), (hat, 2))
    assert [(a.rule, a.amount) for a in result.adjustments if a.stage == "order"] == [
        (f"threshold:{pair_deal.pk}", 800),
        (f"threshold:{everything.pk}", 1000),
    ]


def test_ended_and_inactive_threshold_discounts_do_nothing() -> None:
    sku = make_sku(price=30000)
    threshold(ends_at=clock.now() - timedelta(seconds=1), starts_at=clock.now() - timedelta(days=2))
    threshold(is_active=False)
    assert goods(quote(UserFactory(), (sku, 1))) == []


def test_member_prices_replace_the_unit_price_when_lower() -> None:
    member, stranger = UserFactory(), UserFactory()
    services.member_level_set(user_id=member.pk, level=MemberLevelCode.GOLD)
    cheaper, dearer = make_sku(price=5000), make_sku(price=3000)
    MemberPrice.objects.create(sku_id=cheaper, level=MemberLevelCode.GOLD, price=4500)
    MemberPrice.objects.create(sku_id=dearer, level=MemberLevelCode.GOLD, price=3500)
    MemberPrice.objects.create(sku_id=cheaper, level=MemberLevelCode.SILVER, price=100)
    result = quote(member, (cheaper, 2), (dearer, 1))
    assert [(line.sku_id, line.list_price, line.unit_price) for line in result.lines] == [
        (cheaper, 5000, 4500),
        (dearer, 3000, 3000),
    ]
    assert [(a.stage, a.rule, a.label, a.amount, a.sku_id) for a in goods(result)] == [
        ("catalogue", "member_price:gold", "Gold member price", 1000, cheaper)
    ]
    assert (result.list_subtotal, result.subtotal, result.discount_total) == (13000, 12000, 0)
    assert quote(stranger, (cheaper, 2)).subtotal == 10000
    assert quote(None, (cheaper, 2)).subtotal == 10000


def test_the_order_reproduces_the_quote_with_every_rule_named() -> None:
    buyer, address = make_buyer()
    services.member_level_set(user_id=buyer.pk, level=MemberLevelCode.SILVER)
    sku = make_sku(price=12000, stock=5)
    MemberPrice.objects.create(sku_id=sku, level=MemberLevelCode.SILVER, price=11000)
    rule = threshold()
    coupon = claimed(buyer.pk, template(amount=500))
    expected = quote(buyer, (sku, 2), coupon_ids=[coupon])
    with translation.override("en"):
        order = place(buyer, address, sku, quantity=2, options={"coupon_ids": [coupon]})
    assert [(row["rule"], row["amount"]) for row in order.adjustments] == [
        ("member_price:silver", 2000),
        (f"threshold:{rule.pk}", 3000),
        (f"coupon:{coupon}", 500),
        ("shipping.free_over", 800),
    ]
    assert (order.list_subtotal, order.subtotal, order.discount_total, order.total) == (
        expected.list_subtotal,
        expected.subtotal,
        expected.discount_total,
        expected.total,
    )


# --- The best combination --------------------------------------------------------------------


def test_best_coupons_pick_one_per_group_plus_free_shipping() -> None:
    user = UserFactory()
    sku = make_sku(price=3000)
    small = claimed(user.pk, template(amount=500))
    percent = claimed(
        user.pk, template(kind=CouponKind.PERCENT, amount=0, percent=30, max_discount=2000)
    )
    shop = claimed(user.pk, template(amount=300, stacking_group="shop"))
    free = claimed(user.pk, template(kind=CouponKind.FREE_SHIPPING, amount=0))
    out_of_reach = claimed(
        user.pk, template(kind=CouponKind.THRESHOLD, amount=5000, min_spend=50000)
    )
    best = selectors.best_coupons(buyer_id=user.pk, items=items((sku, 2)), region="上海")
    # 6000: shop −300 first, then 30% of 5700 = 1710 (under the cap); shipping 800 waived.
    assert best.coupon_ids == sorted([percent, shop, free])
    assert (best.total, best.saving) == (6000 - 300 - 1710, 300 + 1710 + 800)
    assert quote(user, (sku, 2), coupon_ids=best.coupon_ids).total == best.total
    assert small not in best.coupon_ids
    assert out_of_reach not in best.coupon_ids


def test_checkout_choices_group_coupons_preselect_the_best_and_explain_the_rest() -> None:
    user = UserFactory()
    sku = make_sku(price=3000)
    fixed = claimed(user.pk, template(amount=500))
    bigger = claimed(user.pk, template(amount=800))
    too_far = claimed(user.pk, template(kind=CouponKind.THRESHOLD, amount=5000, min_spend=50000))
    with translation.override("en"):
        choices = selectors.checkout_coupon_choices(buyer_id=user.pk, items=items((sku, 1)))
    assert choices.selected_ids == [bigger]
    assert [[(c.card.id, c.is_selected, c.saving) for c in g.choices] for g in choices.groups] == [
        [(bigger, True, 800), (fixed, False, 500)]
    ]
    assert [(c.card.id, c.reason) for c in choices.unusable] == [
        (too_far, "Spend CN¥500.00 on eligible items to use this coupon (CN¥470.00 more).")
    ]
    assert choices.saving == 800
    with translation.override("en"):
        html = render_to_string(
            "promotions/partials/checkout_coupons.html", {"coupon_choices": choices}
        )
    assert f'name="coupon_ids" value="{bigger}" checked' in html
    assert f'name="coupon_ids" value="{fixed}" ' in html
    assert 'name="coupon_choice" value="1"' in html
    assert "Coupons save you CN¥8.00" in html
    mine = selectors.checkout_coupon_choices(
        buyer_id=user.pk, items=items((sku, 1)), selected_ids=[fixed, 424242]
    )
    assert mine.selected_ids == [fixed]  # ids that are not mine are dropped


def test_form_choices_are_read_only_when_the_form_carried_them() -> None:
    from django.http import QueryDict

    assert selectors.coupon_ids_from_form(QueryDict("")) is None
    assert selectors.coupon_ids_from_form(QueryDict("coupon_ids=3")) is None
    assert selectors.coupon_ids_from_form(
        QueryDict("coupon_choice=1&coupon_ids=3&coupon_ids=&coupon_ids=x&coupon_ids=3&coupon_ids=9")
    ) == [3, 9]
    assert selectors.coupon_ids_from_form(QueryDict("coupon_choice=1&coupon_ids=")) == []


def test_checkout_choices_query_budget(django_assert_max_num_queries: Any) -> None:
    user = UserFactory()
    sku = make_sku(price=3000)
    category = catalog_factories.category("家居")
    for amount in (100, 200, 300):
        claimed(user.pk, template(amount=amount))
    claimed(user.pk, template(amount=100, scope=Scope.CATEGORIES, categories=[category]))
    claimed(user.pk, template(kind=CouponKind.FREE_SHIPPING, amount=0))
    with django_assert_max_num_queries(12):
        selectors.checkout_coupon_choices(buyer_id=user.pk, items=items((sku, 1)))
