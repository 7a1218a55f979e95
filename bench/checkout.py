"""Checkout benchmark: orders/s for place + pay over HTTP with N concurrent buyers, beside the
/hello floor and the /api/v1/me signed-in read measured in the same run by the shared harness
(bench/load.py: closed-loop capacity in interleaved, balance-checked rounds, then open-loop
Poisson p50/p99 at 25/50/75 % of capacity), and whether the worker keeps up.

Each buyer is a thread with its own keep-alive connection and bearer token. One order is the
shopper's three requests: POST /api/v1/orders (Idempotency-Key, 1-2 random SKUs), POST
/api/v1/orders/{n}/pay (the test gateway opens a charge) and POST
/api/v1/payments/{id}/test-gateway/complete (the buyer presses Pay; PAYMENTS_TEST_MODE=1). The
background worker (`circlemart worker`, as `circlemart serve` starts it: the embedded broker
unless --broker-url) then delivers the signed webhook over HTTP, relays PaymentCaptured and
marks the order paid. Per round the script reports the placed and the paid rate (payments
that landed while the buyers were buying), how many of the round's orders were still unpaid
10 s after it, and waits (at most --drain-seconds) for the rest.

    createdb -h 127.0.0.1 -U postgres checkout_bench
    .venv/bin/python bench/checkout.py --database-url postgres://postgres@127.0.0.1/checkout_bench
    .venv/bin/python bench/checkout.py --quick                      # CI smoke run (SQLite ok)
    .venv/bin/python bench/checkout.py --broker-url amqp://guest:guest@127.0.0.1:5672// \
        --redis-url redis://127.0.0.1:6379/15 --database-url …      # RabbitMQ workers
    .venv/bin/python bench/checkout.py --drain-seconds 300 --keep   # worker lag; keep the logs
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from math import isnan, nan
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import http_floor  # noqa: E402  (a sibling script, not a package)
import load  # noqa: E402

UNPAID_CHECK_SECONDS = 10.0  # "no order still unpaid this long after the load stops"

BUYER_PASSWORD = "Bench-checkout-password-3141"
HTTP_TIMEOUT_SECONDS = 30

SEED_SNIPPET = """
import json, uuid
from circlemart.accounts import services as accounts
from circlemart.catalog import services as catalog
run = uuid.uuid4().hex[:8]
category = catalog.category_create(name="基准", name_en="Bench", slug=f"bench-{{run}}")
skus = []
for index in range({skus}):
    product = catalog.product_create(data=catalog.ProductInput(
        code=f"B{{run}}{{index:03d}}", title=f"基准商品 {{index}}", title_en=f"Bench {{index}}",
        category_id=category.pk, status="on_sale",
        skus=[catalog.SkuInput(code=f"B{{run}}{{index:03d}}-0", price=1990 + 100 * index,
                               options={{"颜色": "黑"}}, stock={stock})]))
    skus.append(product.skus.get().pk)
buyers = []
for index in range({buyers}):
    user = accounts.user_register_with_email(
        email=f"buyer-{{run}}-{{index}}@example.com", password={password!r}, nickname="buyer")
    address = accounts.address_create(user=user, data=accounts.AddressInput(
        recipient="张三", phone="13800138000", province="上海", city="上海市",
        detail="人民路 1 号"))
    buyers.append({{"token": accounts.token_pair_issue(user=user).access_token,
                   "address_id": address.pk}})
print("SEED=" + json.dumps({{"skus": skus, "buyers": buyers}}))
"""

# Waits until the worker has paid the round's orders; reports how many were unpaid
# UNPAID_CHECK_SECONDS after the round, when the last was paid, each order's lag, and how many
# payments (of any order) landed while the buyers were buying.
DRAIN_SNIPPET = """
import json, os, time
from datetime import UTC, datetime
from circlemart.orders.models import Order
numbers = json.loads(open(os.environ["BENCH_ORDERS_FILE"]).read())
round_start = float(os.environ["BENCH_ROUND_START"])
round_end = float(os.environ["BENCH_ROUND_END"])
check_at = round_end + float(os.environ["BENCH_UNPAID_CHECK_SECONDS"])
deadline = time.monotonic() + float(os.environ["BENCH_DRAIN_SECONDS"])
left_at_check = None
while True:
    left = Order.objects.filter(number__in=numbers).exclude(status="paid").count()
    if left_at_check is None and (not left or time.time() >= check_at):
        left_at_check = left
    if (not left and left_at_check is not None) or time.monotonic() > deadline:
        break
    time.sleep(0.25)
