"""The UCI Online Retail import: the cleaned file (online_retail_data) into the platform as
customers, products, completed orders and the analytics events of their history.

Resumable and idempotent: documents go in file order, in chunks, each chunk in one
transaction that also moves the job's cursor. Every row has a deterministic key (the
customer's email, the product code, the order number, uuid5 event ids) held unique by the
database, so a rerun — after a crash or after the end — stores nothing twice.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from django.db import transaction
from tqdm import tqdm

from circlemart.accounts import services as accounts_services
from circlemart.analytics.contracts import EventRecord
from circlemart.analytics.importers.online_retail_data import (
    RetailData,
    RetailDocument,
    online_retail_read,
)
from circlemart.analytics.models import JobCursor
from circlemart.analytics.services import events_record
from circlemart.catalog import services as catalog_services
from circlemart.orders import services as orders_services

CURRENCY = "GBP"
CATEGORY_SLUG = "online-retail-uci"
CATEGORY_NAME = "Online Retail (UCI)"
EMAIL_DOMAIN = "online-retail.invalid"
PRODUCT_CODE_PREFIX = "UCI-"
ORDER_NUMBER_PREFIX = "OR"
DEFAULT_CHUNK = 500
EVENT_BATCH = 5000
# uuid5 namespace of this import's events: the same invoice always gets the same event ids.
EVENT_NAMESPACE = uuid.UUID("0b4c3c0e-3f2a-5d51-9a8e-4f6c2e1d7a90")
COUNTRY_CODES = {
    "United Kingdom": "UK",
    "France": "FR",
    "Australia": "AU",
    "Netherlands": "NL",
    "Germany": "DE",
    "Norway": "NO",
    "EIRE": "IE",
    "Switzerland": "CH",
    "Spain": "ES",
    "Poland": "PL",
    "Portugal": "PT",
    "Italy": "IT",
    "Belgium": "BE",
    "Lithuania": "LT",
    "Japan": "JP",
    "Iceland": "IS",
    "Channel Islands": "CI",
    "Denmark": "DK",
    "Cyprus": "CY",
    "Sweden": "SE",
    "Austria": "AT",
    "Israel": "IL",
    "Finland": "FI",
    "Bahrain": "BH",
    "Greece": "GR",
    "Hong Kong": "HK",
    "Singapore": "SG",
    "Lebanon": "LB",
    "United Arab Emirates": "AE",
    "Saudi Arabia": "SA",
    "Czech Republic": "CZ",
    "Canada": "CA",
    "Brazil": "BR",
    "USA": "US",
    "European Community": "EU",
    "Malta": "MT",
    "RSA": "ZA",
}


@dataclass
class ImportReport:
    job: str
    documents: int  # invoices and credit notes after cleaning
    done_before: int  # documents an earlier run had already imported
    customers: int = 0
    products: int = 0
    orders: int = 0
    events: int = 0
    seconds: float = 0.0
    dropped: dict[str, int] = field(default_factory=dict)


def customer_email(customer_id: int) -> str:
    return f"customer{customer_id}@{EMAIL_DOMAIN}"


def order_number(invoice: str) -> str:
    return f"{ORDER_NUMBER_PREFIX}{invoice}"


def event_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(EVENT_NAMESPACE, ":".join(parts))


def job_name(sha256: str) -> str:
    return f"import.online_retail:{sha256[:16]}"


@dataclass(frozen=True)
class _Catalogue:
    category_id: int
    ids: dict[str, tuple[int, int]]  # stock code → (product id, SKU id)
    titles: dict[str, str]


def _import_products(data: RetailData) -> _Catalogue:
    result = catalog_services.products_import_historical(
        category_slug=CATEGORY_SLUG,
        category_name=CATEGORY_NAME,
        currency=CURRENCY,
        products=[
            catalog_services.HistoricalProductInput(
                code=PRODUCT_CODE_PREFIX + product.stock_code,
                title=product.title,
                price=product.price,
                created_at=product.first_sold_at,
            )
            for product in data.products.values()
        ],
    )
    return _Catalogue(
        category_id=result.category_id,
        ids={code: result.ids[PRODUCT_CODE_PREFIX + code] for code in data.products},
        titles={code: product.title for code, product in data.products.items()},
    )


def _import_customers(data: RetailData, chunk: list[RetailDocument]) -> dict[int, int]:
    customers = sorted({document.customer_id for document in chunk})
    found = accounts_services.users_import_historical(
        users=[
            accounts_services.HistoricalUserInput(
                email=customer_email(customer_id),
                nickname=f"{COUNTRY_CODES.get(data.customers[customer_id].country, 'XX')}"
                f"-{customer_id}",
                joined_at=data.customers[customer_id].first_seen_at,
            )
            for customer_id in customers
        ]
    )
    return {customer_id: found[customer_email(customer_id)] for customer_id in customers}


def _order_events(
    document: RetailDocument, user_id: int, catalogue: _Catalogue
) -> list[EventRecord]:
    number = order_number(document.number)
    units = sum(line.quantity for line in document.lines)
    events = [
        EventRecord(
            name=name,
            event_id=event_id(name, document.number),
            occurred_at=document.occurred_at,
            user_id=user_id,
            object_id=number,
            amount=document.amount,
            currency=CURRENCY,
            properties=properties,
        )
        for name, properties in (
            ("order_placed", {"lines": len(document.lines), "units": units}),
            ("order_paid", {}),
        )
    ]
    events.extend(
        EventRecord(
            name="product_sold",
            event_id=event_id("product_sold", document.number, line.stock_code),
            occurred_at=document.occurred_at,
            user_id=user_id,
            object_id=str(catalogue.ids[line.stock_code][0]),
            amount=line.amount,
            currency=CURRENCY,
            properties={"units": line.quantity, "category": catalogue.category_id, "order": number},
        )
        for line in document.lines
    )
    return events


def _refund_events(
    document: RetailDocument, user_id: int, order_totals: dict[str, int]
) -> list[EventRecord]:
    """One order_refunded per credit note and attributed invoice; lines attributed to no
    invoice make one event about the credit note itself (object_id "C…")."""
    amounts: dict[str, int] = defaultdict(int)
    units: dict[str, int] = defaultdict(int)
    for line, invoice in zip(document.lines, document.refunded_invoices, strict=True):
        amounts[invoice] += line.amount
        units[invoice] += line.quantity
    return [
        EventRecord(
            name="order_refunded",
            event_id=event_id("order_refunded", document.number, invoice),
            occurred_at=document.occurred_at,
            user_id=user_id,
            object_id=order_number(invoice) if invoice else document.number,
            amount=amount,
            currency=CURRENCY,
            properties={
                "fully": bool(invoice) and amount >= order_totals.get(invoice, amount + 1),
                "credit_note": document.number,
                "units": units[invoice],
            },
        )
        for invoice, amount in sorted(amounts.items())
    ]


def _registrations(
    data: RetailData, chunk: list[RetailDocument], users: dict[int, int]
) -> list[EventRecord]:
    """user_registered at each customer's first document, recorded by the chunk holding it."""
    numbers = {document.number for document in chunk}
    events = []
    for customer_id in sorted(users):
        customer = data.customers[customer_id]
        if customer.first_document in numbers:
            events.append(
                EventRecord(
                    name="user_registered",
                    event_id=event_id("user_registered", str(customer_id)),
                    occurred_at=customer.first_seen_at,
                    user_id=users[customer_id],
                    object_id=str(users[customer_id]),
                    properties={"method": "import"},
                )
            )
    return events


