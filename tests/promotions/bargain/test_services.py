"""Bargain services: starting, friends' cuts reaching the floor exactly with the last helper,
`BargainCompleted` through the outbox, buying at the price reached (an ordinary order), each
refusal with its own code, field and message (and nothing changed), the bargain given back
when its unpaid order is cancelled, the sweep, and the database's constraints."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from circlemart.core import clock
from circlemart.core.errors import DomainError
from circlemart.core.models import OutboxEvent
from circlemart.orders import services as order_services
from circlemart.orders.models import Order
from circlemart.pricing.contracts import PlacedOrder, QuoteItem
from circlemart.pricing.services import quote
from circlemart.promotions.bargain import selectors as bargain_selectors
from circlemart.promotions.bargain import services as bargain_services
from circlemart.promotions.bargain.contracts import BargainCounters
from circlemart.promotions.bargain.models import Bargain, BargainDeal, BargainHelp
from tests.accounts.factories import UserFactory
from tests.promotions.conftest import make_buyer, make_sku

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


def bargain_deal(
    *,
    price: int = 9900,
    floor_price: int = 990,
    helpers_needed: int = 10,
    duration_hours: int = 24,
    max_starts_per_user: int = 1,
    buy_only_at_floor: bool = False,
    starts_in: timedelta = -timedelta(minutes=5),
    lasts: timedelta = timedelta(days=7),
    is_active: bool = True,
    stock: int = 100,
) -> BargainDeal:
    """A live deal: ¥99 down to ¥9.90 with ten friends, 24 hours per bargain."""
    starts = clock.now() + starts_in
    deal = BargainDeal(
        name="砍一刀",
        sku_id=make_sku(price=price, stock=stock),
        floor_price=floor_price,
        helpers_needed=helpers_needed,
        duration_hours=duration_hours,
        max_starts_per_user=max_starts_per_user,
        buy_only_at_floor=buy_only_at_floor,
        starts_at=starts,
        ends_at=starts + lasts,
        is_active=is_active,
    )
    deal.full_clean()
    deal.save()
    return deal


def start(deal: BargainDeal, user: Any) -> Bargain:
    ref = bargain_services.bargain_start(deal_id=deal.pk, starter_id=user.pk)
    return Bargain.objects.get(pk=ref.bargain_id)


def help_by(bargain: Bargain, user: Any, seed: int = 0) -> Any:
    return bargain_services.bargain_help(
        bargain_id=bargain.pk, helper_id=user.pk, rng=random.Random(seed)
    )


def help_fully(bargain: Bargain, count: int | None = None) -> list[Any]:
    return [
        help_by(bargain, UserFactory(), seed)
        for seed in range(count if count is not None else bargain.helpers_needed)
    ]


def refused(call: Callable[[], Any]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def buy(bargain: Bargain, address: int, **extra: Any) -> Any:
    return bargain_services.bargain_buy(
        buyer_id=bargain.starter_id, bargain_id=bargain.pk, address_id=address, **extra
    )


def state(bargain: Bargain) -> tuple[Any, ...]:
    bargain.refresh_from_db()
    return (
        bargain.status,
        bargain.current_price,
        bargain.helpers_count,
        bargain.order_number,
        BargainHelp.objects.filter(bargain=bargain).count(),
    )


@pytest.fixture
def cancel_and_deliver(
    django_capture_on_commit_callbacks: Callable[..., Any], drain: Callable[[], None]
) -> Callable[[str, int], None]:
    def _cancel(number: str, buyer_id: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            order_services.order_cancel(actor_id=buyer_id, number=number)
        drain()

    return _cancel


# --- starting -------------------------------------------------------------------------------


def test_a_bargain_starts_at_the_skus_price_for_the_deals_duration() -> None:
    deal = bargain_deal(price=9900, floor_price=990, helpers_needed=10, duration_hours=24)
    user = UserFactory()
    before = clock.now()
    ref = bargain_services.bargain_start(deal_id=deal.pk, starter_id=user.pk)
    bargain = Bargain.objects.get()
    assert (ref.bargain_id, ref.start_price, ref.current_price, ref.floor_price) == (
        bargain.pk,
        9900,
        9900,
        990,
    )
    assert (bargain.status, bargain.helpers_count, bargain.helpers_needed, bargain.sku_id) == (
        "active",
        0,
        10,
        deal.sku_id,
    )
    assert (bargain.start_number, bargain.currency) == (1, "CNY")
    assert before + timedelta(hours=24) <= bargain.expires_at <= clock.now() + timedelta(hours=24)


def test_a_bargain_never_outlives_its_deal() -> None:
    deal = bargain_deal(duration_hours=24, starts_in=-timedelta(hours=1), lasts=timedelta(hours=3))
    bargain = start(deal, UserFactory())
    assert bargain.expires_at == deal.ends_at


@pytest.mark.parametrize(
    ("fields", "status", "code", "message"),
    [
        (
            {"starts_in": timedelta(hours=1)},
            409,
            "bargain_deal_not_started",
            "This bargain deal has not started yet.",
        ),
        (
            {"starts_in": -timedelta(days=8)},
            409,
            "bargain_deal_ended",
            "This bargain deal has ended.",
        ),
        ({"is_active": False}, 404, "bargain_deal_not_found", "This bargain deal does not exist."),
    ],
)
def test_a_deal_outside_its_window_cannot_be_started(
    fields: dict[str, Any], status: int, code: str, message: str
) -> None:
    deal = bargain_deal(**fields)
    error = refused(lambda: start(deal, UserFactory()))
    assert (error.status, error.code, error.field, str(error.message)) == (
        status,
        code,
        "deal_id",
        message,
    )
    assert Bargain.objects.count() == 0


def test_a_sku_price_too_close_to_the_floor_cannot_be_bargained() -> None:
    deal = bargain_deal(price=1000, floor_price=990, helpers_needed=10)
    assert start(deal, UserFactory()).start_price == 1000  # exactly one unit per helper
    deal.helpers_needed = 11
    deal.save()
    error = refused(lambda: start(deal, UserFactory()))
    assert (error.status, error.code, str(error.message)) == (
        409,
        "bargain_unavailable",
        "This product cannot be bargained for right now.",
    )
    assert Bargain.objects.count() == 1


def test_one_live_bargain_per_user_per_deal() -> None:
    deal = bargain_deal(max_starts_per_user=3)
    user = UserFactory()
    first = start(deal, user)
    error = refused(lambda: start(deal, user))
    assert (error.status, error.code, error.extra) == (
        409,
        "bargain_already_started",
        {"bargain_id": first.pk},
    )
    assert str(error.message) == (
        "You already have a bargain going on this deal: share it with your friends."
    )
    assert Bargain.objects.count() == 1
    assert start(deal, UserFactory()).pk != first.pk  # someone else may


def test_an_expired_bargain_makes_room_for_the_next_up_to_the_deals_limit() -> None:
    deal = bargain_deal(max_starts_per_user=2)
    user = UserFactory()
    first = start(deal, user)
    Bargain.objects.filter(pk=first.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    second = start(deal, user)
    first.refresh_from_db()
    assert (first.status, second.status, second.start_number) == ("expired", "active", 2)
    Bargain.objects.filter(pk=second.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    error = refused(lambda: start(deal, user))
    assert (error.code, error.extra, str(error.message)) == (
        "bargain_start_limit",
        {"limit": 2},
        "You have started the most bargains allowed on this deal (2).",
    )
    assert Bargain.objects.filter(starter=user).count() == 2


def test_the_database_refuses_a_second_live_bargain() -> None:
    deal = bargain_deal(max_starts_per_user=5)
    first = start(deal, UserFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        Bargain.objects.create(
            deal=deal,
            starter_id=first.starter_id,
            start_number=2,
            sku_id=deal.sku_id,
            start_price=9900,
            current_price=9900,
            floor_price=990,
            helpers_needed=10,
            started_at=clock.now(),
            expires_at=first.expires_at,
        )


# --- helping --------------------------------------------------------------------------------


def test_ten_friends_reach_the_floor_exactly_with_the_tenth() -> None:
    deal = bargain_deal(price=9900, floor_price=990, helpers_needed=10)
    bargain = start(deal, UserFactory())
    prices = []
    for index, ref in enumerate(help_fully(bargain, 9)):
        assert (ref.sequence, ref.helpers_count, ref.is_floor_reached) == (
            index + 1,
            index + 1,
            False,
        )
        assert ref.cut >= 1
        prices.append(ref.current_price)
    assert prices == sorted(prices, reverse=True)
    assert prices[-1] > 990
    assert OutboxEvent.objects.filter(event_type="promotions.BargainCompleted").count() == 0
    last = help_by(bargain, UserFactory(), seed=99)
    assert (last.sequence, last.current_price, last.cut, last.is_floor_reached) == (
        10,
        990,
        prices[-1] - 990,
        True,
    )
    bargain.refresh_from_db()
    assert (bargain.status, bargain.current_price, bargain.helpers_count) == ("reached", 990, 10)
    assert bargain.reached_at is not None
    cuts = list(BargainHelp.objects.filter(bargain=bargain).values_list("cut", flat=True))
    assert (len(cuts), sum(cuts)) == (10, 9900 - 990)
    assert list(
        BargainHelp.objects.filter(bargain=bargain).values_list("price_after", flat=True)
    ) == [*prices, 990]
    event = OutboxEvent.objects.get(event_type="promotions.BargainCompleted")
    assert (event.aggregate_type, event.aggregate_id) == ("bargain", str(bargain.pk))
    assert event.payload == {
        "bargain_id": bargain.pk,
        "deal_id": deal.pk,
        "starter_id": bargain.starter_id,
        "final_price": 990,
        "currency": "CNY",
    }
    error = refused(lambda: help_by(bargain, UserFactory()))
    assert (error.status, error.code, error.field, str(error.message)) == (
        409,
        "bargain_floor_reached",
        "bargain_id",
        "This bargain is already at its lowest price: no more cuts needed.",
    )
    assert state(bargain) == ("reached", 990, 10, "", 10)


def test_one_helper_deal_cuts_to_the_floor_at_once() -> None:
    bargain = start(bargain_deal(helpers_needed=1), UserFactory())
    ref = help_by(bargain, UserFactory())
    assert (ref.cut, ref.current_price, ref.is_floor_reached) == (9900 - 990, 990, True)


def test_the_starter_cannot_help_their_own_bargain() -> None:
    user = UserFactory()
    bargain = start(bargain_deal(), user)
    error = refused(lambda: help_by(bargain, user))
    assert (error.status, error.code, error.field, str(error.message)) == (
        403,
        "bargain_own",
        "bargain_id",
        "You cannot cut your own bargain: ask your friends to help.",
    )
    assert state(bargain) == ("active", 9900, 0, "", 0)


def test_a_friend_helps_once() -> None:
    bargain = start(bargain_deal(), UserFactory())
    friend = UserFactory()
    first = help_by(bargain, friend)
    error = refused(lambda: help_by(bargain, friend, seed=5))
    assert (error.status, error.code, str(error.message)) == (
        409,
        "bargain_already_helped",
        "You have already helped with this bargain: each friend can cut once.",
    )
    assert state(bargain) == ("active", 9900 - first.cut, 1, "", 1)


def test_an_expired_bargain_takes_no_cuts() -> None:
    bargain = start(bargain_deal(), UserFactory())
    help_by(bargain, UserFactory())
    Bargain.objects.filter(pk=bargain.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    before = state(bargain)
    error = refused(lambda: help_by(bargain, UserFactory()))
    assert (error.status, error.code, str(error.message)) == (
        409,
        "bargain_expired",
        "This bargain has expired.",
    )
    assert state(bargain) == before


def test_a_switched_off_deal_takes_no_cuts_and_sells_nothing() -> None:
    _user, address = make_buyer()
    bargain = start(bargain_deal(), _user)
    BargainDeal.objects.update(is_active=False)
    assert refused(lambda: help_by(bargain, UserFactory())).code == "bargain_expired"
    assert refused(lambda: buy(bargain, address)).code == "bargain_expired"
    assert state(bargain) == ("active", 9900, 0, "", 0)
    assert Order.objects.count() == 0


def test_an_unknown_bargain() -> None:
    error = refused(
        lambda: bargain_services.bargain_help(bargain_id=999_999, helper_id=UserFactory().pk)
    )
    assert (error.status, error.code, error.field) == (404, "bargain_not_found", "bargain_id")


def test_the_database_refuses_a_second_cut_by_one_friend_and_a_price_below_the_floor() -> None:
    bargain = start(bargain_deal(), UserFactory())
    friend = UserFactory()
    help_by(bargain, friend)
    with pytest.raises(IntegrityError), transaction.atomic():
        BargainHelp.objects.create(
            bargain=bargain,
            helper=friend,
            sequence=2,
            cut=1,
            price_after=1000,
            helped_at=clock.now(),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Bargain.objects.filter(pk=bargain.pk).update(current_price=989)
    with pytest.raises(IntegrityError), transaction.atomic():  # the floor before the last helper
        Bargain.objects.filter(pk=bargain.pk).update(current_price=990)


# --- buying ---------------------------------------------------------------------------------


def test_the_starter_buys_at_the_price_reached_so_far() -> None:
    user, address = make_buyer()
    deal = bargain_deal(price=9900, floor_price=990)
    bargain = start(deal, user)
    cuts = help_fully(bargain, 3)
    price = 9900 - sum(ref.cut for ref in cuts)
    ref = buy(bargain, address)
    order = Order.objects.get(number=ref.order_number)
    assert (order.subtotal, order.list_subtotal, order.source, order.buyer_id) == (
        price,
        9900,
        "buy_now",
        user.pk,
    )
    assert order.adjustments[0] == {
        "stage": "catalogue",
        "rule": f"bargain:{bargain.pk}",
        "label": "Bargain: 砍一刀",
        "amount": 9900 - price,
        "sku_id": deal.sku_id,
    }
    assert (ref.unit_price, ref.total, ref.bargain_id) == (price, order.total, bargain.pk)
    bargain.refresh_from_db()
    assert (bargain.status, bargain.order_number) == ("purchased", order.number)
    assert bargain.purchased_at is not None


def test_buying_twice_is_refused_and_the_same_key_is_the_same_order() -> None:
    user, address = make_buyer()
    bargain = start(bargain_deal(), user)
    help_fully(bargain)
    first = buy(bargain, address, idempotency_key="click-1")
    again = buy(bargain, address, idempotency_key="click-1")
    assert (first.order_number, first.unit_price) == (again.order_number, 990)
    error = refused(lambda: buy(bargain, address, idempotency_key="click-2"))
    assert (error.status, error.code, error.field, str(error.message)) == (
        409,
        "bargain_purchased",
        "bargain_id",
        "This bargain has already been bought.",
    )
    assert Order.objects.count() == 1
    error = refused(lambda: help_by(bargain, UserFactory()))
    assert error.code == "bargain_purchased"


def test_someone_elses_bargain_reads_as_missing() -> None:
    owner, _address = make_buyer()
    bargain = start(bargain_deal(), owner)
    other, other_address = make_buyer()
    error = refused(
        lambda: bargain_services.bargain_buy(
            buyer_id=other.pk, bargain_id=bargain.pk, address_id=other_address
        )
    )
    assert (error.status, error.code, str(error.message)) == (
        404,
        "bargain_not_found",
        "This bargain does not exist.",
    )
    # Nor can another buyer slip the bargain into their own checkout.
    error = refused(
        lambda: order_services.order_place(
            buyer_id=other.pk,
            data=order_services.CheckoutInput(
                items=[QuoteItem(sku_id=bargain.sku_id, quantity=1)],
                address_id=other_address,
                options={"bargain_id": bargain.pk},
            ),
        )
    )
    assert error.code == "bargain_not_found"
    assert Order.objects.count() == 0
    assert state(bargain) == ("active", 9900, 0, "", 0)


def test_buying_after_the_window_is_refused() -> None:
    user, address = make_buyer()
    bargain = start(bargain_deal(), user)
    help_fully(bargain, 2)
    Bargain.objects.filter(pk=bargain.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    before = state(bargain)
    error = refused(lambda: buy(bargain, address))
    assert (error.status, error.code, error.field, str(error.message)) == (
        409,
        "bargain_expired",
        "bargain_id",
        "The time to buy at this bargain price is over.",
    )
    assert state(bargain) == before
    assert Order.objects.count() == 0


def test_a_floor_only_deal_sells_once_the_floor_is_reached() -> None:
    user, address = make_buyer()
    bargain = start(bargain_deal(buy_only_at_floor=True, helpers_needed=3), user)
    help_fully(bargain, 1)
    error = refused(lambda: buy(bargain, address))
    assert (error.code, error.extra, str(error.message)) == (
        "bargain_floor_not_reached",
        {"helpers_left": 2},
        "This deal sells at the floor price only: 2 more friends must help first.",
    )
    assert Order.objects.count() == 0
    help_fully(bargain, 2)
    assert buy(bargain, address).unit_price == 990


def test_the_bargain_price_is_for_one_unit_of_its_sku() -> None:
    user, address = make_buyer()
    bargain = start(bargain_deal(), user)

    def place(items: list[QuoteItem]) -> Any:
        return order_services.order_place(
            buyer_id=user.pk,
            data=order_services.CheckoutInput(
                items=items, address_id=address, options={"bargain_id": bargain.pk}
            ),
        )

    error = refused(lambda: place([QuoteItem(sku_id=bargain.sku_id, quantity=2)]))
    assert (error.status, error.code, error.field, str(error.message)) == (
        400,
        "bargain_one_unit",
        "quantity",
        "A bargain price is for one unit.",
    )
    error = refused(lambda: place([QuoteItem(sku_id=make_sku(), quantity=1)]))
    assert (error.code, str(error.message)) == (
        "bargain_wrong_item",
        "This order does not contain the bargain's product.",
    )
    error = refused(
        lambda: order_services.order_place(
            buyer_id=user.pk,
            data=order_services.CheckoutInput(
                items=[QuoteItem(sku_id=bargain.sku_id, quantity=1)],
                address_id=address,
                options={"bargain_id": "one"},
            ),
        )
    )
    assert error.code == "bargain_not_found"
    assert Order.objects.count() == 0
    assert state(bargain) == ("active", 9900, 0, "", 0)


def test_a_quote_explains_the_bargain_price() -> None:
    user, _address = make_buyer()
    bargain = start(bargain_deal(), user)
    cut = help_by(bargain, UserFactory()).cut
    priced = quote(
        items=[QuoteItem(sku_id=bargain.sku_id, quantity=1)],
        buyer_id=user.pk,
        options={"bargain_id": str(bargain.pk)},
    )
    assert (priced.lines[0].unit_price, priced.lines[0].list_price) == (9900 - cut, 9900)
    assert [(a.rule, a.amount) for a in priced.adjustments][:1] == [(f"bargain:{bargain.pk}", cut)]


def test_an_order_priced_above_the_bargain_is_priced_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The quote read the price before a friend's cut (a stale read: what a database without
    row locks allows): the commit hook refuses the dearer order and the buy prices it again,
    at the price the bargain really is."""
    user, address = make_buyer()
    bargain = start(bargain_deal(), user)
    price = 9900 - help_by(bargain, UserFactory()).cut
    real = bargain_services.bargain_for_checkout
    seen: list[int] = []

    def stale_first(**kwargs: Any) -> Bargain:
        found = real(**kwargs)
        if not seen:
            found.current_price = price + 100  # as before the cut
        seen.append(found.current_price)
        return found

    monkeypatch.setattr(bargain_services, "bargain_for_checkout", stale_first)
    ref = buy(bargain, address)
    # quote (stale), commit hook (refuses), quote again, commit hook (takes it)
    assert seen == [price + 100, price, price, price]
    assert ref.unit_price == price
    assert (state(bargain)[0], Order.objects.count()) == ("purchased", 1)


