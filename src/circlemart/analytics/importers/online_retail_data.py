"""Reading and cleaning the UCI Online Retail file (docs/analytics.md, "The UCI Online Retail
import"): raw CSV rows in, customers, products and documents (invoices and credit notes) out.

Everything here is pure: the file is read and checked whole before anything is stored, so a
malformed file stores nothing.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import pandas as pd
from django.utils.translation import gettext as _

from circlemart.core.errors import ValidationFailed

COLUMNS = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)
SHOP_TIME_ZONE = "Europe/London"
INVOICE_PATTERN = r"^C?\d{6}$"  # "A563185"… are bad-debt adjustments, not sales
# Goods have a five-digit code, sometimes with a letter suffix (85123A, 15056BL). Everything
# else is a charge or an adjustment: POST, DOT, C2 (carriage), M (manual), D (discount), S
# (samples), BANK CHARGES, AMAZONFEE, CRUK, PADS, B, gift vouchers, DCGS… (Amazon lines).
PRODUCT_CODE_PATTERN = r"^\d{5}[A-Z]*$"
PENCE = Decimal(100)


@dataclass(frozen=True)
class RetailLine:
    stock_code: str
    quantity: int  # units bought, or (credit note) units given back: always > 0
    unit_price: int  # pence; the highest when merged rows had different prices
    amount: int  # pence: Σ quantity × unit price of the merged rows


@dataclass(frozen=True)
class RetailDocument:
    """An invoice (an order) or a credit note (a refund), in the file's order."""

    number: str  # InvoiceNo as written: "536365" or "C536379"
    customer_id: int
    country: str
    occurred_at: datetime  # aware (UTC); the earliest InvoiceDate of its kept rows
    lines: tuple[RetailLine, ...]
    # Credit notes only, one per line: the invoice the line is attributed to, "" for none.
    refunded_invoices: tuple[str, ...] = ()

    @property
    def is_credit_note(self) -> bool:
        return self.number.startswith("C")

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines)


@dataclass(frozen=True)
class RetailCustomer:
    customer_id: int
    country: str  # of the customer's first document
    first_seen_at: datetime
    first_document: str


@dataclass(frozen=True)
class RetailProduct:
    stock_code: str
    title: str  # the most frequent description (ties: alphabetical first)
    price: int  # pence: the most frequent unit price (ties: the lowest)
    first_sold_at: datetime