done = time.time()
paid = list(Order.objects.filter(number__in=numbers, status="paid").values_list(
    "placed_at", "paid_at"))
lags = [(paid_at - placed).total_seconds() for placed, paid_at in paid]
last_paid = max((paid_at.timestamp() for _, paid_at in paid), default=round_end)
landed = Order.objects.filter(
    paid_at__gte=datetime.fromtimestamp(round_start, UTC),
    paid_at__lt=datetime.fromtimestamp(round_end, UTC)).count()
print("DRAIN=" + json.dumps({"left": left, "left_at_check": left_at_check, "done": done,
                             "last_paid": last_paid, "lags": lags, "paid_in_round": landed}))
"""


@dataclass
class RoundStats:
    """One checkout round: latencies per step (ms), completed orders, errors by kind."""

    seconds: float = 0.0
    orders: int = 0
    flow_ms: list[float] = field(default_factory=list)
    place_ms: list[float] = field(default_factory=list)
    pay_ms: list[float] = field(default_factory=list)
    press_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    numbers: list[str] = field(default_factory=list)
    foreign_cpu_share: float = 0.0
    driver_cpu_share: float = 0.0
    drain_seconds: float | None = None
    unpaid_after_drain: int = 0
    unpaid_after_check: int = 0
    shed: int = 0  # checkouts the server refused with 503 (admission control), not errors
    paid_in_round: int = 0
    last_paid_after_round: float = 0.0
    started_at: float = 0.0
    ended_at: float = 0.0
    paid_lag_ms: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    name: str
    rate: float  # req/s, or orders/s for the checkout rows
    unit: str
    p50_ms: float
    p99_ms: float
    ratio_to_floor: float
    foreign_cpu_share: float
    note: str = ""


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# --- Buyers ------------------------------------------------------------------------------------


class Shopper:
    """One buyer's keep-alive connection."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept-Language": "en",
        }
        self.connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=HTTP_TIMEOUT_SECONDS
        )

    def post(self, path: str, body: Mapping[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        headers = {**self.headers, "Idempotency-Key": key}
        try:
            self.connection.request("POST", path, json.dumps(body), headers)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            return 0, {"error": {"code": type(error).__name__}}
        try:
            return response.status, json.loads(raw) if raw else {}
        except ValueError:
            return response.status, {"error": {"code": "not_json"}}


def _code(answer: dict[str, Any]) -> str:
    error = answer.get("error")
    return str(error.get("code", "?")) if isinstance(error, dict) else "?"


def buy_until(
    shopper: Shopper,
    *,
    address_id: int,
    skus: Sequence[int],
    stop_at: float,
    rng: random.Random,
    stats: RoundStats,
    lock: threading.Lock,
) -> None:
    """Place, start paying and press Pay, again and again until `stop_at`."""
    while time.monotonic() < stop_at:
        items = [
            {"sku_id": sku, "quantity": rng.randint(1, 2)}
            for sku in rng.sample(list(skus), rng.choice([1, 1, 2]))
        ]
        started = time.perf_counter()
        status, order = shopper.post(
            "/api/v1/orders",
            {"items": items, "address_id": address_id},
            key=f"bench-{uuid.uuid4().hex}",
        )
        placed = time.perf_counter()
        if status == 503:  # admission control shed it (with Retry-After): an answer, not a fault
            with lock:
                stats.shed += 1
            continue
        if status != 201:
            with lock:
                stats.errors[f"place {status} {_code(order)}"] += 1
            continue
        number = order["number"]
        status, payment = shopper.post(f"/api/v1/orders/{number}/pay", {}, key=f"pay-{number}")
        paying = time.perf_counter()
        if status != 200:
            with lock:
                if status == 503:
                    stats.shed += 1
                else:
                    stats.errors[f"pay {status} {_code(payment)}"] += 1
            continue
        status, charge = shopper.post(
            f"/api/v1/payments/{payment['payment_id']}/test-gateway/complete",
            {"outcome": "pay"},
            key=f"press-{number}",
        )
        pressed = time.perf_counter()
        with lock:
            if status == 503:
                stats.shed += 1
                continue
            if status != 200 or charge.get("status") != "succeeded":
                stats.errors[f"press {status} {charge.get('status') or _code(charge)}"] += 1
                continue
            stats.place_ms.append((placed - started) * 1000)
            stats.pay_ms.append((paying - placed) * 1000)
            stats.press_ms.append((pressed - paying) * 1000)
            if time.monotonic() <= stop_at:
                stats.orders += 1
                stats.flow_ms.append((pressed - started) * 1000)
            stats.numbers.append(number)


def _self_ticks() -> int:
    times = os.times()
    return round((times.user + times.system) * http_floor.CLOCK_TICKS)


def run_checkout(
    *, port: int, seed: dict[str, Any], seconds: float, groups: Sequence[int], seed_value: int
) -> RoundStats:
    """All buyers at once for `seconds`; CPU shares of the driver (this process) and of
    processes other than the server, the worker and the driver."""
    stats = RoundStats(seconds=seconds)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=buy_until,
            args=(Shopper(port, buyer["token"]),),
            kwargs={
                "address_id": buyer["address_id"],
                "skus": seed["skus"],
                "stop_at": stop_at,
                "rng": random.Random(seed_value * 1000 + index),
                "stats": stats,
                "lock": lock,
            },
        )
        for index, buyer in enumerate(seed["buyers"])
    ]

    def sample() -> tuple[float, int, int, int]:
        ours = sum(http_floor._process_group_ticks(group) for group in groups)
        return time.monotonic(), http_floor._machine_busy_ticks(), ours, _self_ticks()

    before = sample()
    stats.started_at = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats.ended_at = time.time()
    after = sample()
    capacity = (after[0] - before[0]) * http_floor.CLOCK_TICKS * len(os.sched_getaffinity(0))
    driver = after[3] - before[3]
    others = (after[1] - before[1]) - (after[2] - before[2]) - driver
    stats.foreign_cpu_share = max(0.0, others / capacity)
    stats.driver_cpu_share = driver / capacity
    return stats


