"""Cart services: limits, stock checks, selection and the guest → user merge."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from circlemart.cart import selectors, services
from circlemart.cart.models import CartItem
from circlemart.catalog import services as catalog_services
from circlemart.core.errors import Conflict, NotFound, ValidationFailed
from tests.accounts.factories import UserFactory
from tests.catalog import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _sku(price: int = 1000, *, stock: int = 10) -> int:
    return factories.product(prices=(price,), stock=(stock,)).skus.get().pk


def test_add_accumulates_and_view_shows_prices_and_stock() -> None:
    cart = services.cart_ensure(user_id=UserFactory().pk)
    sku = _sku(1500, stock=4)
    assert services.cart_add(cart_id=cart, sku_id=sku, quantity=1) == 1
    assert services.cart_add(cart_id=cart, sku_id=sku, quantity=2) == 3
    view = selectors.cart_view(cart)
    assert [
        (line.sku_id, line.quantity, line.unit_price, line.available) for line in view.lines
    ] == [(sku, 3, 1500, 4)]
    assert view.selected_subtotal == 4500
    assert view.item_count == 3


def test_add_beyond_stock_is_refused_with_what_is_left() -> None:
    cart = services.cart_ensure(user_id=UserFactory().pk)
    sku = _sku(stock=2)
    with pytest.raises(Conflict) as refused:
        services.cart_add(cart_id=cart, sku_id=sku, quantity=3)
    assert (refused.value.code, refused.value.extra) == ("out_of_stock", {"available": 2})
    assert str(refused.value.message) == "Only 2 left in stock."
    assert not CartItem.objects.filter(cart_id=cart).exists()


@pytest.mark.parametrize("quantity", [0, -1, 100])
def test_bad_quantities_are_refused(quantity: int) -> None:
    cart = services.cart_ensure(user_id=UserFactory().pk)
    with pytest.raises(ValidationFailed) as refused:
        services.cart_add(cart_id=cart, sku_id=_sku(stock=500), quantity=quantity)
    assert refused.value.field == "quantity"


def test_unknown_and_unsellable_skus_are_refused() -> None:
    cart = services.cart_ensure(user_id=UserFactory().pk)
    with pytest.raises(NotFound):
        services.cart_add(cart_id=cart, sku_id=424242)
    hidden = factories.product(status="off_shelf").skus.get().pk
    with pytest.raises(Conflict) as refused:
        services.cart_add(cart_id=cart, sku_id=hidden)
    assert refused.value.code == "unavailable"


def test_price_change_after_adding_is_flagged() -> None:
    cart = services.cart_ensure(user_id=UserFactory().pk)
    sku = _sku(1000)
    services.cart_add(cart_id=cart, sku_id=sku)
    catalog_services.sku_set_price(sku_id=sku, price=1200)
    (line,) = selectors.cart_view(cart).lines
    assert (line.price_when_added, line.unit_price, line.price_changed) == (1000, 1200, True)


def test_select_set_quantity_and_remove() -> None:
    cart = services.cart_ensure(user_id=UserFactory().pk)
    first, second = _sku(), _sku()
    services.cart_add(cart_id=cart, sku_id=first)
    services.cart_add(cart_id=cart, sku_id=second)
    services.cart_select(cart_id=cart, sku_ids=[first], selected=False)
    assert [line.sku_id for line in selectors.cart_view(cart).selected] == [second]
    services.cart_set_quantity(cart_id=cart, sku_id=second, quantity=5)
    services.cart_set_quantity(cart_id=cart, sku_id=first, quantity=0)
    assert [(line.sku_id, line.quantity) for line in selectors.cart_view(cart).lines] == [
        (second, 5)
    ]
    with pytest.raises(NotFound):
        services.cart_set_quantity(cart_id=cart, sku_id=first, quantity=2)


def test_guest_cart_merges_into_the_users_cart_on_sign_in() -> None:
    user = UserFactory()
    mine = services.cart_ensure(user_id=user.pk)
    both, guest_only = _sku(stock=200), _sku()
    services.cart_add(cart_id=mine, sku_id=both, quantity=2)
    token = services.new_guest_token()
    guest = services.cart_ensure(guest_token=token)
    services.cart_add(cart_id=guest, sku_id=both, quantity=98)
    services.cart_add(cart_id=guest, sku_id=guest_only, quantity=1)
    assert services.cart_merge(guest_token=token, user_id=user.pk) == 2
    lines = {line.sku_id: line.quantity for line in selectors.cart_view(mine).lines}
    assert lines == {both: 99, guest_only: 1}  # capped at the SKU's per-order limit of 99
    assert selectors.cart_id_for(guest_token=token) is None
    assert services.cart_merge(guest_token=token, user_id=user.pk) == 0


def test_remove_ordered_takes_out_only_what_was_bought() -> None:
    cart = services.cart_ensure(user_id=UserFactory().pk)
    sku_a, sku_b = _sku(), _sku()
    services.cart_add(cart_id=cart, sku_id=sku_a, quantity=3)
    services.cart_add(cart_id=cart, sku_id=sku_b, quantity=1)
    services.cart_remove_ordered(cart_id=cart, quantities={sku_a: 2, sku_b: 1})
    assert [(line.sku_id, line.quantity) for line in selectors.cart_view(cart).lines] == [
        (sku_a, 1)
    ]
