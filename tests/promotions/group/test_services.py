"""Group-buy services: opening (leader price, pending until paid), joining (seats, refusals
each with its own code), success releasing every order to ship, failure at the deadline
refunding every paid member exactly once (duplicated webhooks, refused refunds retried),
seats freed by unpaid orders, auto-fill, and the events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import translation

from circlemart.core import clock
from circlemart.core.errors import DomainError
from circlemart.core.models import OutboxEvent
from circlemart.inventory import selectors as inventory_selectors
from circlemart.orders import services as order_services
from circlemart.orders.models import Order
from circlemart.payments import gateway
from circlemart.payments.models import GatewayCharge, Payment, Refund
from circlemart.promotions.flash.models import FlashItem, FlashSession
from circlemart.promotions.group import services as group_services
from circlemart.promotions.group.models import Group, GroupDeal, GroupMember
from tests.orders.test_aftersales import make_staff
from tests.promotions.conftest import make_buyer, make_sku

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


def group_deal(
    *,
    price: int = 9900,
    group_price: int = 5900,
    leader_price: int | None = None,
    size: int = 3,
    stock: int = 100,
    minutes: int = 60,
    starts_in: timedelta = -timedelta(hours=1),
    auto_fill: bool = False,
    max_quantity: int = 1,
) -> GroupDeal:
    sku_id = make_sku(price=price, stock=stock)
    starts = clock.now() + starts_in
    deal = GroupDeal(
        name="三人团",
        sku_id=sku_id,
        group_price=group_price,
        leader_price=leader_price,
        group_size=size,
        time_limit_minutes=minutes,
        starts_at=starts,
        ends_at=starts + timedelta(days=7),
        auto_fill=auto_fill,
        max_quantity=max_quantity,
    )
    deal.full_clean()
    deal.save()
    return deal


def refused(call: Callable[[], Any]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


@pytest.fixture
def open_group(act: Callable[..., Any], pay: Callable[..., Order]) -> Callable[..., Any]:
    """A leader opens a group of `deal` and pays: the group is open."""

    def _open(deal: GroupDeal) -> tuple[Any, int, Group]:
        leader, address = make_buyer()
        ref = act(
            group_services.group_open, buyer_id=leader.pk, deal_id=deal.pk, address_id=address
        )
        pay(Order.objects.get(number=ref.order_number))
        return leader, address, Group.objects.get(pk=ref.group_id)

    return _open


@pytest.fixture
def join(act: Callable[..., Any], pay: Callable[..., Order]) -> Callable[..., Any]:
    def _join(group: Group, *, paid: bool = True, behaviour: Any = None) -> Order:
        user, address = make_buyer()
        ref = act(
            group_services.group_join, buyer_id=user.pk, group_id=group.pk, address_id=address
        )
        order = Order.objects.get(number=ref.order_number)
        return pay(order, behaviour=behaviour) if paid else order

    return _join


@pytest.fixture
def expire(act: Callable[..., Any], drain: Callable[[], None]) -> Callable[[Group], Any]:
    def _expire(group: Group) -> Any:
        Group.objects.filter(pk=group.pk).update(expires_at=clock.now() - timedelta(seconds=1))
        ended = act(group_services.groups_expire)
        drain()
        return ended

    return _expire


def test_leader_opens_at_the_leader_price_and_the_group_opens_when_paid(
    act: Callable[..., Any], pay: Callable[..., Order]
) -> None:
    deal = group_deal(group_price=5900, leader_price=4900, minutes=90)
    leader, address = make_buyer()
    ref = act(group_services.group_open, buyer_id=leader.pk, deal_id=deal.pk, address_id=address)
    order = Order.objects.get(number=ref.order_number)
    assert (ref.role, ref.unit_price, order.subtotal) == ("leader", 4900, 4900)
    assert order.fulfilment_hold == "group_buy"
    assert any(row["rule"] == f"group:{deal.pk}" for row in order.adjustments)
    group = Group.objects.get(pk=ref.group_id)
    assert (group.status, group.seats_taken, group.paid_count) == ("pending", 1, 0)
    # Nobody can join before the leader paid.
    friend, friend_address = make_buyer()
    error = refused(
        lambda: group_services.group_join(
            buyer_id=friend.pk, group_id=group.pk, address_id=friend_address
        )
    )
    assert error.code == "group_not_open"

    before = clock.now()
    pay(order)
    group.refresh_from_db()
    assert (group.status, group.paid_count) == ("open", 1)
    assert group.expires_at is not None
    assert timedelta(minutes=89) < group.expires_at - before < timedelta(minutes=91)


def test_members_pay_at_the_group_price_and_the_last_one_releases_every_order(
    open_group: Callable[..., Any], join: Callable[..., Order]
) -> None:
    deal = group_deal(size=3, group_price=5900, leader_price=4900)
    _leader, _address, group = open_group(deal)
    first = join(group)
    assert first.subtotal == 5900
    group.refresh_from_db()
    assert (group.status, group.paid_count) == ("open", 2)
    assert first.fulfilment_hold == "group_buy"
    staff = _staff()
    error = refused(
        lambda: order_services.order_ship(
            staff_id=staff, number=first.number, carrier="SF", tracking_number="SF1"
        )
    )
    assert error.code == "fulfilment_on_hold"

    join(group)
    group.refresh_from_db()
    assert (group.status, group.paid_count, group.seats_taken) == ("succeeded", 3, 3)
    numbers = list(GroupMember.objects.filter(group=group).values_list("order_number", flat=True))
    assert set(
        Order.objects.filter(number__in=numbers).values_list("fulfilment_hold", flat=True)
    ) == {""}
    shipped = order_services.order_ship(
        staff_id=staff, number=first.number, carrier="SF", tracking_number="SF1"
    )
    assert shipped.status == "shipped"
    event = OutboxEvent.objects.get(event_type="promotions.GroupSucceeded")
    assert sorted(event.payload["order_numbers"]) == sorted(numbers)


def test_joining_refusals_each_say_why(
    open_group: Callable[..., Any], join: Callable[..., Order], act: Callable[..., Any]
) -> None:
    deal = group_deal(size=2)
    leader, leader_address, group = open_group(deal)
    # The leader cannot join their own group again.
    error = refused(
        lambda: group_services.group_join(
            buyer_id=leader.pk, group_id=group.pk, address_id=leader_address
        )
    )
    assert (error.code, error.field, error.status) == ("group_already_member", "group_id", 409)
    join(group)
    late, late_address = make_buyer()
    with translation.override("en"):  # paying above ran a request in the shop's language
        error = refused(
            lambda: group_services.group_join(
                buyer_id=late.pk, group_id=group.pk, address_id=late_address
            )
        )
    assert error.code == "group_full"
    assert "full" in str(error.message)
    error = refused(
        lambda: group_services.group_join(
            buyer_id=late.pk, group_id=987654, address_id=late_address
        )
    )
    assert (error.code, error.status) == ("group_not_found", 404)
    # Past the deadline, before the sweep ran.
    _other, _addr, second = open_group(group_deal(size=3))
    Group.objects.filter(pk=second.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    error = refused(
        lambda: group_services.group_join(
            buyer_id=late.pk, group_id=second.pk, address_id=late_address
        )
    )
    assert error.code == "group_expired"
    assert Order.objects.filter(buyer=late).count() == 0  # nothing half-written


def test_deal_window_and_quantity_limits() -> None:
    buyer, address = make_buyer()
    upcoming = group_deal(starts_in=timedelta(hours=1))
    error = refused(
        lambda: group_services.group_open(
            buyer_id=buyer.pk, deal_id=upcoming.pk, address_id=address
        )
    )
    assert error.code == "group_deal_not_started"
    ended = group_deal(starts_in=-timedelta(days=8))
    error = refused(
        lambda: group_services.group_open(buyer_id=buyer.pk, deal_id=ended.pk, address_id=address)
    )
    assert error.code == "group_deal_ended"
    deal = group_deal(max_quantity=2)
    error = refused(
        lambda: group_services.group_open(
            buyer_id=buyer.pk, deal_id=deal.pk, address_id=address, quantity=3
        )
    )
    assert (error.code, error.field) == ("quantity_limit", "quantity")
    error = refused(
        lambda: group_services.group_open(buyer_id=buyer.pk, deal_id=424242, address_id=address)
    )
    assert (error.code, error.status) == ("group_deal_not_found", 404)
    assert Order.objects.filter(buyer=buyer).count() == 0


def test_a_group_order_holds_only_the_deal_item() -> None:
    deal = group_deal()
    buyer, address = make_buyer()
    other_sku = make_sku()
    flash = FlashItem.objects.create(
        session=FlashSession.objects.create(
            name="秒杀",
            starts_at=clock.now() - timedelta(hours=1),
            ends_at=clock.now() + timedelta(hours=1),
        ),
        sku_id=deal.sku_id,
        flash_price=3900,
        flash_stock=5,
    )
    with pytest.raises(DomainError) as caught:
        order_services.order_place(
            buyer_id=buyer.pk,
            data=order_services.CheckoutInput(
                items=[
                    order_services.QuoteItem(sku_id=deal.sku_id, quantity=1),
                    order_services.QuoteItem(sku_id=other_sku, quantity=1),
                ],
                address_id=address,
                options={"group_deal_id": deal.pk},
            ),
        )
    assert caught.value.code == "group_wrong_item"
    with pytest.raises(DomainError) as caught:
        order_services.order_place(
            buyer_id=buyer.pk,
            data=order_services.CheckoutInput(
                items=[order_services.QuoteItem(sku_id=deal.sku_id, quantity=1)],
                address_id=address,
                options={"group_deal_id": deal.pk, "flash_item_id": flash.pk},
            ),
        )
    assert caught.value.code == "group_options_conflict"


def test_a_short_group_fails_at_the_deadline_and_every_paid_member_is_refunded_once(
    open_group: Callable[..., Any],
    join: Callable[..., Order],
    expire: Callable[[Group], Any],
    act: Callable[..., Any],
) -> None:
    deal = group_deal(size=4, stock=10)
    _leader, _address, group = open_group(deal)
    # A member's refund webhook arrives twice.
    paid = join(group, behaviour=gateway.Behaviour(duplicate_webhooks=True))
    unpaid = join(group, paid=False)
    sku_stock_before = inventory_selectors.stock_of(deal.sku_id)
    assert expire(group) == (0, 1)

    group.refresh_from_db()
    assert group.status == "failed"
    members = {m.order_number: m for m in GroupMember.objects.filter(group=group)}
    paid_numbers = [n for n, m in members.items() if m.role == "leader"] + [paid.number]
    for number in paid_numbers:
        order = Order.objects.get(number=number)
        assert (order.status, order.refunded_amount) == ("refunded", order.paid_amount)
        assert members[number].status == "refunded"
        refunds = Refund.objects.filter(order_number=number)
        assert refunds.count() == 1
        assert refunds.get().amount == order.paid_amount
    assert Order.objects.get(number=unpaid.number).status == "cancelled"
    assert members[unpaid.number].status == "released"
    # Stock of the paid ones is back on the shelf; the unpaid one's reservation was released.
    on_hand, reserved = inventory_selectors.stock_of(deal.sku_id)
    assert (on_hand, reserved) == (sku_stock_before[0] + 2, 0)
    assert OutboxEvent.objects.filter(event_type="promotions.GroupFailed").count() == 1

    # Running everything again changes nothing.
    assert act(group_services.groups_expire) == (0, 0)
    assert act(group_services.group_refunds_retry) == 0
    assert act(group_services.group_refund_members, group_id=group.pk) == 0
    assert Refund.objects.filter(order_number__in=paid_numbers).count() == 2


def test_a_refused_refund_is_asked_again_until_it_succeeds(
    act: Callable[..., Any], pay: Callable[..., Order], expire: Callable[[Group], Any]
) -> None:
    deal = group_deal(size=2)
    leader, address = make_buyer()
    ref = act(group_services.group_open, buyer_id=leader.pk, deal_id=deal.pk, address_id=address)
    order = pay(
        Order.objects.get(number=ref.order_number),
        behaviour=gateway.Behaviour(fail_refunds=True),
    )
    group = Group.objects.get(pk=ref.group_id)
    expire(group)
    order.refresh_from_db()
    member = GroupMember.objects.get(order_number=order.number)
    assert (order.status, member.status) == ("paid", "refunding")  # the provider said no
    assert Refund.objects.get(order_number=order.number).status == "failed"

    payment = Payment.objects.get(order_number=order.number)
    charge = GatewayCharge.objects.get(merchant_reference=str(payment.pk))
    gateway.charge_set_behaviour(
        charge_id=charge.charge_id, behaviour=gateway.Behaviour(fail_refunds=False)
    )
    assert act(group_services.group_refunds_retry) == 1
    order.refresh_from_db()
    member.refresh_from_db()
    assert (order.status, member.status, member.refund_attempts) == ("refunded", "refunded", 2)
    assert act(group_services.group_refunds_retry) == 0


def test_an_unpaid_member_gives_the_seat_back(
    open_group: Callable[..., Any], join: Callable[..., Order], act: Callable[..., Any]
) -> None:
    deal = group_deal(size=2)
    _leader, _address, group = open_group(deal)
    waiting = join(group, paid=False)
    group.refresh_from_db()
    assert group.seats_taken == 2
    late, late_address = make_buyer()
    assert (
        refused(
            lambda: group_services.group_join(
                buyer_id=late.pk, group_id=group.pk, address_id=late_address
            )
        ).code
        == "group_full"
    )
    act(order_services.order_cancel, actor_id=waiting.buyer_id, number=waiting.number)
    group.refresh_from_db()
    assert (group.seats_taken, group.status) == (1, "open")
    join(group)
    group.refresh_from_db()
    assert group.status == "succeeded"


def test_the_leader_not_paying_cancels_the_pending_group(act: Callable[..., Any]) -> None:
    deal = group_deal()
    leader, address = make_buyer()
    ref = act(group_services.group_open, buyer_id=leader.pk, deal_id=deal.pk, address_id=address)
    act(order_services.order_cancel, actor_id=leader.pk, number=ref.order_number)
    group = Group.objects.get(pk=ref.group_id)
    assert (group.status, group.seats_taken) == ("cancelled", 0)


def test_auto_fill_makes_a_short_group_succeed_at_the_deadline(
    open_group: Callable[..., Any], join: Callable[..., Order], expire: Callable[[Group], Any]
) -> None:
    deal = group_deal(size=5, auto_fill=True)
    _leader, _address, group = open_group(deal)
    join(group)
    unpaid = join(group, paid=False)
    assert expire(group) == (1, 0)
    group.refresh_from_db()
    assert (group.status, group.paid_count, group.filled_by_system) == ("succeeded", 2, 3)
    assert Order.objects.get(number=unpaid.number).status == "cancelled"
    paid = GroupMember.objects.filter(group=group, status="paid").values_list(
        "order_number", flat=True
    )
    assert set(Order.objects.filter(number__in=paid).values_list("fulfilment_hold", flat=True)) == {
        ""
    }


def test_a_payment_after_the_deadline_is_refunded(
    open_group: Callable[..., Any], join: Callable[..., Order], pay: Callable[..., Order]
) -> None:
    deal = group_deal(size=3)
    _leader, _address, group = open_group(deal)
    waiting = join(group, paid=False)
    Group.objects.filter(pk=group.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    paid = pay(waiting)  # before the sweep ran: the payment came after the deadline
    member = GroupMember.objects.get(order_number=paid.number)
    assert (paid.status, member.status) == ("refunded", "refunded")
    group.refresh_from_db()
    assert group.paid_count == 1


def test_auto_fill_is_off_by_default() -> None:
    assert GroupDeal._meta.get_field("auto_fill").default is False


def _staff() -> int:
    return int(make_staff().pk)


def test_group_orders_are_rate_limited_per_user(settings: Any) -> None:
    settings.RATELIMIT_ENABLED = True
    deal = group_deal(stock=100)
    buyer, address = make_buyer()
    limit = group_services.PLACE_RATE[0]
    for _attempt in range(limit):
        group_services.group_open(buyer_id=buyer.pk, deal_id=deal.pk, address_id=address)
    error = refused(
        lambda: group_services.group_open(buyer_id=buyer.pk, deal_id=deal.pk, address_id=address)
    )
    assert (error.code, error.status) == ("rate_limited", 429)
    assert Order.objects.filter(buyer=buyer).count() == limit