def drain(
    stats: RoundStats,
    *,
    environment: Mapping[str, str],
    work_dir: Path,
    seconds: float,
) -> None:
    """Wait for the worker to mark every order of the round paid (webhook → outbox → order)."""
    orders_file = work_dir / "round-orders.json"
    orders_file.write_text(json.dumps(stats.numbers))
    env = dict(
        environment,
        BENCH_ORDERS_FILE=str(orders_file),
        BENCH_DRAIN_SECONDS=str(max(seconds, UNPAID_CHECK_SECONDS + 1)),
        BENCH_ROUND_START=repr(stats.started_at),
        BENCH_ROUND_END=repr(stats.ended_at),
        BENCH_UNPAID_CHECK_SECONDS=repr(UNPAID_CHECK_SECONDS),
    )
    shell = http_floor.circlemart(["shell", "-c", DRAIN_SNIPPET], environment=env, cwd=work_dir)
    line = next(x for x in shell.stdout.splitlines() if x.startswith("DRAIN="))
    result = json.loads(line.removeprefix("DRAIN="))
    stats.unpaid_after_drain = result["left"]
    stats.unpaid_after_check = result["left_at_check"]
    stats.drain_seconds = max(0.0, result["done"] - stats.ended_at)
    stats.last_paid_after_round = max(0.0, result["last_paid"] - stats.ended_at)
    stats.paid_in_round = result["paid_in_round"]
    stats.paid_lag_ms = [lag * 1000 for lag in result["lags"]]


# --- Setup ---------------------------------------------------------------------------------------


