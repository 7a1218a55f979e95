"""Analytics benchmark: the analyses in DuckDB over the Parquet warehouse, beside plain pandas
on the same files in the same run, and event ingestion through POST /api/v1/events.

Builds ≥ 1,000,000 events by replaying the UCI Online Retail file (each invoice line → a
product_view, an add_to_cart and a product_sold; each invoice → order_placed and order_paid;
the file is replayed with shifted customer and invoice ids until the target is passed) and
writes them to a temporary warehouse in the layout of analytics.warehouse
(events/day=YYYY-MM-DD/part-*.parquet). Then, each with the project's DuckDB code
(warehouse.duck.connect() + analytics.analyses) and with an independent pandas version
written here, asserting both give the same numbers:

  (a) daily metrics: DAU, orders, GMV, paid orders, AOV and units per day;
  (b) a 12-month first-purchase cohort retention matrix (monthly);
  (c) a 4-step funnel product_view → add_to_cart → order_placed → order_paid, 7-day window.

(d) migrates a temporary data dir (SQLite, or $DATABASE_URL), starts the app server with
bench/http_floor.py's RunningServer (as `circlemart serve` runs it by default: WSGI;
`--servers wsgi,asgi` adds ASGI) and posts batches of 100 client events from 8 threads, each
batch a new visitor with a browser user agent and ANALYTICS_CONSENT_REQUIRED=0 (so nothing
is dropped as a bot or for lack of consent; an ignored event fails the run); it reports
events/s stored.
(e) on the same data dir: 365 days of every stored daily metric, an analyst's session, and
100 sequential GETs of each metrics dashboard page (last 30 days): p50/p95.
`--quick` leaves (d) and (e) out unless `--ingest` is given (migrating takes about a minute;
`make bench-quick` gives it, with one migrated data dir shared by every bench): then (d) runs
2 s and (e) 5 GETs per page.

    .venv/bin/python bench/analytics.py              # ≥ 1M events, 3 timed runs each
    .venv/bin/python bench/analytics.py --quick      # ~50k events, under a minute
    .venv/bin/python bench/analytics.py --skip-ingest --json var/bench/analytics.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

DATASET = Path("/work/shared/datasets/online-retail-uci/online_retail.csv.gz")
if not DATASET.exists():
    DATASET = ROOT.parent / "shared" / "datasets" / "online-retail-uci" / "online_retail.csv.gz"
FUNNEL = ["product_view", "add_to_cart", "order_placed", "order_paid"]
WINDOW_SECONDS = 7 * 86400
TARGET_SPEEDUP = 5.0
TARGET_INGEST = 5000.0
TARGET_PAGE_P95_MS = 300
BATCH = 100
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")  # = settings.TIME_ZONE, checked in main


# --- Building the warehouse ---------------------------------------------------------------------


def load_retail(*, quick: bool) -> pd.DataFrame:
    """Invoice lines that are sales: credit notes (C…), non-positive quantities and prices are
    left out. `quick` keeps every 33rd invoice, so the year and its cohorts stay whole."""
    frame = pd.read_csv(
        DATASET,
        dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": "Float64"},
        usecols=["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"],
    )
    frame = frame[
        ~frame["InvoiceNo"].str.startswith("C") & (frame["Quantity"] > 0) & (frame["UnitPrice"] > 0)
    ].copy()
    frame["invoice"] = frame["InvoiceNo"].str.extract(r"(\d+)")[0].astype("int64")
    if quick:
        frame = frame[frame["invoice"] % 33 == 0]
    frame["at"] = pd.to_datetime(frame["InvoiceDate"]).dt.tz_localize("UTC")
    frame["amount"] = (frame["Quantity"] * frame["UnitPrice"] * 100).round().astype("int64")
    frame["customer"] = frame["CustomerID"].astype("Int64")
    frame["line"] = frame.groupby("invoice").cumcount()
    return frame.reset_index(drop=True)


def replay(lines: pd.DataFrame, number: int, first_id: int) -> pd.DataFrame:
    """One replay of the file as events; replay n shifts customer and invoice ids."""
    customer = lines["customer"] + number * 100_000
    invoice = (lines["invoice"] + number * 1_000_000).astype(str)
    known = customer.notna()
    user = customer.astype("float64")
    anonymous = np.where(known, "v" + customer.astype(str), "g" + invoice)
    session = "s" + invoice
    line_seconds = pd.to_timedelta(lines["line"], unit="s")
    product = lines["StockCode"].astype(str)
    per_line = {
        "product_view": (lines["at"] - pd.Timedelta(minutes=30) + line_seconds, "client"),
        "add_to_cart": (lines["at"] - pd.Timedelta(minutes=15) + line_seconds, "client"),
        "product_sold": (lines["at"] + pd.Timedelta(minutes=2), "server"),
    }
    parts = []
    for name, (when, origin) in per_line.items():
        is_sale = name == "product_sold"
        parts.append(
            pd.DataFrame(
                {
                    "name": name,
                    "origin": origin,
                    "occurred_at": when,
                    "user_id": user,
                    "anonymous_id": anonymous if origin == "client" else "",
                    "session_id": session if origin == "client" else "",
                    "object_type": "product",
                    "object_id": product,
                    "amount": lines["amount"] if is_sale else None,
                    "currency": "GBP" if is_sale else "",
                    "properties": (
                        '{"units": '
                        + lines["Quantity"].astype(str)
                        + ', "order": "'
                        + invoice
                        + '"}'
                        if is_sale
                        else "{}"
                    ),
                }
            )
        )
    orders = (
        lines.assign(user=user, invoice_text=invoice)
        .groupby("invoice_text", sort=False)
        .agg(
            at=("at", "first"),
            user=("user", "first"),
            amount=("amount", "sum"),
            units=("Quantity", "sum"),
            lines=("line", "size"),
        )
    )
    for name, offset in (("order_placed", 0), ("order_paid", 1)):
        parts.append(
            pd.DataFrame(
                {
                    "name": name,
                    "origin": "server",
                    "occurred_at": orders["at"] + pd.Timedelta(minutes=offset),
                    "user_id": orders["user"],
                    "anonymous_id": "",
                    "session_id": "",
                    "object_type": "order",
                    "object_id": orders.index.to_numpy(),
                    "amount": orders["amount"] if name == "order_paid" else None,
                    "currency": "GBP" if name == "order_paid" else "",
                    "properties": (
                        '{"lines": '
                        + orders["lines"].astype(str)
                        + ', "units": '
                        + orders["units"].astype(str)
                        + "}"
                        if name == "order_placed"
                        else "{}"
                    ),
                }
            )
        )
    events = pd.concat(parts, ignore_index=True)
    events["user_id"] = events["user_id"].astype("Int64")
    events["amount"] = events["amount"].astype("Int64")
    events["id"] = np.arange(first_id, first_id + len(events), dtype="int64")
    events["event_id"] = "r" + str(number) + "-" + events["id"].astype(str)
    events["received_at"] = events["occurred_at"]
    return events


def build_warehouse(root: Path, *, target: int, quick: bool) -> tuple[int, int, date, date]:
    """Write the events under root/events/day=…/part-*.parquet; returns (events, replays,
    first day, last day)."""
    from circlemart.analytics.warehouse import schema

    lines = load_retail(quick=quick)
    frames = []
    total = 0
    number = 0
    while total < target:
        frame = replay(lines, number, total + 1)
        frames.append(frame)
        total += len(frame)
        number += 1
        if quick:
            break
    events = pd.concat(frames, ignore_index=True)
    events["occurred_at"] = events["occurred_at"].astype("datetime64[us, UTC]")
    events["received_at"] = events["received_at"].astype("datetime64[us, UTC]")
    # Ids in time order, as the log hands them out, so each day's file covers its own id range
    # (the warehouse names files part-<first id>-<last id> and reads by those ranges).
    events = events.sort_values(["occurred_at", "id"], kind="stable").reset_index(drop=True)
    events["id"] = np.arange(1, len(events) + 1, dtype="int64")
    events["day"] = events["occurred_at"].dt.date
    columns = [field.name for field in schema.EVENTS]
    for day, rows in events.groupby("day", sort=True):
        table = pa.Table.from_pandas(rows[columns], schema=schema.EVENTS, preserve_index=False)
        first, last = int(rows["id"].iloc[0]), int(rows["id"].iloc[-1])
        folder = root / "events" / f"day={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / f"part-{first:012d}-{last:012d}.parquet", compression="zstd")
    days = events["day"]
    return total, number, days.min(), days.max()


# --- pandas, written independently of the DuckDB SQL ------------------------------------------


def pandas_events(root: Path, columns: Sequence[str], names: Sequence[str] | None = None) -> Any:
    filters = [("name", "in", list(names))] if names else None
    frame = pd.read_parquet(root / "events", columns=list(columns), filters=filters)
    # the shop's calendar day (settings.TIME_ZONE), not the UTC folder
    frame["day"] = frame["occurred_at"].dt.tz_convert(TIME_ZONE).dt.date
    return frame


def pandas_people(frame: pd.DataFrame) -> pd.Series:
    """An integer per person: the user id, else the user its anonymous id signed in as, else
    a negative code of the anonymous id (integers, as the DuckDB side uses)."""
    both = frame[frame["user_id"].notna() & (frame["anonymous_id"] != "")]
    merged = both.groupby("anonymous_id")["user_id"].min()
    user = frame["user_id"].fillna(frame["anonymous_id"].map(merged))
    codes = pd.Series(-1 - pd.factorize(frame["anonymous_id"])[0], index=frame.index)
    anonymous = codes.where(frame["anonymous_id"] != "")
    return user.astype("float64").fillna(anonymous)


def pandas_daily(root: Path, start: date, end: date) -> list[tuple[Any, ...]]:
    frame = pandas_events(root, ["occurred_at", "user_id", "anonymous_id"])
    frame = frame[(frame["day"] >= start) & (frame["day"] <= end)]
    frame = frame.assign(person=pandas_people(frame))
    order_events = pandas_events(
        root, ["name", "occurred_at", "amount", "properties"], names=["order_placed", "order_paid"]
    )
    order_events = order_events[(order_events["day"] >= start) & (order_events["day"] <= end)]
    days = frame.groupby("day")
    dau = days["person"].nunique()
    placed = order_events[order_events["name"] == "order_placed"]
    paid = order_events[order_events["name"] == "order_paid"]
    orders = placed.groupby("day").size()
    units = (
        placed.assign(units=placed["properties"].map(lambda text: json.loads(text)["units"]))
        .groupby("day")["units"]
        .sum()
    )
    gmv = paid.groupby("day")["amount"].sum()
    paid_count = paid.groupby("day").size()
    rows = []
    for day in sorted(dau.index):
        day_gmv = int(gmv.get(day, 0))
        day_paid = int(paid_count.get(day, 0))
        rows.append(
            (
                day,
                int(dau[day]),
                int(orders.get(day, 0)),
                day_gmv,
                day_paid,
                round(day_gmv / day_paid, 6) if day_paid else None,
                int(units.get(day, 0)),
            )
        )
    return rows


def month_index(days: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(days)
    return stamps.dt.year * 12 + stamps.dt.month - 1


def pandas_cohorts(root: Path, start: date, end: date) -> list[tuple[Any, ...]]:
    frame = pandas_events(
        root, ["name", "occurred_at", "user_id", "anonymous_id"], names=["order_paid"]
    )
    frame = frame[frame["day"] <= end]
    frame = frame.assign(person=pandas_people(frame)).dropna(subset=["person"])
    first = frame.groupby("person")["day"].min()
    first = first[(first >= start) & (first <= end)]
    cohort = month_index(first.reset_index(drop=True)).set_axis(first.index).rename("cohort")
    active = frame[frame["day"] >= start]
    active = active.assign(period=month_index(active["day"]))[["person", "period"]]
    active = active.drop_duplicates().join(cohort, on="person", how="inner")
    active = active[active["period"] >= active["cohort"]]
    active["offset"] = active["period"] - active["cohort"]
    retained = active.groupby(["cohort", "offset"]).size()
    sizes = cohort.value_counts()
    last = month_index(pd.Series([end])).iloc[0]
    rows = []
    for month in sorted(sizes.index):
        counts = [int(retained.get((month, offset), 0)) for offset in range(last - month + 1)]
        year, zero_month = divmod(int(month), 12)
        rows.append((date(year, zero_month + 1, 1), int(sizes[month]), counts))
    return rows


def pandas_funnel(root: Path, start: date, end: date) -> list[tuple[int, float | None]]:
    last_day = end + timedelta(days=WINDOW_SECONDS // 86400 + 1)
    frame = pandas_events(root, ["name", "occurred_at", "user_id", "anonymous_id"], names=FUNNEL)
    frame = frame[(frame["day"] >= start) & (frame["day"] <= last_day)]
    frame = frame.assign(person=pandas_people(frame)).dropna(subset=["person"])
    rank = frame["name"].map({name: index for index, name in enumerate(FUNNEL)})
    micros = (frame["occurred_at"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(microseconds=1)
    frame["pos"] = micros * 16 + rank
    entries = frame[(frame["name"] == FUNNEL[0]) & (frame["day"] <= end)]
    reached = entries[["person", "pos", "occurred_at"]].rename(
        columns={"pos": "p0", "occurred_at": "t0"}
    )
    window = pd.Timedelta(seconds=WINDOW_SECONDS)
    for index in range(1, len(FUNNEL)):
        previous = f"p{index - 1}"
        candidates = frame[frame["name"] == FUNNEL[index]][["person", "pos", "occurred_at"]]
        going = reached[reached[previous].notna()].copy()
        stopped = reached[reached[previous].isna()]
        going[previous] = going[previous].astype("int64")
        joined = pd.merge_asof(
            going.sort_values(previous),
            candidates.sort_values("pos"),
            left_on=previous,
            right_on="pos",
            by="person",
            direction="forward",
            allow_exact_matches=False,
        )
        if index == 1:
            # attempts reaching the same second step are one: the latest first step before it
            joined = joined.sort_values("p0").drop_duplicates(["person", "pos"], keep="last")
        inside = joined["occurred_at"] <= joined["t0"] + window
        joined[f"p{index}"] = joined["pos"].where(inside)
        joined[f"t{index}"] = joined["occurred_at"].where(inside)
        reached = pd.concat(
            [joined.drop(columns=["pos", "occurred_at"]), stopped], ignore_index=True
        )
    reached["depth"] = sum(reached[f"p{index}"].notna().astype(int) for index in range(len(FUNNEL)))
    best = reached.sort_values(["person", "depth", "t0", "p0"], ascending=[True, False, True, True])
    best = best.drop_duplicates("person")
    result: list[tuple[int, float | None]] = []
    for index in range(len(FUNNEL)):
        there = best[best["depth"] >= index + 1]
        seconds = None
        if index and len(there):
            gaps = (there[f"t{index}"] - there[f"t{index - 1}"]).dt.total_seconds()
            seconds = float(gaps.median())
        result.append((len(there), seconds))
    return result


# --- DuckDB, through the project's code ----------------------------------------------------------


def duckdb_daily(start: date, end: date) -> list[tuple[Any, ...]]:
    from circlemart.analytics.analyses.persons import (
        LOCAL_DAY,
        day_parameters,
        folder_prune,
        person_events_sql,
    )
    from circlemart.analytics.warehouse import duck

    # DAU from distinct (day, person) pairs; the order figures from the two order events only,
    # so the properties text is decoded for order_placed rows and nothing else.
    sql = f"""
    WITH {
        person_events_sql(
            where="day BETWEEN $start AND $end", columns=["day"], low="$start", high="$end"
        )
    },
    active AS (
        SELECT day, count(person) AS dau  -- a day of guest orders only has DAU 0
        FROM (SELECT DISTINCT day, person FROM person_events)
        GROUP BY day
    ),
    orders AS (
        SELECT {LOCAL_DAY} AS local_day,
            count(*) FILTER (WHERE name = 'order_placed') AS orders,
            coalesce(sum(amount) FILTER (WHERE name = 'order_paid'), 0) AS gmv,
            count(*) FILTER (WHERE name = 'order_paid') AS paid,
            coalesce(sum(CAST(json_extract(properties, '$.units') AS BIGINT))
                FILTER (WHERE name = 'order_placed'), 0) AS units
        FROM events
        WHERE {folder_prune(low="$start", high="$end")}
            AND name IN ('order_placed', 'order_paid')
        GROUP BY local_day
    )
    SELECT a.day, a.dau, coalesce(o.orders, 0), coalesce(o.gmv, 0), coalesce(o.paid, 0),
        coalesce(o.units, 0)
    FROM active a LEFT JOIN orders o ON o.local_day = a.day ORDER BY a.day
    """  # noqa: S608  (fixed fragments; the dates are bound parameters)
    connection = duck.connect()
    try:
        rows = duck.run_query(connection, sql, {**day_parameters(), "start": start, "end": end})
    finally:
        connection.close()
    return [
        (
            day,
            int(dau),
            int(orders),
            int(gmv),
            int(paid),
            round(gmv / paid, 6) if paid else None,
            int(units),
        )
        for day, dau, orders, gmv, paid, units in rows
    ]


def duckdb_cohorts(start: date, end: date) -> list[tuple[Any, ...]]:
    from circlemart.analytics.analyses.cohorts import cohort_retention
    from circlemart.analytics.analyses.contracts import Grain, RetentionKind
    from circlemart.analytics.warehouse import duck

    connection = duck.connect()
    try:
        matrix = cohort_retention(
            connection,
            start=start,
            end=end,
            grain=Grain.MONTH,
            kind=RetentionKind.FIRST_TIME,
            cohort_events=["order_paid"],
            activity_events=["order_paid"],
        )
    finally:
        connection.close()
    return [(row.cohort, row.size, row.retained) for row in matrix.cohorts]


def duckdb_funnel(start: date, end: date) -> list[tuple[int, float | None]]:
    from circlemart.analytics.analyses.contracts import FunnelStepSpec
    from circlemart.analytics.analyses.funnel import funnel
    from circlemart.analytics.warehouse import duck

    connection = duck.connect()
    try:
        result = funnel(
            connection,
            steps=[FunnelStepSpec(name) for name in FUNNEL],
            start=start,
            end=end,
            window_seconds=WINDOW_SECONDS,
        )
    finally:
        connection.close()
    return [(step.people, step.median_seconds_from_previous) for step in result.steps]


# --- Timing ------------------------------------------------------------------------------------


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds of `repeat` runs, and the last run's answer."""
    seconds = []
    answer = None
    for _ in range(repeat):
        began = time.perf_counter()
        answer = function()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), answer


