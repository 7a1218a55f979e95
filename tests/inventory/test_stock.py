"""Stock writes: conditional updates and database guards."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from circlemart.core.errors import Conflict, ValidationFailed
from circlemart.core.models import OutboxEvent
from circlemart.inventory import selectors, services
from circlemart.inventory.models import StockLevel
from tests.catalog import factories


def only_sku(product):
    return product.skus.get()


@pytest.mark.django_db
class TestStock:
    def test_adjust_and_set(self):
        sku = only_sku(factories.product(stock=(5,)))
        assert services.stock_adjust(sku_id=sku.pk, delta=3) == 8
        assert services.stock_adjust(sku_id=sku.pk, delta=-8) == 0
        assert services.stock_set(sku_id=sku.pk, on_hand=12) == 12
        assert selectors.available_by_sku([sku.pk]) == {sku.pk: 12}
        assert OutboxEvent.objects.filter(event_type="inventory.StockChanged").count() == 3

    def test_cannot_go_negative(self):
        sku = only_sku(factories.product(stock=(2,)))
        with pytest.raises(Conflict) as caught:
            services.stock_adjust(sku_id=sku.pk, delta=-3)
        assert caught.value.code == "insufficient_stock"
        assert StockLevel.objects.get(sku=sku).on_hand == 2
        with pytest.raises(ValidationFailed):
            services.stock_set(sku_id=sku.pk, on_hand=-1)

    def test_reservations_are_protected(self):
        sku = only_sku(factories.product(stock=(10,)))
        StockLevel.objects.filter(sku=sku).update(reserved=6)
        with pytest.raises(Conflict) as caught:
            services.stock_set(sku_id=sku.pk, on_hand=5)
        assert caught.value.code == "below_reserved"
        with pytest.raises(Conflict):
            services.stock_adjust(sku_id=sku.pk, delta=-5)
        assert services.stock_adjust(sku_id=sku.pk, delta=-4) == 0

    def test_database_refuses_negative_stock(self):
        sku = only_sku(factories.product(stock=(1,)))
        with pytest.raises(IntegrityError), transaction.atomic():
            StockLevel.objects.filter(sku=sku).update(on_hand=-1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_takers_never_oversell():
    sku = only_sku(factories.product(stock=(10,)))
    barrier = threading.Barrier(25)
    outcomes: list[str] = []
    lock = threading.Lock()

    def take() -> None:
        try:
            barrier.wait()
            services.stock_adjust(sku_id=sku.pk, delta=-1)
            result = "ok"
        except Conflict:
            result = "sold_out"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=take) for _ in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["ok"] * 10 + ["sold_out"] * 15
    assert StockLevel.objects.get(sku=sku).on_hand == 0