def seed_world(
    *, environment: Mapping[str, str], work_dir: Path, buyers: int, skus: int
) -> dict[str, Any]:
    snippet = SEED_SNIPPET.format(
        skus=skus, stock=10_000_000, buyers=buyers, password=BUYER_PASSWORD
    )
    shell = http_floor.circlemart(["shell", "-c", snippet], environment=environment, cwd=work_dir)
    for line in shell.stdout.splitlines():
        if line.startswith("SEED="):
            return dict(json.loads(line.removeprefix("SEED=")))
    raise http_floor.BenchmarkError(f"no SEED line in `circlemart shell`:\n{shell.stdout}")


class RunningWorker:
    """`circlemart worker` on the embedded broker of the data dir, as `circlemart serve` runs it."""

    def __init__(self, *, environment: Mapping[str, str], work_dir: Path) -> None:
        self.log_path = work_dir / "worker.log"
        command = [sys.executable, "-m", "circlemart.config.cli", "worker", "--loglevel", "WARNING"]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                env=dict(environment),
                cwd=work_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=http_floor.SERVER_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


# --- Report --------------------------------------------------------------------------------------


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def build_rows(report: load.Report, rounds: Sequence[RoundStats]) -> list[Row]:
    """The checkout rows beside the harness's /hello and /me capacities of the same run."""
    hello_rate = report.floor.capacity
    orders_rate = _median([r.orders / r.seconds for r in rounds])
    paid_rate = _median([r.paid_in_round / r.seconds for r in rounds])
    every = {
        name: [value for r in rounds for value in getattr(r, name)]
        for name in ("flow_ms", "place_ms", "pay_ms", "press_ms", "paid_lag_ms")
    }
    foreign = max(r.foreign_cpu_share for r in rounds)
    rows = [
        Row("hello (capacity, harness)", hello_rate, "req/s", nan, nan, 1.0, nan),
        *(
            Row(
                f"{target.name} (capacity, harness)",
                target.capacity,
                "req/s",
                nan,
                nan,
                target.ratio_to_floor,
                nan,
            )
            for target in report.targets
        ),
        Row(
            "checkout: place + pay + press",
            orders_rate,
            "orders/s",
            percentile(every["flow_ms"], 0.5),
            percentile(every["flow_ms"], 0.99),
            3 * orders_rate / hello_rate,
            foreign,
            "3 requests per order",
        ),
    ]
    for label, name in (
        ("  POST /api/v1/orders", "place_ms"),
        ("  POST /orders/{n}/pay", "pay_ms"),
        ("  POST …/test-gateway/complete", "press_ms"),
    ):
        rows.append(
            Row(
                label,
                orders_rate,
                "req/s",
                percentile(every[name], 0.5),
                percentile(every[name], 0.99),
                orders_rate / hello_rate,
                foreign,
            )
        )
    unpaid_check = sum(r.unpaid_after_check for r in rounds)
    unpaid = sum(r.unpaid_after_drain for r in rounds)
    last = max(r.last_paid_after_round for r in rounds)
    rows.append(
        Row(
            "worker: paid while buying",
            paid_rate,
            "orders/s",
            percentile(every["paid_lag_ms"], 0.5),
            percentile(every["paid_lag_ms"], 0.99),
            nan,
            foreign,
            f"{'≥' if paid_rate >= orders_rate else '<'} placed; {unpaid_check} unpaid"
            f" {UNPAID_CHECK_SECONDS:.0f} s after the load"
            + (f", {unpaid} after the drain" if unpaid else f"; last paid +{last:.1f} s"),
        )
    )
    return rows


def format_rows(rows: Sequence[Row]) -> str:
    header = ("row", "rate", "unit", "p50 ms", "p99 ms", "vs hello", "others' CPU", "note")
    cells = [
        (
            row.name,
            f"{row.rate:,.1f}",
            row.unit,
            "" if isnan(row.p50_ms) else f"{row.p50_ms:,.1f}",
            "" if isnan(row.p99_ms) else f"{row.p99_ms:,.1f}",
            "" if isnan(row.ratio_to_floor) else f"{row.ratio_to_floor:.3f}",
            "" if isnan(row.foreign_cpu_share) else f"{row.foreign_cpu_share:.0%}",
            row.note,
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in (header, *cells)) for i in range(len(header))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            value.ljust(width) if i in (0, 2, 7) else value.rjust(width)
            for i, (value, width) in enumerate(zip(values, widths, strict=True))
        )

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, cells)])


