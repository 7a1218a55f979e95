"""A small shop for training tests: products, paid orders, tracked events, liked notes and a
shopper who turned personalisation off — all written through the apps' own services."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import translation

from circlemart.accounts.models import User
from circlemart.analytics import services as analytics_services
from circlemart.analytics.contracts import EventRecord
from circlemart.catalog.models import Product
from circlemart.core import clock
from circlemart.orders import services as order_services
from circlemart.orders.models import Order
from circlemart.pricing.contracts import QuoteItem
from circlemart.recommend.models import PersonalisationPreference
from circlemart.social import services as social_services
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog_factories
from tests.orders.conftest import _webhooks_in_process, drain, make_buyer, pay  # noqa: F401
from tests.social.helpers import note

TITLES = [
    ("绿茶", "Green tea", ["茶"]),
    ("红茶", "Black tea", ["茶"]),
    ("茶杯", "Tea cup", ["茶具"]),
    ("咖啡豆", "Coffee beans", ["咖啡"]),
    ("手冲壶", "Pour-over kettle", ["咖啡"]),
    ("蓝牙耳机", "Bluetooth earphones", ["数码"]),
]


@dataclass
class Shop:
    products: list[Product]
    buyers: list[User]  # three shoppers with orders and events
    opted_out: User  # bought, viewed and liked, but turned personalisation off
    author: User
    order: Order  # buyers[0]'s paid order of products 0 and 1 (one basket)
    now: datetime

    def product_id(self, index: int) -> int:
        return self.products[index].pk


def _event(
    name: str, user: User | None, object_id: str, at: datetime, **properties: Any
) -> EventRecord:
    return EventRecord(
        name=name,
        origin="client",
        occurred_at=at,
        event_id=uuid.uuid4(),
        user_id=user.pk if user else None,
        anonymous_id=f"anon-{user.pk if user else 'x'}",
        session_id="s1",
        object_id=object_id,
        properties=properties,
    )


def _order(buyer: User, address_id: int, products: list[Product]) -> Order:
    return order_services.order_place(
        buyer_id=buyer.pk,
        data=order_services.CheckoutInput(
            items=[QuoteItem(sku_id=p.skus.get().pk, quantity=1) for p in products],
            address_id=address_id,
        ),
    )


@pytest.fixture
def shop(pay: Callable[..., Order]) -> Shop:  # noqa: F811
    products = [
        catalog_factories.product(title=title, title_en=title_en, tags=tags, prices=(1000 + n,))
        for n, (title, title_en, tags) in enumerate(TITLES)
    ]
    buyers_with_addresses = [make_buyer() for _ in range(3)]
    buyers = [buyer for buyer, _address in buyers_with_addresses]
    opted_out, opted_out_address = make_buyer()
    first = pay(_order(buyers[0], buyers_with_addresses[0][1], products[:2]))
    pay(_order(buyers[1], buyers_with_addresses[1][1], [products[3]]))
    pay(_order(opted_out, opted_out_address, [products[5]]))
    now = clock.now()
    day = timedelta(days=1)
    analytics_services.events_record(
        [
            _event("product_view", buyers[1], str(products[2].pk), now - 3 * day, path="/p/"),
            _event("click", buyers[1], str(products[4].pk), now - 2 * day, list="home", position=1),
            _event("add_to_cart", buyers[2], str(products[2].pk), now - day, quantity=1),
            _event("dwell", buyers[2], f"/p/{products[4].pk}/", now - day, ms=30_000),
            _event("dwell", buyers[2], f"/p/{products[5].pk}/", now - day, ms=5_000),  # a glance
            _event("dwell", buyers[2], "/", now - day, ms=60_000),  # not a product page
            _event("product_view", buyers[2], "999999", now - day),  # no such product
            _event("product_view", None, str(products[1].pk), now - day),  # not signed in
            _event("search", buyers[2], "", now - day, query="茶", results=2),  # not a signal
            _event("product_view", opted_out, str(products[0].pk), now - day),
        ]
    )
    author = UserFactory()
    tagged = note(author, "好喝的咖啡 #咖啡", product_ids=[products[3].pk, products[4].pk])
    social_services.note_like(user_id=buyers[2].pk, note_id=tagged.pk)
    social_services.favourite_add(user_id=buyers[0].pk, note_id=tagged.pk)
    social_services.note_like(user_id=opted_out.pk, note_id=tagged.pk)
    PersonalisationPreference.objects.create(user=opted_out, is_personalised=False)
    translation.activate("en")  # paying went through requests, which leave their language
    return Shop(
        products=products,
        buyers=buyers,
        opted_out=opted_out,
        author=author,
        order=first,
        now=clock.now() + timedelta(seconds=1),
    )