@dataclass
class RetailData:
    sha256: str
    rows: int
    documents: list[RetailDocument]
    customers: dict[int, RetailCustomer]
    products: dict[str, RetailProduct]
    dropped: dict[str, int] = field(default_factory=dict)  # rows dropped per cleaning rule


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _refuse(message: str, code: str = "malformed_file", field: str = "path") -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field)


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise _refuse(_("No such file: %(path)s") % {"path": str(path)}, code="not_found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, compression="infer")
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise _refuse(_("The file cannot be read as CSV: %(error)s") % {"error": exc}) from exc
    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        raise _refuse(
            _("The file lacks the column(s) %(columns)s; expected %(expected)s.")
            % {"columns": ", ".join(missing), "expected": ", ".join(COLUMNS)},
            code="missing_columns",
        )
    if frame.empty:
        raise _refuse(_("The file has no rows."), code="empty_file")
    return frame[list(COLUMNS)]


def _bad_value(frame: pd.DataFrame, bad: pd.Series, column: str) -> ValidationFailed:
    index = int(bad[bad].index[0])
    return _refuse(
        _("Row %(row)d: %(column)s “%(value)s” is not valid.")
        % {"row": index + 2, "column": column, "value": str(frame.at[index, column])[:40]},
        code="bad_value",
        field=column,
    )


def _pence(price: str) -> Decimal:
    return Decimal(price) * PENCE


def _parse(frame: pd.DataFrame) -> pd.DataFrame:
    """Types every column, refusing the first row that does not parse (named by its line)."""
    parsed = frame.copy()
    quantity = pd.to_numeric(frame["Quantity"], errors="coerce")
    bad = quantity.isna() | (quantity != quantity.round())
    if bad.any():
        raise _bad_value(frame, bad, "Quantity")
    parsed["Quantity"] = quantity.astype("int64")
    times = pd.to_datetime(frame["InvoiceDate"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    if times.isna().any():
        raise _bad_value(frame, times.isna(), "InvoiceDate")
    parsed["InvoiceDate"] = times
    try:
        parsed["UnitPricePence"] = [_pence(price) for price in frame["UnitPrice"]]
    except InvalidOperation:
        bad = ~frame["UnitPrice"].str.fullmatch(r"-?\d+(\.\d+)?")
        raise _bad_value(frame, bad, "UnitPrice") from None
    customer = frame["CustomerID"].str.strip()
    bad = (customer != "") & ~customer.str.fullmatch(r"\d+(\.0+)?")
    if bad.any():
        raise _bad_value(frame, bad, "CustomerID")
    parsed["CustomerID"] = customer
    parsed["StockCode"] = frame["StockCode"].str.strip().str.upper()
    parsed["InvoiceNo"] = frame["InvoiceNo"].str.strip()
    parsed["Description"] = frame["Description"].str.strip()
    parsed["Position"] = range(len(parsed))
    return parsed


def _drop(frame: pd.DataFrame, keep: pd.Series, rule: str, dropped: dict[str, int]) -> pd.DataFrame:
    dropped[rule] = int((~keep).sum())
    return frame[keep]


def _clean(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """The cleaning rules, in the order docs/analytics.md lists them."""
    dropped: dict[str, int] = {}
    rows = _drop(frame, ~frame.duplicated(subset=list(COLUMNS)), "duplicate_row", dropped)
    rows = _drop(rows, rows["CustomerID"] != "", "no_customer", dropped)
    rows = _drop(rows, rows["InvoiceNo"].str.fullmatch(INVOICE_PATTERN), "not_an_invoice", dropped)
    rows = _drop(
        rows, rows["StockCode"].str.fullmatch(PRODUCT_CODE_PATTERN), "not_a_product", dropped
    )
    rows = _drop(rows, rows["UnitPricePence"] > 0, "price_not_positive", dropped)
    credit = rows["InvoiceNo"].str.startswith("C")
    rows = _drop(
        rows,
        (credit & (rows["Quantity"] < 0)) | (~credit & (rows["Quantity"] > 0)),
        "quantity_sign",
        dropped,
    )
    return rows, dropped


def _most_frequent(counts: dict[str, int]) -> str:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]


def _products(rows: pd.DataFrame, times: dict[str, datetime]) -> dict[str, RetailProduct]:
    sales = rows[~rows["InvoiceNo"].str.startswith("C")]
    titles: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    prices: dict[str, dict[Decimal, int]] = defaultdict(lambda: defaultdict(int))
    first: dict[str, datetime] = {}
    for code, title, price, number in zip(
        sales["StockCode"].tolist(),
        sales["Description"].tolist(),
        sales["UnitPricePence"].tolist(),
        sales["InvoiceNo"].tolist(),
        strict=True,
    ):
        if title:
            titles[code][title] += 1
        prices[code][price] += 1
        moment = times[number]
        if code not in first or moment < first[code]:
            first[code] = moment
    products = {}
    for code in sorted(first):
        price_counts = prices[code]
        price = sorted(price_counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
        products[code] = RetailProduct(
            stock_code=code,
            title=(_most_frequent(titles[code]) if titles[code] else code)[:120],
            price=int(price.quantize(Decimal(1), rounding=ROUND_HALF_UP)) or 1,
            first_sold_at=first[code],
        )
    return products


def _lines(rows: pd.DataFrame) -> dict[str, list[RetailLine]]:
    """Rows of one document and one product are one line (the platform's orders hold a SKU
    once): quantities add up, amounts add up, the unit price is the highest of them."""
    merged: dict[tuple[str, str], list[tuple[int, Decimal]]] = defaultdict(list)
    for number, code, quantity, price in zip(
        rows["InvoiceNo"].tolist(),
        rows["StockCode"].tolist(),
        rows["Quantity"].tolist(),
        rows["UnitPricePence"].tolist(),
        strict=True,
    ):
        merged[(number, code)].append((abs(int(quantity)), price))
    lines: dict[str, list[RetailLine]] = defaultdict(list)
    for (number, code), parts in merged.items():
        amount = sum((quantity * price for quantity, price in parts), Decimal(0))
        lines[number].append(
            RetailLine(
                stock_code=code,
                quantity=sum(quantity for quantity, _price in parts),
                unit_price=int(
                    max(price for _quantity, price in parts).quantize(
                        Decimal(1), rounding=ROUND_CEILING
                    )
                ),
                amount=int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
            )
        )
    return lines


def _attribute(documents: list[RetailDocument]) -> list[RetailDocument]:
    """A credit note rarely names its invoice: each of its lines goes to the customer's latest
    invoice at or before the credit note that holds the product (ties: the higher number)."""
    bought: dict[tuple[int, str], list[tuple[datetime, str]]] = defaultdict(list)
    for document in documents:
        if not document.is_credit_note:
            for line in document.lines:
                bought[(document.customer_id, line.stock_code)].append(
                    (document.occurred_at, document.number)
                )
    attributed = []
    for document in documents:
        if not document.is_credit_note:
            attributed.append(document)
            continue
        targets = []
        for line in document.lines:
            earlier = [
                candidate
                for candidate in bought.get((document.customer_id, line.stock_code), [])
                if candidate[0] <= document.occurred_at
            ]
            targets.append(max(earlier)[1] if earlier else "")
        attributed.append(
            RetailDocument(
                number=document.number,
                customer_id=document.customer_id,
                country=document.country,
                occurred_at=document.occurred_at,
                lines=document.lines,
                refunded_invoices=tuple(targets),
            )
        )
    return attributed


def online_retail_read(path: Path) -> RetailData:
    """Read, check and clean the whole file. Refusals (ValidationFailed, field "path" or the
    column): no such file, not CSV, a missing column, a value that does not parse."""
    raw = _read(path)
    rows, dropped = _clean(_parse(raw))
    first_rows = rows.sort_values("Position").drop_duplicates("InvoiceNo")
    earliest = rows.groupby("InvoiceNo")["InvoiceDate"].min()
    # The shop is in London: InvoiceDate is local time (GMT in winter, BST in summer).
    aware = earliest.dt.tz_localize(SHOP_TIME_ZONE).dt.tz_convert(UTC)
    times = dict(zip(aware.index, aware.dt.to_pydatetime(), strict=True))
    lines = _lines(rows)
    documents = [
        RetailDocument(
            number=number,
            customer_id=int(float(customer)),
            country=country,
            occurred_at=times[number],
            lines=tuple(sorted(lines[number], key=lambda line: line.stock_code)),
        )
        for number, customer, country in zip(
            first_rows["InvoiceNo"], first_rows["CustomerID"], first_rows["Country"], strict=True
        )
    ]
    documents = _attribute(documents)
    customers: dict[int, RetailCustomer] = {}
    for document in sorted(documents, key=lambda item: (item.occurred_at, item.number)):
        customers.setdefault(
            document.customer_id,
            RetailCustomer(
                customer_id=document.customer_id,
                country=document.country,
                first_seen_at=document.occurred_at,
                first_document=document.number,
            ),
        )
    return RetailData(
        sha256=file_sha256(path),
        rows=len(raw),
        documents=documents,
        customers=customers,
        products=_products(rows, times),
        dropped=dropped,
    )
