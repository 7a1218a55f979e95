"""Paid orders placed the way a shopper does (tests need real purchase history)."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import translation

from circlemart.accounts import services as account_services
from circlemart.accounts.models import User
from circlemart.catalog.models import Product
from circlemart.orders.models import Order
from tests.orders.conftest import place


def buy(pay: Callable[..., Order], user: User, product: Product) -> Order:
    address = account_services.address_create(
        user=user,
        data=account_services.AddressInput(
            recipient="张三",
            phone="13800138000",
            province="上海",
            city="上海市",
            detail="人民路 1 号",
        ),
    )
    order = pay(place(user, address.pk, product.skus.get().pk))
    translation.activate("en")  # paying went through requests, which leave their language active
    assert order.paid_at is not None
    return order