def _import_chunk(
    data: RetailData,
    chunk: list[RetailDocument],
    catalogue: _Catalogue,
    order_totals: dict[str, int],
) -> tuple[int, int]:
    users = _import_customers(data, chunk)
    orders = []
    events = _registrations(data, chunk, users)
    for document in chunk:
        user_id = users[document.customer_id]
        if document.is_credit_note:
            events.extend(_refund_events(document, user_id, order_totals))
            continue
        orders.append(
            orders_services.HistoricalOrderInput(
                number=order_number(document.number),
                buyer_id=user_id,
                placed_at=document.occurred_at,
                currency=CURRENCY,
                region=document.country,
                lines=[
                    orders_services.HistoricalLineInput(
                        sku_id=catalogue.ids[line.stock_code][1],
                        product_id=catalogue.ids[line.stock_code][0],
                        title=catalogue.titles[line.stock_code],
                        quantity=line.quantity,
                        unit_price=line.unit_price,
                        total=line.amount,
                    )
                    for line in document.lines
                ],
            )
        )
        events.extend(_order_events(document, user_id, catalogue))
    created = orders_services.orders_import_historical(orders=orders).created if orders else 0
    stored = 0
    for start in range(0, len(events), EVENT_BATCH):
        stored += events_record(events[start : start + EVENT_BATCH], historical=True).stored
    return created, stored


def online_retail_import(
    *,
    path: Path,
    chunk_size: int = DEFAULT_CHUNK,
    progress: TextIO | None = None,
    read: Callable[[Path], RetailData] = online_retail_read,
) -> ImportReport:
    """Import the file (see the module docstring). `progress` gets a tqdm bar (counts, rate,
    ETA) when given. Refusals (nothing stored): ValidationFailed for a missing or malformed
    file (see online_retail_read)."""
    started = time.monotonic()
    data = read(path)
    job = job_name(data.sha256)
    cursor, _created = JobCursor.objects.get_or_create(job=job)
    report = ImportReport(
        job=job,
        documents=len(data.documents),
        done_before=cursor.position,
        dropped=dict(data.dropped),
    )
    catalogue = _import_products(data)
    report.products = len(catalogue.ids)
    order_totals = {
        document.number: document.amount
        for document in data.documents
        if not document.is_credit_note
    }
    bar = tqdm(
        total=len(data.documents),
        initial=cursor.position,
        unit="invoice",
        desc="online retail",
        file=progress,
        disable=progress is None,
        mininterval=1.0,
    )
    with bar:
        for start in range(cursor.position, len(data.documents), chunk_size):
            chunk = data.documents[start : start + chunk_size]
            with transaction.atomic():
                created, stored = _import_chunk(data, chunk, catalogue, order_totals)
                JobCursor.objects.filter(pk=cursor.pk).update(
                    position=start + len(chunk),
                    state={"documents": len(data.documents), "rows": data.rows},
                )
            report.orders += created
            report.events += stored
            bar.update(len(chunk))
    report.customers = len(data.customers)
    report.seconds = time.monotonic() - started
    return report