def test_the_commit_hook_refuses_a_price_above_the_bargains() -> None:
    user, _address = make_buyer()
    bargain = start(bargain_deal(), user)
    help_by(bargain, UserFactory())
    bargain.refresh_from_db()
    dear = quote(items=[QuoteItem(sku_id=bargain.sku_id, quantity=1)], buyer_id=user.pk)
    placed = PlacedOrder(
        order_number="X1", buyer_id=user.pk, quote=dear, options={"bargain_id": bargain.pk}
    )
    with transaction.atomic():
        error = refused(lambda: bargain_services.bargain_purchase_take(placed))
    assert (error.code, str(error.message)) == (
        "bargain_price_changed",
        "The bargain price just dropped. Please try again.",
    )
    assert state(bargain)[0] == "active"


# --- settling -------------------------------------------------------------------------------


def test_an_unpaid_order_cancelled_gives_the_bargain_back(
    cancel_and_deliver: Callable[[str, int], None],
) -> None:
    user, address = make_buyer()
    bargain = start(bargain_deal(), user)
    cut = help_by(bargain, UserFactory()).cut
    first = buy(bargain, address)
    assert state(bargain)[0] == "purchased"
    cancel_and_deliver(first.order_number, user.pk)
    assert state(bargain) == ("active", 9900 - cut, 1, "", 1)
    assert bargain.purchased_at is None
    help_by(bargain, UserFactory())  # friends may cut again
    second = buy(bargain, address)
    assert second.order_number != first.order_number
    assert state(bargain)[:1] == ("purchased",)


