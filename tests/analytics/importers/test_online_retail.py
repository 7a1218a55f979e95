"""`circlemart analytics import-online-retail`: a real slice of the UCI file through the real
pipeline, compared with an independent pandas computation on the raw rows (conftest.py);
resuming after a crash, rerunning, and refusing a malformed file."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from circlemart.accounts.models import User
from circlemart.analytics.importers.online_retail import online_retail_import
from circlemart.analytics.models import DailyMetric, Event, JobCursor
from circlemart.catalog.models import Category, Product
from circlemart.core.errors import ValidationFailed
from circlemart.core.models import OutboxEvent
from circlemart.inventory.models import StockLevel
from circlemart.orders import services as orders_services
from circlemart.orders.models import Order, OrderLine
from tests.analytics.importers.conftest import (
    Expected,
    clean_in_pandas,
    refunds_by_order,
    write_slice,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
FIFTEEN_DAYS = "2010-12-16"  # 2010-12-01 … 2010-12-15: ~32,000 raw rows, ~1,300 documents
TWO_DAYS = "2010-12-03"  # ~5,000 raw rows, ~230 documents


def london_day(moment: Any) -> Any:
    return moment.astimezone(LONDON).date()


def platform_state() -> dict[str, Any]:
    return {
        "users": User.objects.count(),
        "products": Product.objects.count(),
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "paid": Order.objects.aggregate(total=Sum("paid_amount"))["total"],
        "events": dict(Counter(Event.objects.values_list("name", flat=True))),
        "event_amounts": dict(
            Event.objects.values_list("name").annotate(total=Sum("amount")).order_by("name")
        ),
    }


def expected_state(expected: Expected) -> dict[str, Any]:
    sales, credits = expected.sales, expected.credits
    customers = set(sales["customer"]) | set(credits["customer"])
    orders = sales["InvoiceNo"].nunique()
    lines = sales.groupby(["InvoiceNo", "code"]).ngroups
    paid = int(sales["amount"].sum())
    events = {
        "user_registered": len(customers),
        "order_placed": orders,
        "order_paid": orders,
        "product_sold": lines,
        "order_refunded": _refund_event_count(expected),
    }
    amounts = {
        "order_paid": paid,
        "order_placed": paid,
        "order_refunded": int(credits["amount"].sum()),
        "product_sold": paid,
        "user_registered": None,
    }
    return {
        "users": len(customers),
        "products": sales["code"].nunique(),
        "orders": orders,
        "lines": lines,
        "paid": paid,
        "events": {name: count for name, count in events.items() if count},
        "event_amounts": {name: amount for name, amount in amounts.items() if events[name]},
    }


def _refund_event_count(expected: Expected) -> int:
    """One order_refunded per credit note and attributed order (conftest's attribution)."""
    credits = expected.credits
    sales = expected.sales[["customer", "code", "InvoiceNo", "time"]].drop_duplicates()
    pairs = credits.reset_index().merge(
        sales, on=["customer", "code"], how="left", suffixes=("", "_sale")
    )
    pairs = pairs[pairs["time_sale"].isna() | (pairs["time_sale"] <= pairs["time"])]
    latest = pairs.sort_values(["index", "time_sale", "InvoiceNo_sale"]).groupby("index").tail(1)
    targets = credits.join(latest.set_index("index")[["InvoiceNo_sale"]])
    return int(
        targets.assign(target=targets["InvoiceNo_sale"].fillna(""))
        .groupby(["InvoiceNo", "target"])
        .ngroups
    )


@pytest.fixture
def fifteen_days(raw_rows: pd.DataFrame, tmp_path: Path) -> tuple[Path, Expected]:
    path = write_slice(raw_rows, FIFTEEN_DAYS, tmp_path / "slice.csv.gz")
    return path, clean_in_pandas(raw_rows[raw_rows["InvoiceDate"] < FIFTEEN_DAYS])


@pytest.fixture
def two_days(raw_rows: pd.DataFrame, tmp_path: Path) -> tuple[Path, Expected]:
    path = write_slice(raw_rows, TWO_DAYS, tmp_path / "two.csv")
    return path, clean_in_pandas(raw_rows[raw_rows["InvoiceDate"] < TWO_DAYS])


def test_fifteen_days_match_an_independent_pandas_computation(
    fifteen_days: tuple[Path, Expected],
) -> None:
    path, expected = fifteen_days
    sales, credits = expected.sales, expected.credits
    outbox_before = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    report = online_retail_import(path=path, chunk_size=300)

    # Counts and money: customers, products, orders, lines, paid, refunded, events.
    assert platform_state() == expected_state(expected)
    assert report.orders == sales["InvoiceNo"].nunique()
    assert JobCursor.objects.get(job=report.job).position == report.documents
    # Orders per day and distinct buyers per day (London days).
    orders = list(Order.objects.values_list("number", "buyer_id", "placed_at"))
    per_day = Counter(london_day(placed) for _number, _buyer, placed in orders)
    assert per_day == Counter(sales.groupby("day")["InvoiceNo"].nunique().to_dict())
    buyers: dict[Any, set[int]] = defaultdict(set)
    for _number, buyer, placed in orders:
        buyers[london_day(placed)].add(buyer)
    assert {day: len(ids) for day, ids in buyers.items()} == (
        sales.groupby("day")["customer"].nunique().to_dict()
    )
    # Units per product, on the orders and in the product_sold events.
    units = sales.groupby("code")["qty"].sum()
    expected_units = {f"UCI-{code}": int(value) for code, value in units.items()}
    assert (
        dict(OrderLine.objects.values_list("product__code").annotate(units=Sum("quantity")))
        == expected_units
    )
    sold: Counter[str] = Counter()
    codes = dict(Product.objects.values_list("id", "code"))
    for object_id, properties in Event.objects.filter(name="product_sold").values_list(
        "object_id", "properties"
    ):
        sold[codes[int(object_id)]] += properties["units"]
    assert dict(sold) == expected_units
    # First-purchase cohorts: customers by the day of their first order.
    first_order: dict[int, Any] = {}
    for _number, buyer, placed in sorted(orders, key=lambda order: order[2]):
        first_order.setdefault(buyer, london_day(placed))
    assert Counter(first_order.values()) == Counter(
        sales.groupby("customer")["day"].min().value_counts().to_dict()
    )
    # Refunds: each credit note's money on the order it is attributed to.
    refunded: Counter[str] = Counter()
    for object_id, amount in Event.objects.filter(name="order_refunded").values_list(
        "object_id", "amount"
    ):
        refunded[object_id] += amount or 0
    assert dict(refunded) == refunds_by_order(expected)
    assert sum(refunded.values()) == int(credits["amount"].sum()) > 0
    # Historical times: a customer joined at their first document, London time made aware.
    first_seen = pd.concat([sales, credits]).groupby("customer")["time"].min()
    customer = int(first_seen.index[0])
    joined = User.objects.get(email=f"customer{customer}@online-retail.invalid").date_joined
    assert joined == first_seen.iloc[0].to_pydatetime()
    # The import publishes no order events, reserves no stock and starts no payment.
    published = set(
        OutboxEvent.objects.filter(id__gt=outbox_before).values_list("event_type", flat=True)
    )
    assert published == {"catalog.CategoryTreeChanged"}
    assert not StockLevel.objects.exclude(reserved=0).exists()
    assert set(Order.objects.values_list("status", flat=True)) == {"completed"}
    assert Category.objects.get(slug="online-retail-uci").products.count() == len(units)


def test_a_crash_in_the_middle_resumes_to_the_same_totals(
    two_days: tuple[Path, Expected], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, expected = two_days
    real = orders_services.orders_import_historical
    calls = {"count": 0}

    def crash_on_the_third_chunk(**kwargs: Any) -> Any:
        calls["count"] += 1
        if calls["count"] == 3:
            raise RuntimeError("the machine went down")
        return real(**kwargs)

    monkeypatch.setattr(orders_services, "orders_import_historical", crash_on_the_third_chunk)
    with pytest.raises(RuntimeError, match="went down"):
        online_retail_import(path=path, chunk_size=40)
    cursor = JobCursor.objects.get(job__startswith="import.online_retail:")
    assert cursor.position == 80  # two chunks committed, the third rolled back whole
    half = Order.objects.count()
    assert 0 < half < expected.sales["InvoiceNo"].nunique()
    assert Event.objects.filter(name="order_placed").count() == half

    monkeypatch.setattr(orders_services, "orders_import_historical", real)
    report = online_retail_import(path=path, chunk_size=40)

    assert report.done_before == 80
    assert report.orders == expected.sales["InvoiceNo"].nunique() - half
    assert platform_state() == expected_state(expected)


def test_a_rerun_after_completion_changes_nothing(two_days: tuple[Path, Expected]) -> None:
    path, expected = two_days
    online_retail_import(path=path, chunk_size=100)
    before = platform_state()
    JobCursor.objects.all().delete()  # even a lost cursor adds nothing: keys are unique

    report = online_retail_import(path=path, chunk_size=100)

    assert (report.orders, report.events) == (0, 0)
    assert platform_state() == before == expected_state(expected)


def test_the_command_imports_and_reports(two_days: tuple[Path, Expected]) -> None:
    path, expected = two_days
    out = io.StringIO()

    call_command("analytics", "import-online-retail", str(path), "--no-progress", stdout=out)

    orders = expected.sales["InvoiceNo"].nunique()
    assert f"{orders} orders and" in out.getvalue()
    assert "Rows dropped by the cleaning rules: duplicate_row" in out.getvalue()
    assert Order.objects.count() == orders


def test_a_file_without_a_column_is_refused_and_nothing_is_stored(
    raw_rows: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "no-price.csv"
    raw_rows.head(200).drop(columns=["UnitPrice"]).to_csv(path, index=False)

    with pytest.raises(ValidationFailed) as refusal:
        online_retail_import(path=path)

    assert (refusal.value.code, refusal.value.field) == ("missing_columns", "path")
    assert "UnitPrice" in str(refusal.value.message)
    assert_nothing_stored()
    with pytest.raises(CommandError, match="lacks the column"):
        call_command("analytics", "import-online-retail", str(path), "--no-progress")


def test_a_bad_value_is_refused_naming_its_line(raw_rows: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "bad-date.csv"
    rows = raw_rows.head(200).copy()
    rows.loc[150, "InvoiceDate"] = "yesterday"
    rows.to_csv(path, index=False)

    with pytest.raises(ValidationFailed) as refusal:
        online_retail_import(path=path)

    assert refusal.value.field == "InvoiceDate"
    assert "Row 152" in str(refusal.value.message)
    assert_nothing_stored()


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file"):
        call_command("analytics", "import-online-retail", str(tmp_path / "none.csv.gz"))
    assert_nothing_stored()


def assert_nothing_stored() -> None:
    assert User.objects.filter(email__endswith="@online-retail.invalid").count() == 0
    assert Product.objects.filter(code__startswith="UCI-").count() == 0
    assert Order.objects.count() == 0
    assert Event.objects.count() == 0
    assert JobCursor.objects.count() == 0


def test_daily_metrics_of_the_platform_match_pandas(
    fifteen_days: tuple[Path, Expected], settings: Any
) -> None:
    """The whole pipeline: import → Parquet export → DuckDB rollup → DailyMetric, read back
    through the metric selectors, against pandas on the raw rows. Days are the platform's
    days (settings.TIME_ZONE), as on the dashboards."""
    from circlemart.analytics.metrics.selectors import metric_series
    from circlemart.analytics.metrics.services import daily_metrics_rollup
    from circlemart.analytics.warehouse import duck

    path, expected = fifteen_days
    online_retail_import(path=path, chunk_size=500)
    duck.sync()
    start, end = date(2010, 12, 1), date(2010, 12, 16)
    daily_metrics_rollup(start=start, end=end)

    def series(metric: str) -> dict[date, float]:
        return {
            day: value for day, value in metric_series(metric=metric, start=start, end=end) if value
        }

    def local_day(frame: pd.DataFrame) -> pd.Series:
        return frame["time"].dt.tz_convert(settings.TIME_ZONE).dt.date

    sales = expected.sales.assign(local=local_day(expected.sales))
    credits = expected.credits.assign(local=local_day(expected.credits))
    invoices = sales.groupby("InvoiceNo").agg(
        local=("local", "first"), customer=("customer", "first"), amount=("amount", "sum")
    )
    by_day = invoices.groupby("local")
    orders = by_day.size()
    amount = by_day["amount"].sum()
    buyers = by_day["customer"].nunique()

    def as_floats(values: pd.Series) -> dict[date, float]:
        return {day: float(value) for day, value in values.items() if value}

    assert series("orders_placed") == series("orders_paid") == as_floats(orders)
    assert series("amount_paid") == series("gmv") == as_floats(amount)
    assert series("units_sold") == as_floats(sales.groupby("local")["qty"].sum())
    # paying_buyers is stored, not offered on its own: read the daily table for it.
    assert dict(
        DailyMetric.objects.filter(metric="paying_buyers", dimension="").values_list("day", "value")
    ) == as_floats(buyers)
    assert series("amount_per_buyer") == pytest.approx(as_floats(amount / buyers))
    assert series("aov") == pytest.approx(as_floats(amount / orders))
    first_purchase = invoices.groupby("customer")["local"].min()
    assert series("new_customers") == as_floats(first_purchase.value_counts())
    registered = pd.concat([sales, credits]).groupby("customer")["time"].min()
    assert series("new_users") == as_floats(
        registered.dt.tz_convert(settings.TIME_ZONE).dt.date.value_counts()
    )
    assert series("amount_refunded") == as_floats(credits.groupby("local")["amount"].sum())
    # Repeat-purchase rate: buyers with two or more paid orders among the buyers of the
    # trailing 30 days.
    rates = {}
    for day in sorted(set(invoices["local"])):
        window = invoices[
            (invoices["local"] <= day) & (invoices["local"] > day - timedelta(days=30))
        ]
        per_buyer = window.groupby("customer").size()
        rates[day] = float((per_buyer >= 2).sum() / len(per_buyer))
    assert series("repeat_purchase_rate") == pytest.approx(
        {day: rate for day, rate in rates.items() if rate}
    )
