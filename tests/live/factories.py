"""Shared factories for the live tests: hosts (creators), staff, rooms in any state, their
products, assistants, log messages, mutes, coupons, viewer sessions and orders.

Rows are written directly (a test arranges a room "already live" without going through the
state machine); tests of the services themselves go through the services.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import factory
from django.contrib.auth.models import Group

from circlemart.accounts.contracts import Role
from circlemart.accounts.models import User
from circlemart.catalog.models import Product
from circlemart.core import clock
from circlemart.live.models import (
    Room,
    RoomAssistant,
    RoomCoupon,
    RoomMessage,
    RoomMute,
    RoomOrder,
    RoomProduct,
    RoomState,
    ViewerSession,
)
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog_factories

__all__ = [
    "RoomAssistantFactory",
    "RoomCouponFactory",
    "RoomFactory",
    "RoomMessageFactory",
    "RoomMuteFactory",
    "RoomOrderFactory",
    "RoomProductFactory",
    "UserFactory",
    "ViewerSessionFactory",
    "creator",
    "live_room",
    "merchant_staff",
    "product",
    "room_with_products",
    "with_role",
]

_order_numbers = itertools.count(1)


def with_role(user: User, role: Role) -> User:
    """Put the user in a role's group (the group exists after migrate; created if not)."""
    group, _ = Group.objects.get_or_create(name=role.value)
    user.groups.add(group)
    return user


def creator(**fields: Any) -> User:
    """A user who may host live rooms (creator role)."""
    return with_role(UserFactory(**fields), Role.CREATOR)


def merchant_staff(**fields: Any) -> User:
    """A merchant staff member: may host, and manages every room (role "staff")."""
    return with_role(UserFactory(**fields), Role.MERCHANT_STAFF)


def product(**fields: Any) -> Product:
    """An on-sale product with one SKU (¥199 and 10 in stock unless told otherwise)."""
    return catalog_factories.product(**fields)


class RoomFactory(factory.django.DjangoModelFactory):
    """A scheduled room starting in one hour, hosted by a fresh creator."""

    class Meta:
        model = Room

    host = factory.LazyFunction(creator)
    title = factory.Sequence(lambda n: f"直播间 {n}")
    description = "今晚好物分享"
    video_url = "https://media.example.com/live/stream.m3u8"
    state = RoomState.SCHEDULED
    scheduled_start = factory.LazyFunction(lambda: clock.now() + timedelta(hours=1))

    class Params:
        # RoomFactory(live=True): on air since five minutes.
        live = factory.Trait(
            state=RoomState.LIVE,
            scheduled_start=factory.LazyFunction(lambda: clock.now() - timedelta(minutes=10)),
            started_at=factory.LazyFunction(lambda: clock.now() - timedelta(minutes=5)),
        )
        paused = factory.Trait(
            state=RoomState.PAUSED,
            scheduled_start=factory.LazyFunction(lambda: clock.now() - timedelta(minutes=10)),
            started_at=factory.LazyFunction(lambda: clock.now() - timedelta(minutes=5)),
        )
        ended = factory.Trait(
            state=RoomState.ENDED,
            scheduled_start=factory.LazyFunction(lambda: clock.now() - timedelta(hours=2)),
            started_at=factory.LazyFunction(lambda: clock.now() - timedelta(hours=2)),
            ended_at=factory.LazyFunction(lambda: clock.now() - timedelta(hours=1)),
        )
        replay = factory.Trait(
            state=RoomState.REPLAY,
            scheduled_start=factory.LazyFunction(lambda: clock.now() - timedelta(hours=2)),
            started_at=factory.LazyFunction(lambda: clock.now() - timedelta(hours=2)),
            ended_at=factory.LazyFunction(lambda: clock.now() - timedelta(hours=1)),
            replay_url="https://media.example.com/replay/room.mp4",
        )


class RoomProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomProduct

    room = factory.SubFactory(RoomFactory)
    product_id = factory.LazyFunction(lambda: product().pk)
    position = factory.Sequence(lambda n: n)


class RoomAssistantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomAssistant

    room = factory.SubFactory(RoomFactory)
    user = factory.SubFactory(UserFactory)


class RoomMessageFactory(factory.django.DjangoModelFactory):
    """A logged chat message; takes the room's next sequence number like publish() does."""

    class Meta:
        model = RoomMessage

    room = factory.SubFactory(RoomFactory, live=True)
    kind = "chat"
    user = factory.SubFactory(UserFactory)
    payload = factory.LazyAttribute(
        lambda o: {
            "user": {"id": o.user.pk if o.user else None, "name": "", "avatar_url": ""},
            "text": "你好",
            "masked": False,
        }
    )

    @classmethod
    def _create(cls, model_class: type[RoomMessage], *args: Any, **kwargs: Any) -> RoomMessage:
        room: Room = kwargs["room"]
        if "sequence" not in kwargs:
            from django.db.models import F  # local: only this path allocates numbers

            Room.objects.filter(pk=room.pk).update(last_sequence=F("last_sequence") + 1)
            room.refresh_from_db(fields=["last_sequence"])
            kwargs["sequence"] = room.last_sequence
        return super()._create(model_class, *args, **kwargs)


class RoomMuteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomMute

    room = factory.SubFactory(RoomFactory, live=True)
    user = factory.SubFactory(UserFactory)
    muted_by = factory.LazyAttribute(lambda o: o.room.host)
    reason = "刷屏"
    is_kicked = False
    until = None


class RoomCouponFactory(factory.django.DjangoModelFactory):
    """A room coupon row; pass coupon_template_id of a real template (see deals services)."""

    class Meta:
        model = RoomCoupon

    room = factory.SubFactory(RoomFactory, live=True)
    coupon_template_id = 0
    dropped_at = None


class ViewerSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ViewerSession

    room = factory.SubFactory(RoomFactory, live=True)
    user = factory.SubFactory(UserFactory)
    visitor_key = factory.LazyAttribute(lambda o: f"user:{o.user.pk}" if o.user else "anon")
    joined_at = factory.LazyFunction(clock.now)
    left_at = None


class RoomOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomOrder

    room = factory.SubFactory(RoomFactory, live=True)
    order_number = factory.LazyFunction(lambda: f"LV{next(_order_numbers):010d}")
    buyer_id = factory.LazyFunction(lambda: UserFactory().pk)
    total = 19900
    currency = "CNY"
    paid_at = factory.LazyFunction(clock.now)


def room_with_products(count: int = 2, **room_fields: Any) -> tuple[Room, list[Product]]:
    """A room (scheduled unless told otherwise) with `count` on-sale products in its list."""
    room = RoomFactory(**room_fields)
    products = [product(title=f"直播好物 {index}") for index in range(count)]
    for position, item in enumerate(products):
        RoomProduct.objects.create(room=room, product_id=item.pk, position=position)
    return room, products


def live_room(*, products: int = 0, started: datetime | None = None, **fields: Any) -> Room:
    """A room on air now (optionally with products in its list)."""
    if started is not None:
        fields.setdefault("started_at", started)
    if products:
        room, _products = room_with_products(products, live=True, **fields)
        return room
    return RoomFactory(live=True, **fields)
