"""Flash-sale services: the price, the units taken inside the order's transaction, the
refusals (each its own code), releases on cancel, and Redis kept in step with the database.
Runs on the DB-only path everywhere and on Redis where REDIS_URL is set."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import translation

from circlemart.core import clock
from circlemart.core.errors import DomainError
from circlemart.core.events import relay_pending
from circlemart.core.models import OutboxEvent
from circlemart.inventory import selectors as inventory_selectors
from circlemart.orders import services as order_services
from circlemart.orders.models import Order
from circlemart.promotions.flash import services as flash_services
from circlemart.promotions.flash import store as flash_store
from circlemart.promotions.flash.models import FlashBuyer, FlashItem, FlashPurchase, FlashSession
from tests.promotions.conftest import make_buyer, make_sku

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


def flash_item(
    *,
    price: int = 9900,
    flash_price: int = 4900,
    flash_stock: int = 5,
    per_user_limit: int = 1,
    stock: int = 100,
    starts_in: timedelta = -timedelta(minutes=5),
    lasts: timedelta = timedelta(hours=1),
    is_active: bool = True,
) -> FlashItem:
    sku_id = make_sku(price=price, stock=stock)
    starts = clock.now() + starts_in
    session = FlashSession.objects.create(
        name="午夜秒杀", starts_at=starts, ends_at=starts + lasts, is_active=is_active
    )
    return FlashItem.objects.create(
        session=session,
        sku_id=sku_id,
        flash_price=flash_price,
        flash_stock=flash_stock,
        per_user_limit=per_user_limit,
    )


def buy(user: Any, address: int, item: FlashItem, quantity: int = 1, **extra: Any) -> Any:
    return flash_services.flash_buy(
        buyer_id=user.pk, item_id=item.pk, quantity=quantity, address_id=address, **extra
    )


def refused(call: Callable[[], Any]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


@pytest.fixture
def expire_unpaid(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[[], int]:
    """Every unpaid order's window is over: the sweep cancels them, the outbox delivers the
    cancellations (and what they schedule after commit runs, as in production)."""

    def _expire() -> int:
        Order.objects.filter(status="pending_payment").update(
            payment_deadline=clock.now() - timedelta(seconds=1)
        )
        with django_capture_on_commit_callbacks(execute=True):
            cancelled = order_services.orders_cancel_unpaid()
            relay_pending()
        return cancelled

    return _expire


@pytest.fixture(params=["db", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest, settings: Any) -> str:
    """Every test here runs on the DB-only path and (with REDIS_URL) on Redis."""
    settings.PROMOTIONS_FLASH_BACKEND = "db" if request.param == "db" else "auto"
    settings.PROMOTIONS_FLASH_KEY_PREFIX = f"test:{uuid.uuid4().hex[:10]}:"
    return request.param


def redis_agrees(item: FlashItem) -> None:
    if not flash_store.is_enabled():
        return
    item.refresh_from_db()
    left, buyers = flash_store.snapshot(item.pk)
    assert left == item.flash_stock - item.sold
    assert buyers == dict(
        FlashBuyer.objects.filter(item=item, taken__gt=0).values_list("buyer_id", "taken")
    )


def test_a_flash_buy_places_one_order_at_the_flash_price(backend: str) -> None:
    item = flash_item(flash_price=4900, flash_stock=5)
    user, address = make_buyer()
    ref = buy(user, address, item)
    order = Order.objects.get(number=ref.order_number)
    assert (order.subtotal, order.list_subtotal, order.source) == (4900, 9900, "buy_now")
    assert [a["rule"] for a in order.adjustments][:1] == [f"flash:{item.pk}"]
    assert order.adjustments[0]["amount"] == 5000
    assert (ref.unit_price, ref.quantity, ref.total) == (4900, 1, order.total)
    purchase = FlashPurchase.objects.get()
    assert (purchase.order_number, purchase.quantity, purchase.status) == (
        order.number,
        1,
        "held",
    )
    assert FlashItem.objects.get().sold == 1
    assert inventory_selectors.stock_of(item.sku_id) == (100, 1)
    redis_agrees(item)


def test_the_same_key_twice_is_one_order(backend: str) -> None:
    item = flash_item(per_user_limit=1)
    user, address = make_buyer()
    first = buy(user, address, item, idempotency_key="click-1")
    second = buy(user, address, item, idempotency_key="click-1")
    assert first.order_number == second.order_number
    assert Order.objects.count() == 1
    assert FlashItem.objects.get().sold == 1
    error = refused(lambda: buy(user, address, item, idempotency_key="click-2"))
    assert (error.code, error.status, error.field) == ("flash_limit_reached", 409, "quantity")
    assert str(error.message) == "You can buy at most 1 of this flash item."
    assert Order.objects.count() == 1
    redis_agrees(item)


@pytest.mark.parametrize(
    ("starts_in", "code", "message"),
    [
        (timedelta(minutes=10), "flash_not_started", "This flash sale has not started yet."),
        (-timedelta(hours=2), "flash_ended", "This flash sale has ended."),
    ],
)
def test_outside_the_window_nothing_is_written(
    backend: str, starts_in: timedelta, code: str, message: str
) -> None:
    item = flash_item(starts_in=starts_in)
    user, address = make_buyer()
    error = refused(lambda: buy(user, address, item))
    assert (error.code, error.status, error.field, str(error.message)) == (
        code,
        409,
        "item_id",
        message,
    )
    assert Order.objects.count() == 0
    assert FlashItem.objects.get().sold == 0


def test_sold_out_and_not_enough_left(backend: str) -> None:
    item = flash_item(flash_stock=3, per_user_limit=2)
    first, first_address = make_buyer()
    second, second_address = make_buyer()
    buy(first, first_address, item, quantity=2)
    error = refused(lambda: buy(second, second_address, item, quantity=2))
    assert (error.code, error.field) == ("flash_not_enough_left", "quantity")
    buy(second, second_address, item, quantity=1)
    third, third_address = make_buyer()
    error = refused(lambda: buy(third, third_address, item))
    assert (error.code, error.status, str(error.message)) == (
        "flash_sold_out",
        409,
        "Sold out: every flash unit is taken.",
    )
    assert Order.objects.count() == 2
    assert FlashItem.objects.get().sold == 3
    redis_agrees(item)


def test_asking_for_more_than_the_limit_at_once_is_a_bad_quantity(backend: str) -> None:
    item = flash_item(per_user_limit=2)
    user, address = make_buyer()
    error = refused(lambda: buy(user, address, item, quantity=3))
    assert (error.code, error.status, error.field) == ("quantity_limit", 400, "quantity")
    assert Order.objects.count() == 0


def test_an_unknown_or_switched_off_flash_item_is_not_found(backend: str) -> None:
    item = flash_item(is_active=False)
    user, address = make_buyer()
    for item_id in (item.pk, item.pk + 999):
        error = refused(
            lambda item_id=item_id: flash_services.flash_buy(
                buyer_id=user.pk, item_id=item_id, quantity=1, address_id=address
            )
        )
        assert (error.code, error.status) == ("flash_not_found", 404)


def test_the_last_unit_publishes_sold_out_once(backend: str) -> None:
    item = flash_item(flash_stock=2)
    for _ in range(2):
        user, address = make_buyer()
        buy(user, address, item)
    rows = OutboxEvent.objects.filter(event_type="promotions.FlashSaleSoldOut")
    assert [(row.aggregate_id, row.payload["flash_stock"]) for row in rows] == [(str(item.pk), 2)]


def test_a_refused_order_keeps_no_unit(backend: str) -> None:
    """The shop's own stock runs out before the flash stock: the order rolls back and the
    flash unit (in the database and in Redis) with it."""
    item = flash_item(flash_stock=5, stock=1)
    first, first_address = make_buyer()
    second, second_address = make_buyer()
    buy(first, first_address, item)
    error = refused(lambda: buy(second, second_address, item))
    assert error.code == "out_of_stock"
    assert FlashItem.objects.get().sold == 1
    assert FlashPurchase.objects.count() == 1
    redis_agrees(item)


def test_the_database_refuses_when_redis_would_have_said_yes(backend: str) -> None:
    """Redis is ahead of the truth (drift): the conditional UPDATE refuses and the Redis unit
    goes back."""
    item = flash_item(flash_stock=1)
    user, address = make_buyer()
    buy(user, address, item)
    if flash_store.is_enabled():  # make Redis believe there is one left
        state = flash_services.item_state(FlashItem.objects.select_related("session").get())
        flash_store.adjust(state, stock_delta=1, buyer_deltas={})
    other, other_address = make_buyer()
    error = refused(lambda: buy(other, other_address, item))
    assert error.code == "flash_sold_out"
    assert FlashItem.objects.get().sold == 1
    assert Order.objects.count() == 1
    if flash_store.is_enabled():
        assert flash_store.snapshot(item.pk) == (1, {user.pk: 1})  # the drift, not more


def test_units_of_unpaid_orders_come_back_once_and_sell_again(
    backend: str, expire_unpaid: Callable[[], int]
) -> None:
    item = flash_item(flash_stock=1)
    user, address = make_buyer()
    first = buy(user, address, item)
    assert expire_unpaid() == 1
    assert Order.objects.get(number=first.order_number).status == "cancelled"
    assert FlashPurchase.objects.get().status == "released"
    assert FlashItem.objects.get().sold == 0
    assert flash_services.flash_units_release(order_number=first.order_number) == 0  # once
    assert FlashItem.objects.get().sold == 0
    redis_agrees(item)
    again = buy(user, address, item)  # released units count against nobody's limit
    assert again.order_number != first.order_number
    assert FlashItem.objects.get().sold == 1
    redis_agrees(item)


def test_paid_units_stay_sold(
    backend: str, pay: Callable[..., Order], expire_unpaid: Callable[[], int]
) -> None:
    item = flash_item(flash_stock=2)
    user, address = make_buyer()
    ref = buy(user, address, item)
    assert pay(Order.objects.get(number=ref.order_number)).status == "paid"
    assert FlashPurchase.objects.get().status == "paid"
    assert expire_unpaid() == 0
    assert FlashItem.objects.get().sold == 1
    redis_agrees(item)


def test_a_return_url_answers_with_the_payment_page(backend: str) -> None:
    item = flash_item()
    user, address = make_buyer()
    ref = buy(user, address, item, return_url="/orders/")
    assert "/payments/test-gateway/pay/" in ref.payment_url


def test_the_price_rule_refuses_a_flash_item_that_is_not_in_the_basket(backend: str) -> None:
    item = flash_item()
    other_sku = make_sku(price=3000)
    user, address = make_buyer()
    error = refused(
        lambda: order_services.order_place(
            buyer_id=user.pk,
            data=order_services.CheckoutInput(
                items=[order_services.QuoteItem(sku_id=other_sku, quantity=1)],
                address_id=address,
                options={"flash_item_id": item.pk},
            ),
        )
    )
    assert (error.code, error.field) == ("flash_wrong_item", "item_id")
    assert Order.objects.count() == 0


@pytest.mark.redis
def test_reconciliation_repairs_drift_both_ways(settings: Any) -> None:
    settings.PROMOTIONS_FLASH_KEY_PREFIX = f"test:{uuid.uuid4().hex[:10]}:"
    item = flash_item(flash_stock=10, per_user_limit=2)
    user, address = make_buyer()
    buy(user, address, item, quantity=2)
    assert flash_services.flash_reconcile(settle_seconds=0) == []
    state = flash_services.item_state(FlashItem.objects.select_related("session").get())
    flash_store.adjust(state, stock_delta=-3, buyer_deltas={user.pk: -2, 424242: 1})
    [drift] = flash_services.flash_reconcile(settle_seconds=0.01)
    assert (drift.redis_remaining, drift.db_remaining, drift.buyers_repaired, drift.repaired) == (
        5,
        8,
        2,
        True,
    )
    redis_agrees(item)
    assert flash_store.snapshot(item.pk) == (8, {user.pk: 2})
    assert flash_services.flash_reconcile(settle_seconds=0) == []


@pytest.mark.redis
def test_redis_loads_lazily_from_the_database(settings: Any) -> None:
    settings.PROMOTIONS_FLASH_KEY_PREFIX = f"test:{uuid.uuid4().hex[:10]}:"
    item = flash_item(flash_stock=4, per_user_limit=1)
    user, address = make_buyer()
    buy(user, address, item)
    flash_store.forget(item.pk)  # Redis lost everything (restart without persistence)
    error = refused(lambda: buy(user, address, item))
    assert error.code == "flash_limit_reached"  # reloaded from the purchases
    assert flash_store.snapshot(item.pk) == (3, {user.pk: 1})


@pytest.mark.redis
def test_a_back_office_change_reaches_redis_at_once(settings: Any) -> None:
    settings.PROMOTIONS_FLASH_KEY_PREFIX = f"test:{uuid.uuid4().hex[:10]}:"
    item = flash_item(flash_stock=1)
    user, address = make_buyer()
    buy(user, address, item)
    FlashItem.objects.filter(pk=item.pk).update(flash_stock=3)
    flash_services.flash_item_sync(item_id=item.pk)
    assert flash_store.snapshot(item.pk)[0] == 2
    other, other_address = make_buyer()
    buy(other, other_address, item)
    redis_agrees(item)