def same(left: Any, right: Any) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        return left is not None and right is not None and abs(left - right) < 1e-6
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right, strict=True))
    return bool(left == right)


# --- (d) Ingestion through the HTTP endpoint ------------------------------------------------------


def ingest(
    *,
    seconds: float,
    threads: int,
    workers: int,
    work_dir: Path,
    servers: Sequence[str],
    dashboard_requests: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(d) on each server kind, then (e) on the same migrated data dir (0 requests: no (e))."""
    from bench import http_floor

    environment = http_floor.child_environment(
        data_dir=work_dir / "data", database_url=os.environ.get("DATABASE_URL"), redis_url=None
    )
    environment["ANALYTICS_CONSENT_REQUIRED"] = "0"  # a bench visitor has nobody to ask
    http_floor.prepare_data(environment=environment, cwd=work_dir)
    results = []
    for name in servers:
        kind = http_floor.server_kinds(wsgi_threads=4)[name]
        results.append(
            _ingest_one(
                kind=kind,
                environment=environment,
                seconds=seconds,
                threads=threads,
                workers=workers,
                work_dir=work_dir,
            )
        )
    pages: list[dict[str, Any]] = []
    if dashboard_requests:
        pages = dashboard_latency(
            environment=environment, work_dir=work_dir, requests=dashboard_requests, days=365
        )
    return results, pages


def _ingest_one(
    *,
    kind: Any,
    environment: dict[str, str],
    seconds: float,
    threads: int,
    workers: int,
    work_dir: Path,
) -> dict[str, Any]:
    from bench import http_floor

    server = http_floor.RunningServer(
        kind, workers=workers, environment=environment, work_dir=work_dir
    )
    stored = [0] * threads
    errors: list[str] = []
    stop_at = 0.0
    try:
        server.wait_until_ready()
        url = server.base_url + "/api/v1/events"

        def post(batch: int, index: int) -> int:
            now = datetime.now(UTC)
            body = {
                # a new visitor per batch, so the behaviour bot check sees human rates
                "anonymous_id": f"bench{index:02d}{batch:08d}{uuid.uuid4().hex[:8]}",
                "events": [
                    {
                        "event_id": str(uuid.uuid4()),
                        "name": "product_view" if number % 3 else "add_to_cart",
                        "occurred_at": (now - timedelta(milliseconds=number)).isoformat(),
                        "object_id": str(number % 50),
                    }
                    for number in range(BATCH)
                ],
            }
            request = urllib.request.Request(  # noqa: S310  (our own local server)
                url,
                data=json.dumps(body).encode(),
                headers={
                    "Content-Type": "application/json",
                    "Origin": server.base_url,
                    # a browser's: tools' user agents are filtered as bots
                    "User-Agent": BROWSER,
                },
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                answer = json.loads(response.read())
            if answer["ignored"]:
                raise RuntimeError(f"{answer['ignored']} events ignored (consent or bot filter)")
            return int(answer["stored"])

        def worker(index: int) -> None:
            batch = 0
            while time.monotonic() < stop_at:
                try:
                    stored[index] += post(batch, index)
                except Exception as error:
                    errors.append(repr(error))
                    return
                batch += 1

        post(0, 99)  # warm: the first request loads the app
        stop_at = time.monotonic() + seconds
        began = time.monotonic()
        pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        elapsed = time.monotonic() - began
    finally:
        server.stop()
    return {
        "events": sum(stored),
        "seconds": elapsed,
        "events_per_second": sum(stored) / elapsed,
        "errors": errors[:3],
        "server": f"{kind.label}, {workers} workers",
        "clients": threads,
    }


# --- (e) Dashboard pages from the daily table ---------------------------------------------------

SEED_DASHBOARD_SNIPPET = """
import random
from datetime import date, timedelta
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group
from circlemart.accounts.services import user_register_with_email
from circlemart.analytics.metrics.catalogue import STORED
from circlemart.analytics.models import DailyMetric, TrackedSession
from circlemart.core import clock
user = user_register_with_email(email={email!r}, password={password!r}, nickname="analyst")
user.groups.add(Group.objects.get(name="analyst"))
user.is_staff = True
user.save(update_fields=["is_staff"])
store = import_module(settings.SESSION_ENGINE).SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.save()
rng = random.Random(7)
end = date.fromisoformat({end!r})
now = clock.now()
rows = []
for offset in range({days}):
    day = end - timedelta(days=offset)
    for key, definition in STORED.items():
        rows.append(DailyMetric(day=day, metric=key, value=rng.uniform(1, 1000), computed_at=now))
        if "channel" in definition.dimensions:
            for channel in TrackedSession.Source.values:
                rows.append(DailyMetric(day=day, metric=key, dimension="channel",
                    dimension_value=channel, value=rng.uniform(1, 100), computed_at=now))
DailyMetric.objects.bulk_create(rows, batch_size=5000)
print("SESSION=" + store.session_key + " ROWS=" + str(len(rows)))
"""
DASHBOARD_PAGES = ("overview", "users", "products", "orders", "traffic")


def dashboard_latency(
    *, environment: dict[str, str], work_dir: Path, requests: int, days: int
) -> list[dict[str, Any]]:
    """A year of daily metrics (every stored metric, overall and per channel), an analyst's
    session, then sequential GETs of each metrics dashboard over the last 30 days: p50/p95."""
    from bench import http_floor

    end = date(2026, 12, 1)
    snippet = SEED_DASHBOARD_SNIPPET.format(
        email=f"analyst-{uuid.uuid4().hex[:8]}@example.com",
        password=http_floor.BENCH_PASSWORD,
        end=end.isoformat(),
        days=days,
    )
    shell = http_floor.circlemart(["shell", "-c", snippet], environment=environment, cwd=work_dir)
    line = next(line for line in shell.stdout.splitlines() if line.startswith("SESSION="))
    session_key, rows = line.removeprefix("SESSION=").split(" ROWS=")
    # What `circlemart serve` runs by default.
    kind = http_floor.server_kinds(wsgi_threads=4)[os.environ.get("CIRCLEMART_SERVER", "wsgi")]
    server = http_floor.RunningServer(kind, workers=2, environment=environment, work_dir=work_dir)
    results = []
    try:
        server.wait_until_ready()
        start = end - timedelta(days=29)
        for page in DASHBOARD_PAGES:
            url = (
                f"{server.base_url}/admin/analytics/dashboards/{page}/"
                f"?start={start.isoformat()}&end={end.isoformat()}"
            )
            headers = {
                "Cookie": f"sessionid={session_key}",
                "User-Agent": BROWSER,
                "Accept-Language": "en",
            }
            timings = []
            for number in range(requests + 3):
                began = time.perf_counter()
                status, _, body = http_floor.fetch(url, headers)
                elapsed = time.perf_counter() - began
                # a page that found no daily metrics would be fast for the wrong reason
                if status != 200 or b"No daily metrics" in body or b"plotly" not in body.lower():
                    raise http_floor.BenchmarkError(f"{page}: {status} {body[:300]!r}")
                if number >= 3:  # the first requests warm the workers
                    timings.append(elapsed * 1000)
            timings.sort()
            results.append(
                {
                    "page": page,
                    "requests": len(timings),
                    "p50_ms": statistics.median(timings),
                    "p95_ms": timings[int(len(timings) * 0.95) - 1],
                    "bytes": len(body),
                    "daily_rows": int(rows),
                }
            )
    finally:
        server.stop()
    return results


# --- Main ---------------------------------------------------------------------------------------


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="~50k events, 1 run each, < 60 s")
    parser.add_argument("--events", type=int, default=1_000_000, help="at least [1,000,000]")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per task [3]")
    parser.add_argument("--skip-ingest", action="store_true", help="leave out (d)")
    parser.add_argument(
        "--ingest", action="store_true", help="run (d) in --quick mode too (migrate: ~1 min)"
    )
    parser.add_argument(
        "--skip-dashboards", action="store_true", help="leave out (e) dashboard page latency"
    )
    parser.add_argument(
        "--page-requests", type=int, default=100, help="(e) sequential GETs per page [100]"
    )
    parser.add_argument(
        "--servers",
        default=os.environ.get("CIRCLEMART_SERVER", "wsgi"),
        help="server kinds for (d): wsgi and/or asgi [what `circlemart serve` runs: wsgi]",
    )
    parser.add_argument("--ingest-seconds", type=float, default=20.0, help="[20]")
    parser.add_argument("--ingest-threads", type=int, default=8, help="client threads [8]")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers [2]")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    repeat = 1 if arguments.quick else arguments.repeat
    with tempfile.TemporaryDirectory(prefix="circlemart-analytics-") as temporary:
        work = Path(temporary)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "circlemart.config.settings")
        os.environ["CIRCLEMART_DATA_DIR"] = str(work / "app")
        os.environ["ANALYTICS_WAREHOUSE_DIR"] = str(work / "warehouse")
        os.environ.pop("DEBUG", None)
        import django
        from django.conf import settings

        django.setup()
        if settings.TIME_ZONE != TIME_ZONE:
            raise SystemExit(f"TIME_ZONE {settings.TIME_ZONE} != {TIME_ZONE}")
        began = time.perf_counter()
        total, replays, first_day, last_day = build_warehouse(
            work / "warehouse", target=arguments.events, quick=arguments.quick
        )
        print(
            f"warehouse: {total:,} events ({replays} replay(s) of {DATASET.name}), "
            f"{first_day} … {last_day}, built in {time.perf_counter() - began:.1f} s; "
            f"DuckDB {settings.ANALYTICS_DUCKDB_THREADS} threads, "
            f"{settings.ANALYTICS_DUCKDB_MEMORY}; pandas {pd.__version__} (one thread); "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        cohort_start = date(first_day.year, first_day.month, 1)
        cohort_end = date(cohort_start.year + 1, cohort_start.month, 1) - timedelta(days=1)
        root = work / "warehouse"
        tasks = [
            (
                "daily metrics (DAU, orders, GMV, AOV, units)",
                lambda: duckdb_daily(first_day, last_day),
                lambda: pandas_daily(root, first_day, last_day),
            ),
            (
                "12-month cohort retention (first purchase)",
                lambda: duckdb_cohorts(cohort_start, cohort_end),
                lambda: pandas_cohorts(root, cohort_start, cohort_end),
            ),
            (
                "4-step funnel, 7-day window",
                lambda: duckdb_funnel(first_day, last_day),
                lambda: pandas_funnel(root, first_day, last_day),
            ),
        ]
        rows = []
        mismatches = []
        for label, with_duckdb, with_pandas in tasks:
            duck_seconds, duck_answer = timed(with_duckdb, repeat)
            pandas_seconds, pandas_answer = timed(with_pandas, repeat)
            if not same(duck_answer, pandas_answer):
                mismatches.append(label)
                print(
                    f"MISMATCH in {label}:\n  duckdb {duck_answer!r:.600}\n"
                    f"  pandas {pandas_answer!r:.600}"
                )
            rows.append(
                {
                    "task": label,
                    "duckdb_seconds": duck_seconds,
                    "pandas_seconds": pandas_seconds,
                    "speedup": pandas_seconds / duck_seconds,
                    "same_numbers": label not in mismatches,
                }
            )
            print(
                f"  {label}: duckdb {duck_seconds:.3f} s, pandas {pandas_seconds:.3f} s", flush=True
            )
            if label.startswith("4-step"):
                print(f"    funnel people per step: {[people for people, _ in duck_answer]}")
            if label.startswith("12-month"):
                print(
                    f"    cohorts: {len(duck_answer)}, first: {duck_answer[0][:2]}"
                    f" {duck_answer[0][2][:4]}…"
                )
        ingestion: list[dict[str, Any]] = []
        pages: list[dict[str, Any]] = []
        if arguments.quick and not arguments.ingest:
            print("ingestion: left out in --quick mode (add --ingest)")
        elif not arguments.skip_ingest:
            print("ingestion: migrate, start the server, post batches …", flush=True)
            ingestion, pages = ingest(
                seconds=2.0 if arguments.quick else arguments.ingest_seconds,
                threads=arguments.ingest_threads,
                workers=arguments.workers,
                work_dir=work,
                servers=[name.strip() for name in arguments.servers.split(",") if name.strip()],
                dashboard_requests=0
                if arguments.skip_dashboards
                else min(arguments.page_requests, 5)
                if arguments.quick
                else arguments.page_requests,
            )

    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (other processes share the cores)")
    header = (
        "task",
        "duckdb s",
        "pandas s",
        "speed-up",
        f"target ≥ {TARGET_SPEEDUP:.0f}×",
        "same numbers",
    )
    cells = [
        (
            row["task"],
            f"{row['duckdb_seconds']:.3f}",
            f"{row['pandas_seconds']:.3f}",
            f"{row['speedup']:.1f}×",
            "met" if row["speedup"] >= TARGET_SPEEDUP else "MISSED",
            "yes" if row["same_numbers"] else "NO",
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in (header, *cells)) for i in range(len(header))]
    for line in (header, tuple("-" * w for w in widths), *cells):
        print(
            "  ".join(
                v.ljust(w) if i == 0 else v.rjust(w)
                for i, (v, w) in enumerate(zip(line, widths, strict=True))
            )
        )
    for result in ingestion:
        verdict = "met" if result["events_per_second"] >= TARGET_INGEST else "MISSED"
        print(
            f"ingestion ({result['server']}): {result['events']:,} events stored in"
            f" {result['seconds']:.1f} s = {result['events_per_second']:,.0f} events/s"
            f" ({result['clients']} client threads, batches of {BATCH}); target ≥"
            f" {TARGET_INGEST:,.0f}/s {verdict}; errors: {result['errors'] or 'none'}"
        )
    for page in pages:
        verdict = "met" if page["p95_ms"] < TARGET_PAGE_P95_MS else "MISSED"
        print(
            f"dashboard {page['page']} (30 days, {page['daily_rows']:,} daily rows):"
            f" p50 {page['p50_ms']:.0f} ms, p95 {page['p95_ms']:.0f} ms over {page['requests']}"
            f" sequential GETs (asgi uvicorn, 2 workers); target p95 < {TARGET_PAGE_P95_MS} ms"
            f" {verdict}"
        )
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(
            json.dumps(
                {"events": total, "tasks": rows, "ingestion": ingestion, "dashboards": pages},
                indent=2,
            )
            + "\n"
        )
        print(f"wrote {arguments.json}")
    if mismatches or any(result["errors"] for result in ingestion):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