def test_a_cancelled_order_of_a_bargain_at_the_floor_leaves_it_at_the_floor(
    cancel_and_deliver: Callable[[str, int], None],
) -> None:
    user, address = make_buyer()
    bargain = start(bargain_deal(helpers_needed=2), user)
    help_fully(bargain)
    order = buy(bargain, address)
    cancel_and_deliver(order.order_number, user.pk)
    assert state(bargain) == ("reached", 990, 2, "", 2)


def test_a_cancelled_order_past_the_window_expires_the_bargain() -> None:
    user, address = make_buyer()
    bargain = start(bargain_deal(), user)
    order = buy(bargain, address)
    Bargain.objects.filter(pk=bargain.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    with transaction.atomic():
        order_services.order_cancel(actor_id=user.pk, number=order.order_number)
    assert bargain_services.bargain_order_release(order_number=order.order_number) is True
    assert bargain_services.bargain_order_release(order_number=order.order_number) is False
    assert state(bargain)[:2] == ("expired", 9900)


def test_a_released_bargain_does_not_clash_with_a_newer_one() -> None:
    """The starter started another bargain on the deal while the first one's order waited:
    cancelling that order leaves the new one live and expires the old one."""
    user, address = make_buyer()
    deal = bargain_deal(max_starts_per_user=2)
    first = start(deal, user)
    order = buy(first, address)
    second = start(deal, user)
    assert bargain_services.bargain_order_release(order_number=order.order_number) is True
    assert state(first)[0] == "expired"
    assert state(second)[0] == "active"


def test_a_paid_bargain_stays_bought(pay: Callable[..., Order]) -> None:
    user, address = make_buyer()
    bargain = start(bargain_deal(), user)
    ref = buy(bargain, address)
    order = pay(Order.objects.get(number=ref.order_number))
    assert order.status == "paid"
    bargain.refresh_from_db()
    assert (bargain.status, bargain.order_number) == ("purchased", order.number)
    assert bargain.paid_at is not None
    assert bargain_services.bargain_order_release(order_number=order.number) is False
    assert bargain_selectors.bargain_counters([bargain.deal_id])[bargain.deal_id] == (
        BargainCounters(started=1, purchased=1, paid=1)
    )


def test_the_sweep_expires_bargains_past_their_window_and_the_counters_count() -> None:
    deal = bargain_deal(helpers_needed=2, max_starts_per_user=1)
    open_one, done, old = (start(deal, UserFactory()) for _ in range(3))
    help_fully(done)
    Bargain.objects.filter(pk=old.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    assert bargain_selectors.bargain_counters([deal.pk, 999]) == {
        deal.pk: BargainCounters(started=3, active=2, completed=1, expired=1),
        999: BargainCounters(),
    }
    assert bargain_services.bargains_expire() == 1
    assert bargain_services.bargains_expire() == 0
    assert [state(b)[0] for b in (open_one, done, old)] == ["active", "reached", "expired"]


# --- reads ----------------------------------------------------------------------------------


def test_the_share_view_shows_helpers_and_keeps_the_order_number_to_the_starter(
    django_assert_num_queries: Any,
) -> None:
    user, address = make_buyer()
    bargain = start(bargain_deal(helpers_needed=3), user)
    friends = [UserFactory(nickname=f"friend{index}") for index in range(2)]
    cuts = [help_by(bargain, friend).cut for friend in friends]
    order = buy(bargain, address)
    with django_assert_num_queries(4):
        view = bargain_selectors.bargain_view(bargain_id=bargain.pk, viewer_id=friends[0].pk)
    assert view is not None
    assert [(h.nickname, h.cut) for h in view.helpers] == [
        ("friend0", cuts[0]),
        ("friend1", cuts[1]),
    ]
    assert (view.viewer_has_helped, view.viewer_is_starter, view.order_number) == (
        True,
        False,
        "",
    )
    assert (view.status, view.may_help, view.may_buy) == ("purchased", False, False)
    mine = bargain_selectors.bargain_view(bargain_id=bargain.pk, viewer_id=user.pk)
    assert mine is not None
    assert (mine.order_number, mine.viewer_is_starter) == (order.order_number, True)
    assert mine.progress_percent == (100 * sum(cuts)) // (9900 - 990)
    assert bargain_selectors.bargain_view(bargain_id=999_999, viewer_id=None) is None


def test_a_live_bargain_past_its_window_reads_expired() -> None:
    bargain = start(bargain_deal(), UserFactory())
    Bargain.objects.filter(pk=bargain.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    view = bargain_selectors.bargain_view(bargain_id=bargain.pk, viewer_id=None)
    assert view is not None
    assert (view.status, view.may_help) == ("expired", False)
    assert (
        bargain_selectors.live_bargain_of(deal_id=bargain.deal_id, starter_id=bargain.starter_id)
        is None
    )


def test_live_deals_list() -> None:
    live = bargain_deal()
    bargain_deal(starts_in=timedelta(hours=1))
    bargain_deal(is_active=False)
    deals = bargain_selectors.bargain_deals_live()
    assert [(d.deal_id, d.list_price, d.floor_price, d.is_live) for d in deals] == [
        (live.pk, 9900, 990, True)
    ]
