"""Snapshots of other apps' tables, read through their selectors, replaced on every sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from circlemart.accounts import services as account_services
from circlemart.analytics.warehouse import duck, snapshots
from circlemart.analytics.warehouse.duck import run_query
from circlemart.catalog.models import Product
from circlemart.orders import services as order_services
from circlemart.pricing.contracts import QuoteItem
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog

pytestmark = pytest.mark.django_db


def test_products_carry_category_status_price_and_stock_summed_over_skus() -> None:
    phones = catalog.category("手机")
    on_sale = catalog.product(in_category=phones, prices=(3999_00, 4599_00), stock=(3, 4))
    draft = catalog.product(prices=(100,), stock=(0,), status=Product.Status.DRAFT)
    buyer = UserFactory()
    address = account_services.address_create(
        user=buyer,
        data=account_services.AddressInput(
            recipient="张三",
            phone="13800138000",
            province="上海",
            city="上海市",
            detail="人民路 1 号",
        ),
    )
    order = order_services.order_place(
        buyer_id=buyer.pk,
        data=order_services.CheckoutInput(
            items=[QuoteItem(sku_id=on_sale.skus.order_by("pk").first().pk, quantity=2)],  # type: ignore[union-attr]
            address_id=address.pk,
            attribution={"sharer_id": "12"},
        ),
    )

    duck.sync()
    con = duck.connect()

    assert run_query(
        con,
        "SELECT id, category_id, status, is_on_sale, price, stock_on_hand, stock_available"
        " FROM products ORDER BY id",
    ) == [
        (on_sale.pk, phones.pk, "on_sale", True, 3999_00, 7, 5),
        (draft.pk, draft.category_id, "draft", False, 100, 0, 0),
    ]
    assert run_query(con, "SELECT category_path FROM products WHERE id = ?", [on_sale.pk]) == [
        (phones.path,)
    ]
    [row] = run_query(
        con,
        "SELECT number, buyer_id, status, source, total, paid_amount, placed_at, paid_at,"
        " attribution FROM orders",
    )
    assert row[:8] == (
        order.number,
        buyer.pk,
        "pending_payment",
        "cart",
        order.total,
        0,
        order.placed_at,
        None,
    )
    assert json.loads(row[8]) == {"sharer_id": "12"}
    assert run_query(con, "SELECT order_id, product_id, quantity, total FROM order_lines") == [
        (order.pk, on_sale.pk, 2, order.lines.get().total)
    ]
    assert run_query(con, "SELECT id, is_active, is_staff FROM users") == [(buyer.pk, True, False)]


def test_the_users_snapshot_holds_no_personal_data() -> None:
    UserFactory(city="杭州", nickname="小王")

    snapshots.snapshot_refresh("users")

    assert run_query(duck.connect(), "SELECT * FROM users LIMIT 0") == []
    assert [row[0] for row in duck.connect().execute("DESCRIBE users").fetchall()] == [
        "id",
        "date_joined",
        "is_active",
        "is_staff",
    ]


def test_a_snapshot_is_replaced_whole(warehouse_dir: Path) -> None:
    first = UserFactory()
    assert snapshots.snapshot_refresh("users") == 1
    first.delete()
    UserFactory()
    UserFactory()

    assert snapshots.snapshot_refresh("users") == 2

    assert run_query(duck.connect(), "SELECT count(*) FROM users") == [(2,)]
    assert sorted(path.name for path in (warehouse_dir / "snapshots").iterdir()) == [
        "users.parquet"
    ]
