"""The column types of the warehouse files: one pyarrow schema per table, and the DuckDB type
of each column so a view can exist (empty) before the first file is written."""

from __future__ import annotations

import pyarrow as pa

UTC_TIME = pa.timestamp("us", tz="UTC")

EVENTS = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("origin", pa.string(), nullable=False),
        pa.field("occurred_at", UTC_TIME, nullable=False),
        pa.field("received_at", UTC_TIME, nullable=False),
        pa.field("user_id", pa.int64()),
        pa.field("anonymous_id", pa.string(), nullable=False),
        pa.field("session_id", pa.string(), nullable=False),
        pa.field("object_type", pa.string(), nullable=False),
        pa.field("object_id", pa.string(), nullable=False),
        pa.field("amount", pa.int64()),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("properties", pa.string(), nullable=False),  # JSON text
    ]
)

SESSIONS = pa.schema(
    [
        pa.field("session_id", pa.string(), nullable=False),
        pa.field("anonymous_id", pa.string(), nullable=False),
        pa.field("user_id", pa.int64()),
        pa.field("started_at", UTC_TIME, nullable=False),
        pa.field("last_seen_at", UTC_TIME, nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("referrer_host", pa.string(), nullable=False),
        pa.field("utm_source", pa.string(), nullable=False),
        pa.field("utm_medium", pa.string(), nullable=False),
        pa.field("utm_campaign", pa.string(), nullable=False),
        pa.field("sharer_id", pa.int64()),
        pa.field("landing_path", pa.string(), nullable=False),
        pa.field("page_views", pa.int64(), nullable=False),
        pa.field("event_count", pa.int64(), nullable=False),
        pa.field("is_bot", pa.bool_(), nullable=False),
    ]
)

PRODUCTS = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("category_id", pa.int64(), nullable=False),
        pa.field("category_path", pa.string(), nullable=False),  # top level: first segment
        pa.field("brand_id", pa.int64()),
        pa.field("status", pa.string(), nullable=False),  # draft | on_sale | off_shelf
        pa.field("is_on_sale", pa.bool_(), nullable=False),
        pa.field("price", pa.int64(), nullable=False),  # lowest SKU price, minor units
        pa.field("currency", pa.string(), nullable=False),
        pa.field("created_at", UTC_TIME, nullable=False),
        pa.field("published_at", UTC_TIME),
        pa.field("stock_on_hand", pa.int64(), nullable=False),
        pa.field("stock_available", pa.int64(), nullable=False),  # on hand − reserved
    ]
)

USERS = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("date_joined", UTC_TIME, nullable=False),
        pa.field("is_active", pa.bool_(), nullable=False),
        pa.field("is_staff", pa.bool_(), nullable=False),
    ]
)

ORDERS = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("number", pa.string(), nullable=False),
        pa.field("buyer_id", pa.int64(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),  # cart | buy_now
        pa.field("attribution", pa.string(), nullable=False),  # JSON text (sharer…)
        pa.field("currency", pa.string(), nullable=False),
        pa.field("total", pa.int64(), nullable=False),  # minor units
        pa.field("paid_amount", pa.int64(), nullable=False),
        pa.field("refunded_amount", pa.int64(), nullable=False),
        pa.field("placed_at", UTC_TIME, nullable=False),
        pa.field("paid_at", UTC_TIME),
        pa.field("shipped_at", UTC_TIME),
        pa.field("delivered_at", UTC_TIME),
        pa.field("completed_at", UTC_TIME),
        pa.field("cancelled_at", UTC_TIME),
        pa.field("closed_at", UTC_TIME),
    ]
)

ORDER_LINES = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("order_id", pa.int64(), nullable=False),
        pa.field("product_id", pa.int64(), nullable=False),
        pa.field("sku_id", pa.int64(), nullable=False),
        pa.field("unit_price", pa.int64(), nullable=False),  # minor units
        pa.field("quantity", pa.int64(), nullable=False),
        pa.field("total", pa.int64(), nullable=False),
        pa.field("refunded_quantity", pa.int64(), nullable=False),
        pa.field("refunded_amount", pa.int64(), nullable=False),
    ]
)

SNAPSHOTS: dict[str, pa.Schema] = {
    "sessions": SESSIONS,
    "products": PRODUCTS,
    "users": USERS,
    "orders": ORDERS,
    "order_lines": ORDER_LINES,
}

_DUCK_TYPES = {
    pa.int64(): "BIGINT",
    pa.string(): "VARCHAR",
    pa.bool_(): "BOOLEAN",
    UTC_TIME: "TIMESTAMPTZ",
}


def empty_select(schema: pa.Schema, *, extra: str = "") -> str:
    """`SELECT CAST(NULL AS …) AS col, … WHERE false`: a view with the right columns and no
    rows, for a table not exported yet."""
    columns = [f"CAST(NULL AS {_DUCK_TYPES[field.type]}) AS {field.name}" for field in schema]
    if extra:
        columns.append(extra)
    return f"SELECT {', '.join(columns)} WHERE false"