# --- Main ----------------------------------------------------------------------------------------


@contextmanager
def work_directory(*, keep: bool) -> Iterator[Path]:
    if not keep:
        with tempfile.TemporaryDirectory(prefix="circlemart-checkout-") as temporary:
            yield Path(temporary)
        return
    kept = ROOT / "var" / "bench" / f"checkout-{time.strftime('%Y%m%d-%H%M%S')}"
    kept.mkdir(parents=True)
    print(f"work dir (kept): {kept}")
    yield kept


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    load.add_common_arguments(parser)
    parser.add_argument("--buyers", type=int, help="concurrent buyers [16; --quick 4]")
    parser.add_argument(
        "--checkout-duration", type=int, help="seconds per checkout round [20; --quick 3]"
    )
    parser.add_argument("--skus", type=int, default=20, help="SKUs the buyers choose from [20]")
    parser.add_argument(
        "--broker-url",
        default=None,
        help="the worker's broker (e.g. amqp://guest:guest@127.0.0.1:5672//); default: the"
        " embedded broker in the data dir, as `circlemart serve` runs it",
    )
    parser.add_argument(
        "--worker-concurrency", type=int, help="worker processes [WORKER_CONCURRENCY]"
    )
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=60.0,
        help="after each round, wait this long at most for the worker to pay its orders [60]",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work dir (logs) under var/bench/"
    )
    arguments = parser.parse_args(argv)
    if arguments.buyers is None:
        arguments.buyers = 4 if arguments.quick else 16
    if min(arguments.buyers, arguments.skus) < 1:
        parser.error("--buyers and --skus must be at least 1")
    if arguments.checkout_duration is None:
        arguments.checkout_duration = 5 if arguments.quick else 20
    return arguments


