"""The raw UCI Online Retail file, sliced by the tests themselves, and the cleaning rules of
docs/analytics.md written again in pandas — independently of the importer's code — so the
tests compare the platform with a computation that shares nothing with it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

RAW_FILE = Path("/work/shared/datasets/online-retail-uci/online_retail.csv.gz")
LONDON = "Europe/London"


@dataclass(frozen=True)
class Expected:
    """The slice, cleaned in pandas: purchase rows and credit-note rows."""

    sales: pd.DataFrame  # InvoiceNo, code, CustomerID, qty, pence, amount, time, day
    credits: pd.DataFrame  # same columns; qty and amount are positive (units given back)


@pytest.fixture(scope="session")
def raw_rows() -> pd.DataFrame:
    return pd.read_csv(RAW_FILE, dtype=str, keep_default_na=False)


def write_slice(raw: pd.DataFrame, before: str, path: Path) -> Path:
    """The raw rows of invoices dated before `before`, written as the original CSV."""
    raw[raw["InvoiceDate"] < before].to_csv(path, index=False)
    return path


def clean_in_pandas(raw: pd.DataFrame) -> Expected:
    """docs/analytics.md, "Cleaning rules", re-implemented on the raw rows."""
    rows = raw.drop_duplicates()
    rows = rows[rows["CustomerID"] != ""]
    rows = rows[rows["InvoiceNo"].str.match(r"^C?\d{6}$")]
    rows = rows.assign(code=rows["StockCode"].str.strip().str.upper())
    rows = rows[rows["code"].str.match(r"^\d{5}[A-Z]*$")]
    price = rows["UnitPrice"].astype(float) * 100
    # Every product row of the file is priced in whole pence (only PADS and BANK CHARGES,
    # both non-products, are not): integer pence are exact.
    assert ((price - price.round()).abs() < 1e-6).all()
    rows = rows.assign(
        qty=rows["Quantity"].astype(int),
        pence=price.round().astype("int64"),
        customer=rows["CustomerID"].astype(float).astype("int64"),
    )
    rows = rows[rows["pence"] > 0]
    is_credit = rows["InvoiceNo"].str.startswith("C")
    sales = rows[~is_credit & (rows["qty"] > 0)].copy()
    credits = rows[is_credit & (rows["qty"] < 0)].copy()
    credits["qty"] = -credits["qty"]
    for frame in (sales, credits):
        local = pd.to_datetime(frame["InvoiceDate"])
        # An invoice's time is the earliest of its rows (a few invoices span two minutes).
        first = local.groupby(frame["InvoiceNo"]).transform("min")
        frame["time"] = first.dt.tz_localize(LONDON)
        frame["day"] = first.dt.date
        frame["amount"] = frame["qty"] * frame["pence"]
    return Expected(sales=sales, credits=credits)


def refunds_by_order(expected: Expected) -> dict[str, int]:
    """Each credit-note row goes to the customer's latest invoice at or before it holding the
    product (ties: the higher invoice number); "C…" when there is none."""
    sales = expected.sales[["customer", "code", "InvoiceNo", "time"]].drop_duplicates()
    pairs = expected.credits.reset_index().merge(
        sales, on=["customer", "code"], how="left", suffixes=("", "_sale")
    )
    pairs = pairs[pairs["time_sale"].isna() | (pairs["time_sale"] <= pairs["time"])]
    pairs = pairs.sort_values(["index", "time_sale", "InvoiceNo_sale"])
    latest = pairs.groupby("index").tail(1).set_index("index")
    credits = expected.credits.join(latest[["InvoiceNo_sale"]])
    target = ("OR" + credits["InvoiceNo_sale"]).where(
        credits["InvoiceNo_sale"].notna(), credits["InvoiceNo"]
    )
    return {key: int(value) for key, value in credits.groupby(target)["amount"].sum().items()}
