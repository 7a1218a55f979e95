"""Full-refresh snapshots of small tables beside the event files:
ANALYTICS_WAREHOUSE_DIR/snapshots/<table>.parquet, each replaced whole on every sync.

Tables of other apps are read through their selectors (no model imports across apps)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pyarrow as pa

from circlemart.accounts import selectors as accounts
from circlemart.analytics.models import TrackedSession
from circlemart.analytics.warehouse import schema
from circlemart.analytics.warehouse.layout import SNAPSHOTS, warehouse
from circlemart.catalog import selectors as catalog
from circlemart.inventory import selectors as inventory
from circlemart.orders import selectors as orders

Rows = Iterable[Mapping[str, Any]]


def _sessions() -> Rows:
    columns = [field.name for field in schema.SESSIONS]
    return TrackedSession.objects.order_by("id").values(*columns).iterator(chunk_size=5000)


def _products() -> Rows:
    stock = inventory.stock_for_analytics()
    for row in catalog.products_for_analytics():
        on_hand, available = stock.get(int(str(row["id"])), (0, 0))
        yield {**row, "stock_on_hand": on_hand, "stock_available": available}


def _orders() -> Rows:
    for row in orders.orders_for_analytics():
        attribution = json.dumps(row["attribution"] or {}, ensure_ascii=False, sort_keys=True)
        yield {**row, "attribution": attribution}


SOURCES: dict[str, Callable[[], Rows]] = {
    "sessions": _sessions,
    "products": _products,
    "users": accounts.users_for_analytics,
    "orders": _orders,
    "order_lines": orders.order_lines_for_analytics,
}


def _table(rows: Rows, table_schema: pa.Schema) -> pa.Table:
    names = table_schema.names
    columns: dict[str, list[Any]] = {name: [] for name in names}
    for row in rows:
        for name in names:
            columns[name].append(row[name])
    return pa.Table.from_pydict(columns, schema=table_schema)


def snapshot_refresh(table: str) -> int:
    """Replace one snapshot file; returns its row count."""
    data = _table(SOURCES[table](), schema.SNAPSHOTS[table])
    warehouse().write_table(data, SNAPSHOTS, f"{table}.parquet")
    return data.num_rows


def snapshots_refresh() -> dict[str, int]:
    return {table: snapshot_refresh(table) for table in SOURCES}