def run(arguments: argparse.Namespace) -> tuple[load.Report, list[RoundStats]]:
    options = load.options_from_arguments(arguments)
    kind = load.server_kind(arguments)
    facts = http_floor.machine_facts(
        database_url=arguments.database_url, redis_url=arguments.redis_url
    )
    print("machine: " + ", ".join(f"{name} {value}" for name, value in facts.items()))
    broker = "RabbitMQ/other: " + arguments.broker_url if arguments.broker_url else "embedded"
    print(
        f"load: {arguments.buyers} buyers (threads of this process, one keep-alive connection"
        f" each), {options.rounds} rounds of {arguments.checkout_duration} s after the harness"
        f" measured /hello and /api/v1/me; {kind.label}, {arguments.workers} workers; the"
        f" worker ({broker} broker) and the driver share the machine",
        flush=True,
    )
    rounds: list[RoundStats] = []
    with work_directory(keep=arguments.keep) as work_dir:
        environment = http_floor.child_environment(
            data_dir=work_dir / "data",
            database_url=arguments.database_url,
            redis_url=arguments.redis_url,
        )
        environment.pop("CELERY_BROKER_URL", None)  # the embedded broker in the data dir
        if arguments.broker_url:
            environment["CELERY_BROKER_URL"] = arguments.broker_url
        if arguments.worker_concurrency:
            environment["WORKER_CONCURRENCY"] = str(arguments.worker_concurrency)
        environment["PAYMENTS_TEST_MODE"] = "1"
        print("setup: migrate, collectstatic, buyers with addresses and tokens, SKUs", flush=True)
        access_token = http_floor.prepare_data(environment=environment, cwd=work_dir)
        seed = seed_world(
            environment=environment, work_dir=work_dir, buyers=arguments.buyers, skus=arguments.skus
        )
        server = http_floor.RunningServer(
            kind, workers=arguments.workers, environment=environment, work_dir=work_dir
        )
        worker_environment = dict(environment, SITE_URL=server.base_url)
        worker = RunningWorker(environment=worker_environment, work_dir=work_dir)
        try:
            server.wait_until_ready()
            me = load.Target(
                "me",
                "/api/v1/me",
                headers={"Authorization": f"Bearer {access_token}"},
                check=lambda body: json.loads(body)["id"] > 0,
            )
            report = load.measure(
                server.base_url,
                [me],
                options=options,
                server=server,
                bench="checkout",
                server_label=kind.label,
                machine=facts,
            )
            groups = [server.process.pid, worker.process.pid]
            if options.warmup > 0:
                warm = run_checkout(
                    port=server.port,
                    seed=seed,
                    seconds=options.warmup,
                    groups=groups,
                    seed_value=arguments.seed + 1000,
                )
                drain(
                    warm,
                    environment=worker_environment,
                    work_dir=work_dir,
                    seconds=arguments.drain_seconds,
                )
            for number in range(1, options.rounds + 1):
                stats = run_checkout(
                    port=server.port,
                    seed=seed,
                    seconds=arguments.checkout_duration,
                    groups=groups,
                    seed_value=arguments.seed + number,
                )
                drain(
                    stats,
                    environment=worker_environment,
                    work_dir=work_dir,
                    seconds=arguments.drain_seconds,
                )
                rounds.append(stats)
                print(
                    f"  round {number} checkout: placed {stats.orders / stats.seconds:,.1f}"
                    f" orders/s, paid {stats.paid_in_round / stats.seconds:,.1f} orders/s while"
                    f" buying; errors {dict(stats.errors) or 0}, shed {stats.shed}; unpaid"
                    f" {UNPAID_CHECK_SECONDS:.0f} s after the round:"
                    f" {stats.unpaid_after_check}/{len(stats.numbers)}; last paid"
                    f" +{stats.last_paid_after_round:.1f} s; driver"
                    f" {stats.driver_cpu_share:.0%} of the CPU",
                    flush=True,
                )
        finally:
            worker.stop()
            server.stop()
    return report, rounds


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if shutil.which(http_floor.WRK) is None:
        print("wrk is not installed: `apt-get install -y wrk`, then run again.", file=sys.stderr)
        return 2
    try:
        report, rounds = run(arguments)
    except http_floor.BenchmarkError as error:
        print(f"\nBENCHMARK FAILED: {error}", file=sys.stderr)
        return 1

    load.print_report(report)
    rows = build_rows(report, rounds)
    print()
    print(format_rows(rows))
    errors = sum((r.errors for r in rounds), Counter())
    attempts = sum(len(r.numbers) for r in rounds) + sum(errors.values())
    print(f"\nerrors: {dict(errors) or 'none'} (of about {attempts} checkouts)")
    unpaid = sum(r.unpaid_after_drain for r in rounds)
    if unpaid:
        print(
            f"WARNING: {unpaid} orders were still unpaid {arguments.drain_seconds:.0f} s after"
            " their round"
        )
    report.extra["checkout"] = {
        "arguments": {
            name: str(getattr(arguments, name))
            for name in ("buyers", "checkout_duration", "skus", "drain_seconds", "quick")
        },
        "broker": "external" if arguments.broker_url else "embedded",
        "rows": [asdict(row) for row in rows],
        "errors": dict(errors),
        "rounds": [
            {
                "orders": r.orders,
                "placed": len(r.numbers),
                "shed": r.shed,
                "seconds": r.seconds,
                "paid_in_round": r.paid_in_round,
                "unpaid_after_check": r.unpaid_after_check,
                "unpaid_after_drain": r.unpaid_after_drain,
                "last_paid_after_round": r.last_paid_after_round,
                "drain_seconds": r.drain_seconds,
                "foreign_cpu_share": r.foreign_cpu_share,
                "driver_cpu_share": r.driver_cpu_share,
            }
            for r in rounds
        ],
    }
    if arguments.json:
        load.write_json(report, arguments.json)
    # Correctness, never speed: every checkout answered as it should and every order got paid.
    if errors or unpaid or not sum(r.orders for r in rounds):
        print("CHECKOUT BENCH FAILED: errors, no orders, or orders left unpaid", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
