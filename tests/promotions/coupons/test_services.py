"""Coupons through the services: claiming (limits, windows, codes), pricing a basket with
them, using them with an order, and getting them back when the order is cancelled or fully
refunded. Refusals are asserted with their code, message and that nothing was written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from circlemart.core import clock
from circlemart.core.errors import Conflict, DomainError, NotFound
from circlemart.core.events import publish
from circlemart.core.models import OutboxEvent
from circlemart.inventory import selectors as inventory_selectors
from circlemart.orders import services as order_services
from circlemart.orders.events import OrderRefunded
from circlemart.orders.models import Order
from circlemart.pricing import services as pricing
from circlemart.pricing.contracts import QuoteItem
from circlemart.promotions.coupons import services
from circlemart.promotions.coupons.contracts import CouponKind, CouponStatus, Scope
from circlemart.promotions.coupons.models import CouponCode, CouponTemplate, CouponUse, UserCoupon
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog_factories
from tests.promotions.conftest import claimed, make_buyer, make_sku, place, template

pytestmark = pytest.mark.django_db
STARTS = timezone.localdate(clock.now() + timedelta(days=3)).isoformat()


def events_of(event_type: str) -> list[dict[str, Any]]:
    return [row.payload for row in OutboxEvent.objects.filter(event_type=event_type).order_by("id")]


def refused(action: Callable[[], Any]) -> DomainError:
    with translation.override("en"), pytest.raises(DomainError) as caught:
        action()
    return caught.value


# --- Claiming --------------------------------------------------------------------------------


def test_claim_gives_a_coupon_with_its_own_window_and_counts_it() -> None:
    user = UserFactory()
    coupon_template = template(valid_until=None, valid_days=7, total_quantity=5)
    before = clock.now()
    ref = services.coupon_claim(user_id=user.pk, template_id=coupon_template.pk)
    coupon = UserCoupon.objects.get()
    assert (coupon.pk, coupon.owner_id, coupon.status, coupon.claim_number) == (
        ref.id,
        user.pk,
        "available",
        1,
    )
    assert before <= coupon.valid_from <= clock.now()
    assert coupon.valid_until - coupon.valid_from == timedelta(days=7)
    coupon_template.refresh_from_db()
    assert (coupon_template.claimed_count, coupon_template.remaining) == (1, 4)
    assert events_of("promotions.CouponClaimed") == [
        {
            "user_coupon_id": ref.id,
            "template_id": coupon_template.pk,
            "owner_id": user.pk,
            "code_id": None,
        }
    ]


def test_days_after_claiming_never_run_past_the_campaign_end() -> None:
    end = clock.now() + timedelta(days=2)
    coupon_template = template(valid_until=end, valid_days=30)
    claimed(UserFactory().pk, coupon_template)
    assert UserCoupon.objects.get().valid_until == end


def test_per_user_limit_counts_claims_and_the_database_refuses_one_more() -> None:
    user = UserFactory()
    coupon_template = template(per_user_limit=2)
    claimed(user.pk, coupon_template)
    claimed(user.pk, coupon_template)
    error = refused(lambda: claimed(user.pk, coupon_template))
    assert (error.code, error.message) == (
        "coupon_claim_limit",
        "You have claimed this coupon the most times allowed (2).",
    )
    assert UserCoupon.objects.count() == 2
    coupon_template.refresh_from_db()
    assert coupon_template.claimed_count == 2
    first = UserCoupon.objects.first()
    assert first is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        UserCoupon.objects.create(
            template=coupon_template,
            owner=user,
            claim_number=3,
            claim_limit=2,
            valid_from=first.valid_from,
            valid_until=first.valid_until,
            claimed_at=clock.now(),
        )


def test_the_last_coupon_goes_to_one_claimer_and_the_next_is_told_it_is_gone() -> None:
    coupon_template = template(total_quantity=1)
    claimed(UserFactory().pk, coupon_template)
    late = UserFactory()
    error = refused(lambda: claimed(late.pk, coupon_template))
    assert (error.code, error.message) == (
        "coupon_sold_out",
        "All of these coupons have been claimed.",
    )
    assert not UserCoupon.objects.filter(owner=late).exists()
    assert CouponTemplate.objects.get().claimed_count == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        CouponTemplate.objects.filter(pk=coupon_template.pk).update(claimed_count=2)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"claim_ends_at": clock.now() - timedelta(minutes=1)}, "coupon_not_claimable"),
        ({"claim_starts_at": clock.now() + timedelta(days=1)}, "coupon_not_claimable"),
        ({"is_public": False}, "coupon_template_not_found"),
        ({"is_active": False}, "coupon_template_not_found"),
    ],
)
def test_closed_or_hidden_campaigns_cannot_be_claimed(fields: dict[str, Any], code: str) -> None:
    coupon_template = template(**fields)
    error = refused(lambda: claimed(UserFactory().pk, coupon_template))
    assert error.code == code
    assert UserCoupon.objects.count() == 0
    assert CouponTemplate.objects.get().claimed_count == 0


def test_the_refusal_is_translated_for_chinese_shoppers() -> None:
    coupon_template = template(total_quantity=0)
    with translation.override("zh-hans"), pytest.raises(Conflict) as caught:
        claimed(UserFactory().pk, coupon_template)
    assert caught.value.code == "coupon_sold_out"
    assert str(caught.value.message) == "这张券已被领完。"


# --- Codes -----------------------------------------------------------------------------------


def test_a_public_code_serves_many_shoppers_once_each() -> None:
    coupon_template = template(is_public=False)
    CouponCode.objects.create(template=coupon_template, code="SPRING30")
    first, second = UserFactory(), UserFactory()
    services.coupon_redeem(user_id=first.pk, code=" spring30 ")
    services.coupon_redeem(user_id=second.pk, code="SPRING30")
    error = refused(lambda: services.coupon_redeem(user_id=first.pk, code="SPRING30"))
    assert (error.code, error.field) == ("coupon_code_already_redeemed", "code")
    assert UserCoupon.objects.count() == 2
    assert CouponCode.objects.get().redeemed_count == 2
    assert events_of("promotions.CouponClaimed")[0]["code_id"] == CouponCode.objects.get().pk


def test_a_single_use_code_is_redeemed_once() -> None:
    coupon_template = template(is_public=False)
    [code] = services.codes_generate(template_id=coupon_template.pk, count=1, prefix="vip")
    assert code.startswith("VIP")
    assert len(code) == 13
    services.coupon_redeem(user_id=UserFactory().pk, code=code)
    late = UserFactory()
    error = refused(lambda: services.coupon_redeem(user_id=late.pk, code=code))
    assert (error.code, error.message) == (
        "coupon_code_used_up",
        "This code has already been used.",
    )
    assert not UserCoupon.objects.filter(owner=late).exists()
    assert CouponTemplate.objects.get().claimed_count == 1


def test_unknown_codes_and_hidden_campaigns_by_id_read_as_missing() -> None:
    hidden = template(is_public=False)
    CouponCode.objects.create(template=hidden, code="STAFF50", is_active=False)
    user = UserFactory()
    for code in ("NOPE", "STAFF50", "", "X" * 40):
        error = refused(lambda code=code: services.coupon_redeem(user_id=user.pk, code=code))
        assert isinstance(error, NotFound)
        assert (error.code, error.message) == (
            "coupon_code_invalid",
            "This code is not valid. Check it and try again.",
        )
    assert refused(lambda: claimed(user.pk, hidden)).code == "coupon_template_not_found"
    assert UserCoupon.objects.count() == 0


def test_codes_are_rate_limited_per_shopper() -> None:
    user = UserFactory()
    for _attempt in range(services.REDEEM_RATE[0]):
        refused(lambda: services.coupon_redeem(user_id=user.pk, code="GUESS"))
    assert refused(lambda: services.coupon_redeem(user_id=user.pk, code="GUESS")).code == (
        "rate_limited"
    )


# --- Pricing with coupons --------------------------------------------------------------------


def quote(user: Any, items: list[tuple[int, int]], coupon_ids: list[int] | None = None) -> Any:
    with translation.override("en"):
        return pricing.quote(
            items=[QuoteItem(sku_id=sku, quantity=quantity) for sku, quantity in items],
            buyer_id=user.pk,
            region="上海",
            options={"coupon_ids": coupon_ids or []},
        )


def test_amounts_come_off_first_then_percent_on_what_is_left_capped() -> None:
    user = UserFactory()
    sku = make_sku(price=3000, stock=10)
    fixed = claimed(user.pk, template(amount=1000, stacking_group="shop"))
    percent = claimed(
        user.pk,
        template(kind=CouponKind.PERCENT, amount=0, percent=20, max_discount=1500, name_en="20%"),
    )
    result = quote(user, [(sku, 3)], [percent, fixed])
    # 9000 − 1000 = 8000; 20% of 8000 = 1600, capped at 1500.
    assert [(a.stage, a.rule, a.amount) for a in result.adjustments] == [
        ("order", f"coupon:{fixed}", 1000),
        ("order", f"coupon:{percent}", 1500),
    ]
    assert [a.label for a in result.adjustments] == ["Coupon: ¥10 off", "Coupon: 20%"]
    assert (result.subtotal, result.discount_total, result.shipping_fee, result.total) == (
        9000,
        2500,
        800,
        7300,
    )
    assert quote(user, [(sku, 3)], [percent, fixed]) == result  # the same inputs, the same quote


def test_a_category_coupon_covers_the_subtree_only_and_its_threshold_is_on_those_items() -> None:
    user = UserFactory()
    phones = catalog_factories.category("手机")
    android = catalog_factories.category("安卓", parent=phones)
    in_subtree = catalog_factories.product(prices=(6000,), in_category=android).skus.get().pk
    elsewhere = catalog_factories.product(prices=(9000,)).skus.get().pk
    coupon = claimed(
        user.pk,
        template(
            kind=CouponKind.THRESHOLD,
            amount=1000,
            min_spend=10000,
            scope=Scope.CATEGORIES,
            categories=[phones],
        ),
    )
    error = refused(lambda: quote(user, [(in_subtree, 1), (elsewhere, 1)], [coupon]))
    assert (error.code, error.field, error.message, error.extra) == (
        "coupon_below_threshold",
        "coupon_ids",
        "Spend CN¥100.00 on eligible items to use this coupon (CN¥40.00 more).",
        {"coupon_id": coupon},
    )
    result = quote(user, [(in_subtree, 2), (elsewhere, 1)], [coupon])
    assert {line.sku_id: line.discount for line in result.lines} == {in_subtree: 1000, elsewhere: 0}
    error = refused(lambda: quote(user, [(elsewhere, 2)], [coupon]))
    assert (error.code, error.message) == (
        "coupon_not_applicable",
        "This coupon does not apply to anything in your order.",
    )


def test_free_shipping_waives_the_fee_and_stacks_with_a_discount() -> None:
    user = UserFactory()
    sku = make_sku(price=2000)
    free = claimed(user.pk, template(kind=CouponKind.FREE_SHIPPING, amount=0, name_en="Ship free"))
    fixed = claimed(user.pk, template(amount=500))
    result = quote(user, [(sku, 1)], [free, fixed])
    assert [(a.stage, a.rule, a.amount) for a in result.adjustments] == [
        ("order", f"coupon:{fixed}", 500),
        ("shipping", f"coupon:{free}", 800),
    ]
    assert (result.shipping_base, result.shipping_fee, result.total) == (800, 0, 1500)


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (
            {
                "valid_until": clock.now() - timedelta(seconds=1),
                "valid_from": clock.now() - timedelta(days=2),
            },
            "coupon_expired",
            "This coupon has expired.",
        ),
        ({"status": CouponStatus.EXPIRED}, "coupon_expired", "This coupon has expired."),
        (
            {"valid_from": clock.now() + timedelta(days=3)},
            "coupon_not_started",
            f"This coupon cannot be used yet: it is valid from {STARTS}.",
        ),
        (
            {"status": CouponStatus.USED, "order_number": "CM1"},
            "coupon_used",
            "This coupon has already been used.",
        ),
    ],
)
def test_bad_coupons_refuse_the_order_and_write_nothing(
    change: dict[str, Any], code: str, message: str
) -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=5000, stock=3)
    coupon = claimed(buyer.pk, template())
    UserCoupon.objects.filter(pk=coupon).update(**change)
    before = UserCoupon.objects.values().get(pk=coupon)
    error = refused(lambda: place(buyer, address, sku, options={"coupon_ids": [coupon]}))
    assert (error.code, error.field, str(error.message)) == (code, "coupon_ids", message)
    assert Order.objects.count() == 0
    assert inventory_selectors.stock_of(sku) == (3, 0)
    assert UserCoupon.objects.values().get(pk=coupon) == before
    assert CouponUse.objects.count() == 0


def test_someone_elses_coupon_reads_as_not_mine() -> None:
    buyer, address = make_buyer()
    other = UserFactory()
    theirs = claimed(other.pk, template())
    sku = make_sku()
    for ids in ([theirs], [999999]):
        error = refused(lambda ids=ids: place(buyer, address, sku, options={"coupon_ids": ids}))
        assert (error.code, error.message, error.status) == (
            "coupon_not_found",
            "This coupon is not among your coupons.",
            404,
        )
    assert Order.objects.count() == 0
    assert UserCoupon.objects.get(pk=theirs).status == "available"


def test_two_coupons_of_one_group_do_not_combine() -> None:
    user = UserFactory()
    sku = make_sku(price=5000)
    first = claimed(user.pk, template())
    second = claimed(user.pk, template(amount=2000))
    error = refused(lambda: quote(user, [(sku, 1)], [first, second]))
    assert (error.code, error.message) == (
        "coupon_not_stackable",
        "These coupons cannot be combined: choose one of them.",
    )


@pytest.mark.parametrize("value", ["abc", [1.5], {"id": 1}, [True], list(range(1, 13))])
def test_malformed_coupon_ids_are_refused(value: Any) -> None:
    user = UserFactory()
    error = refused(
        lambda: pricing.quote(
            items=[QuoteItem(sku_id=make_sku(), quantity=1)],
            buyer_id=user.pk,
            options={"coupon_ids": value},
        )
    )
    assert (error.code, error.field) == ("invalid_coupon_ids", "coupon_ids")


def test_visitors_cannot_use_coupons() -> None:
    error = refused(
        lambda: pricing.quote(
            items=[QuoteItem(sku_id=make_sku(), quantity=1)], options={"coupon_ids": [1]}
        )
    )
    assert (error.code, error.message) == ("coupon_sign_in", "Sign in to use coupons.")


# --- Using with an order and getting it back -------------------------------------------------


def test_an_order_holds_its_coupon_payment_uses_it_and_it_is_not_used_twice(
    pay: Callable[..., Order],
) -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=5000, stock=5)
    coupon_template = template(amount=1200)
    coupon = claimed(buyer.pk, coupon_template)
    order = place(buyer, address, sku, options={"coupon_ids": [coupon]})
    assert (order.discount_total, order.total) == (1200, 5000 - 1200 + 800)
    assert [row["rule"] for row in order.adjustments] == [f"coupon:{coupon}"]
    held = UserCoupon.objects.get(pk=coupon)
    assert (held.status, held.order_number) == ("locked", order.number)
    use = CouponUse.objects.get()
    assert (use.user_coupon_id, use.order_number, use.amount, use.stacking_group) == (
        coupon,
        order.number,
        1200,
        "platform",
    )
    assert CouponTemplate.objects.get().used_count == 1
    assert events_of("promotions.CouponUsed") == [
        {
            "user_coupon_id": coupon,
            "template_id": coupon_template.pk,
            "owner_id": buyer.pk,
            "order_number": order.number,
            "amount": 1200,
        }
    ]
    error = refused(lambda: place(buyer, address, sku, options={"coupon_ids": [coupon]}))
    assert error.code == "coupon_used"
    assert Order.objects.count() == 1
    pay(order)
    assert UserCoupon.objects.get(pk=coupon).status == "used"
    with pytest.raises(IntegrityError), transaction.atomic():
        CouponUse.objects.create(
            user_coupon_id=coupon,
            template=coupon_template,
            buyer=buyer,
            order_number="CMOTHER",
            stacking_group="platform",
            amount=1,
            used_at=clock.now(),
        )


def test_a_new_users_coupon_serves_the_first_paid_order_only(pay: Callable[..., Order]) -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=5000, stock=5)
    welcome = template(is_new_users_only=True, per_user_limit=2, name_en="Welcome")
    first, second = claimed(buyer.pk, welcome), claimed(buyer.pk, welcome)
    pay(place(buyer, address, sku, options={"coupon_ids": [first]}))
    error = refused(lambda: place(buyer, address, sku, options={"coupon_ids": [second]}))
    assert (error.code, error.message) == (
        "coupon_new_users_only",
        "This coupon is for your first order only.",
    )
    assert Order.objects.count() == 1
    other_campaign = template(is_new_users_only=True)
    assert refused(lambda: claimed(buyer.pk, other_campaign)).code == "coupon_new_users_only"


def test_cancelling_returns_the_coupon_once(act: Callable[..., Any]) -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=5000)
    coupon = claimed(buyer.pk, template())
    order = place(buyer, address, sku, options={"coupon_ids": [coupon]})
    act(order_services.order_cancel, actor_id=buyer.pk, number=order.number, reason="")
    back = UserCoupon.objects.get(pk=coupon)
    assert (back.status, back.order_number, back.used_at) == ("available", "", None)
    assert CouponUse.objects.get().returned_at is not None
    assert CouponTemplate.objects.get().used_count == 0
    assert [e["reason"] for e in events_of("promotions.CouponReturned")] == ["cancelled"]
    assert services.coupons_return_for_order(order_number=order.number, reason="cancelled") == 0
    assert CouponTemplate.objects.get().used_count == 0
    again = place(buyer, address, sku, options={"coupon_ids": [coupon]})
    assert again.discount_total == 1000
    assert CouponUse.objects.filter(returned_at__isnull=True).get().order_number == again.number


def test_a_returned_coupon_past_its_window_comes_back_expired(act: Callable[..., Any]) -> None:
    buyer, address = make_buyer()
    coupon = claimed(buyer.pk, template())
    order = place(buyer, address, make_sku(), options={"coupon_ids": [coupon]})
    UserCoupon.objects.filter(pk=coupon).update(
        valid_from=clock.now() - timedelta(days=2), valid_until=clock.now() - timedelta(seconds=1)
    )
    act(order_services.order_cancel, actor_id=buyer.pk, number=order.number, reason="")
    assert UserCoupon.objects.get(pk=coupon).status == "expired"
    assert events_of("promotions.CouponReturned")[0]["is_expired"] is True


def test_only_a_full_refund_returns_the_coupon(
    pay: Callable[..., Order], drain: Callable[[], None]
) -> None:
    buyer, address = make_buyer()
    coupon = claimed(buyer.pk, template())
    order = pay(place(buyer, address, make_sku(), options={"coupon_ids": [coupon]}))
    for fully in (False, True):
        with transaction.atomic():
            publish(
                OrderRefunded(order_number=order.number, buyer_id=buyer.pk, amount=100, fully=fully)
            )
        drain()
        expected = "available" if fully else "used"
        assert UserCoupon.objects.get(pk=coupon).status == expected
    assert [e["reason"] for e in events_of("promotions.CouponReturned")] == ["refunded"]


def test_a_campaign_with_a_use_budget_refuses_the_order_past_it() -> None:
    coupon_template = template(max_uses=1)
    (first, first_address), (second, second_address) = make_buyer(), make_buyer()
    sku = make_sku(stock=5)
    place(first, first_address, sku, options={"coupon_ids": [claimed(first.pk, coupon_template)]})
    late_coupon = claimed(second.pk, coupon_template)
    error = refused(
        lambda: place(second, second_address, sku, options={"coupon_ids": [late_coupon]})
    )
    assert (error.code, error.message) == (
        "coupon_uses_exhausted",
        "This coupon campaign has run out: it cannot be used any more.",
    )
    assert Order.objects.count() == 1
    assert inventory_selectors.stock_of(sku) == (5, 1)
    assert UserCoupon.objects.get(pk=late_coupon).status == "available"
    assert CouponTemplate.objects.get().used_count == 1


def test_a_coupon_that_takes_nothing_off_is_not_used_up(settings: Any) -> None:
    settings.SHIPPING_FREE_OVER = 1000
    buyer, address = make_buyer()
    free = claimed(buyer.pk, template(kind=CouponKind.FREE_SHIPPING, amount=0))
    order = place(buyer, address, make_sku(price=5000), options={"coupon_ids": [free]})
    assert order.shipping_fee == 0
    assert [row["rule"] for row in order.adjustments] == ["shipping.free_over"]
    assert UserCoupon.objects.get(pk=free).status == "available"


def test_the_sweep_marks_past_coupons_expired() -> None:
    user = UserFactory()
    old, fresh = claimed(user.pk, template()), claimed(user.pk, template())
    UserCoupon.objects.filter(pk=old).update(
        valid_from=clock.now() - timedelta(days=2), valid_until=clock.now() - timedelta(seconds=1)
    )
    assert services.coupons_expire() == 1
    assert dict(UserCoupon.objects.values_list("pk", "status")) == {
        old: "expired",
        fresh: "available",
    }
