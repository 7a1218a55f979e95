"""Reservations: all-or-nothing holds, settled exactly once, stock never negative."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import translation

from circlemart.core import clock
from circlemart.core.errors import Conflict, ValidationFailed
from circlemart.inventory import selectors, services
from circlemart.inventory.models import Reservation
from tests.catalog import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _skus(*stocks: int) -> list[int]:
    product = factories.product(prices=tuple(1000 for _ in stocks), stock=stocks)
    return list(product.skus.order_by("id").values_list("pk", flat=True))


def _later() -> object:
    return clock.now() + timedelta(minutes=30)


def test_reserve_holds_units_without_taking_them_off_hand() -> None:
    sku_a, sku_b = _skus(5, 3)
    services.stock_reserve(reference="CM1", quantities={sku_a: 2, sku_b: 3}, expires_at=_later())
    assert selectors.stock_of(sku_a) == (5, 2)
    assert selectors.stock_of(sku_b) == (3, 3)
    assert selectors.available_by_sku([sku_a, sku_b]) == {sku_a: 3, sku_b: 0}
    assert selectors.reservations_of("CM1") == {sku_a: (2, "held"), sku_b: (3, "held")}


def test_reserve_is_all_or_nothing() -> None:
    sku_a, sku_b = _skus(5, 1)
    with pytest.raises(Conflict) as refused:
        services.stock_reserve(
            reference="CM2", quantities={sku_a: 2, sku_b: 2}, expires_at=_later()
        )
    assert refused.value.code == "out_of_stock"
    assert refused.value.extra == {"sku_id": sku_b, "available": 1}
    assert str(refused.value.message) == "Sold out: only 1 left."
    assert selectors.stock_of(sku_a) == (5, 0)
    assert Reservation.objects.count() == 0


def test_reserve_refuses_zero_and_negative_quantities() -> None:
    (sku,) = _skus(5)
    for quantity in (0, -1):
        with pytest.raises(ValidationFailed):
            services.stock_reserve(reference="CM3", quantities={sku: quantity}, expires_at=_later())
    assert selectors.stock_of(sku) == (5, 0)


def test_commit_takes_units_off_hand_exactly_once() -> None:
    (sku,) = _skus(5)
    services.stock_reserve(reference="CM4", quantities={sku: 2}, expires_at=_later())
    assert services.reservation_commit(reference="CM4") == {sku: 2}
    assert services.reservation_commit(reference="CM4") == {}
    assert services.reservation_release(reference="CM4") == {}
    assert selectors.stock_of(sku) == (3, 0)
    assert selectors.reservations_of("CM4") == {sku: (2, "committed")}


def test_release_returns_units_exactly_once() -> None:
    (sku,) = _skus(5)
    services.stock_reserve(reference="CM5", quantities={sku: 4}, expires_at=_later())
    assert services.reservation_release(reference="CM5") == {sku: 4}
    assert services.reservation_release(reference="CM5") == {}
    assert services.reservation_commit(reference="CM5") == {}
    assert selectors.stock_of(sku) == (5, 0)


def test_restock_adds_returned_units() -> None:
    (sku,) = _skus(1)
    services.stock_restock(quantities={sku: 2})
    assert selectors.stock_of(sku) == (3, 0)
