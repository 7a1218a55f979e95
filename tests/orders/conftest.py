"""Fixtures for orders: buyers with addresses, SKUs with stock, and paying through the test
gateway the way a shopper does (hosted page → webhook → outbox → order paid)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from circlemart.accounts import services as account_services
from circlemart.accounts.models import User
from circlemart.core.events import relay_pending
from circlemart.orders import services
from circlemart.orders.models import Order
from circlemart.payments import gateway
from circlemart.pricing.contracts import QuoteItem
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog_factories


@pytest.fixture(autouse=True)
def _webhooks_in_process(settings: Any) -> None:
    settings.PAYMENTS_WEBHOOK_TRANSPORT = "in_process"
    settings.PAYMENTS_TEST_MODE = True


def make_buyer(province: str = "上海") -> tuple[User, int]:
    user = UserFactory()
    address = account_services.address_create(
        user=user,
        data=account_services.AddressInput(
            recipient="张三",
            phone="13800138000",
            province=province,
            city="上海市",
            detail="人民路 1 号",
        ),
    )
    return user, address.pk


def make_sku(price: int = 5000, stock: int = 10) -> int:
    return catalog_factories.product(prices=(price,), stock=(stock,)).skus.get().pk


def place(buyer: User, address_id: int, sku_id: int, quantity: int = 1, **extra: Any) -> Order:
    return services.order_place(
        buyer_id=buyer.pk,
        data=services.CheckoutInput(
            items=[QuoteItem(sku_id=sku_id, quantity=quantity)], address_id=address_id, **extra
        ),
    )


def token_of(redirect_url: str) -> str:
    return redirect_url.rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture
def drain(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[[], None]:
    """Deliver whatever the outbox holds and run what that schedules after commit (webhooks,
    refunds settling), as the worker would, until nothing is left."""

    def _drain() -> None:
        for _round in range(10):
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                delivered = relay_pending()
            if not delivered and not callbacks:
                return

    return _drain


@pytest.fixture
def pay(
    django_capture_on_commit_callbacks: Callable[..., Any], drain: Callable[[], None]
) -> Callable[..., Order]:
    """Start paying, press Pay on the gateway page, let webhooks and the outbox run."""

    def _pay(
        order: Order, *, behaviour: gateway.Behaviour | None = None, press: bool = True
    ) -> Order:
        with django_capture_on_commit_callbacks(execute=True):
            payment = services.order_pay(
                buyer_id=order.buyer_id, number=order.number, return_url=f"/orders/{order.number}/"
            )
        token = token_of(payment.redirect_url)
        if behaviour is not None:
            charge = gateway.charge_by_token(token=token)
            gateway.charge_set_behaviour(charge_id=charge.charge_id, behaviour=behaviour)
        with django_capture_on_commit_callbacks(execute=True):
            gateway.charge_complete(token=token, pay=press)
        drain()
        order.refresh_from_db()
        return order

    return _pay


@pytest.fixture
def act(
    django_capture_on_commit_callbacks: Callable[..., Any], drain: Callable[[], None]
) -> Callable[..., Any]:
    """Run a service as its own committed request would: after-commit work runs, then the
    outbox and the gateway's callbacks are drained."""

    def _act(service: Callable[..., Any], **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            result = service(**kwargs)
        drain()
        return result

    return _act
