"""Orders placed in a room: once paid, counted in the room exactly once (RoomOrder) and
announced with an `order` frame naming the buyer by a masked nickname."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.utils import translation

from circlemart.core import clock
from circlemart.core.events import DeliveredEvent
from circlemart.live import handlers
from circlemart.live.models import RoomMessage, RoomOrder
from circlemart.live.services import orders as live_orders
from circlemart.orders.events import OrderPaid
from circlemart.orders.models import Order
from tests.live.factories import live_room, product
from tests.orders.conftest import (  # noqa: F401  (fixtures used by these tests)
    _webhooks_in_process,
    drain,
    make_buyer,
    pay,
    place,
)

pytestmark = pytest.mark.django_db


PaidIn = Callable[[int | None], Order]


@pytest.fixture
def paid_in(pay: Callable[..., Order]) -> PaidIn:  # noqa: F811  (the orders fixture)
    """Place an order attributed to a room (None: to no room) and pay it through the gateway."""

    def _paid_in(room_id: int | None) -> Order:
        buyer, address_id = make_buyer()
        buyer.nickname = "小红书达人"
        buyer.save(update_fields=["nickname"])
        item = product(title="羊绒围巾", prices=(12900,))
        attribution = live_orders.attribution_for(room_id) if room_id is not None else None
        order = place(buyer, address_id, item.skus.get().pk, attribution=attribution)
        return pay(order)

    return _paid_in


def test_a_paid_order_from_the_room_is_counted_and_announced(paid_in: PaidIn) -> None:
    room = live_room()

    order = paid_in(room.pk)

    assert order.status == "paid"
    row = RoomOrder.objects.get(room=room)
    assert (row.order_number, row.buyer_id, row.total, row.currency) == (
        order.number,
        order.buyer_id,
        order.total,
        "CNY",
    )
    assert row.paid_at is not None
    [message] = RoomMessage.objects.filter(room=room)
    assert (message.kind, message.payload) == (
        "order",
        {"buyer": "小***人", "product_title": "羊绒围巾"},
    )


def test_a_redelivered_event_counts_the_order_once(paid_in: PaidIn) -> None:
    room = live_room()
    order = paid_in(room.pk)
    event = OrderPaid(order_number=order.number, buyer_id=order.buyer_id, amount=order.total)

    handlers.record_room_order(
        DeliveredEvent(event_id=uuid.uuid4(), occurred_at=clock.now(), event=event)
    )

    assert RoomOrder.objects.filter(order_number=order.number).count() == 1
    assert RoomMessage.objects.filter(room=room, kind="order").count() == 1


def test_orders_from_elsewhere_are_not_counted(paid_in: PaidIn) -> None:
    room = live_room()
    paid_in(None)

    assert RoomOrder.objects.count() == 0
    assert RoomMessage.objects.filter(room=room).count() == 0


def test_an_order_attributed_to_an_unknown_room_is_ignored(paid_in: PaidIn) -> None:
    paid_in(987654)
    assert RoomOrder.objects.count() == 0


def test_an_unpaid_order_is_not_counted(drain: Callable[[], None]) -> None:  # noqa: F811
    room = live_room()
    buyer, address_id = make_buyer()
    item = product()
    place(buyer, address_id, item.skus.get().pk, attribution=live_orders.attribution_for(room.pk))
    drain()
    assert RoomOrder.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "masked"),
    [("小红书达人", "小***人"), ("ab", "a*"), ("王", "王*"), ("  ", "A shopper")],
)
def test_buyer_names_are_masked(name: str, masked: str) -> None:
    with translation.override("en"):
        assert live_orders.mask_name(name) == masked


@pytest.mark.parametrize(
    ("attribution", "room_id"),
    [
        ({"source": "live:12"}, 12),
        ({"source": "live:"}, None),
        ({"source": "live:x1"}, None),
        ({"source": "share:12"}, None),
        ({}, None),
    ],
)
def test_the_room_is_read_from_the_attribution(
    attribution: dict[str, str], room_id: int | None
) -> None:
    assert live_orders.room_id_of(attribution) == room_id
