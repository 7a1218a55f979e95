"""Checkout benchmark: orders/s for place + pay over HTTP with N concurrent buyers on PostgreSQL,
beside the /hello floor and the /api/v1/me signed-in read measured in the same run.

Each buyer is a thread with its own keep-alive connection and bearer token. One order is the
shopper's three requests: POST /api/v1/orders (Idempotency-Key, 1-2 random SKUs), POST
/api/v1/orders/{n}/pay (the test gateway opens a charge) and POST
/api/v1/payments/{id}/test-gateway/complete (the buyer presses Pay; PAYMENTS_TEST_MODE=1). The
background worker `circlemart serve` starts beside the web server (embedded broker) then
delivers the signed webhook over HTTP, relays PaymentCaptured and marks the order paid; after
each round the script waits for that and reports how far the worker lagged behind.

    createdb -h 127.0.0.1 -U postgres checkout_bench
    .venv/bin/python bench/checkout.py --database-url postgres://postgres@127.0.0.1/checkout_bench
    .venv/bin/python bench/checkout.py --buyers 32 --rounds 3 --server asgi --json var/co.json
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import http_floor  # noqa: E402  (a sibling script, not a package)

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

# Waits until the worker has paid the round's orders; reports when, and each order's lag.
DRAIN_SNIPPET = """
import json, os, time
from circlemart.orders.models import Order
numbers = json.loads(open(os.environ["BENCH_ORDERS_FILE"]).read())
deadline = time.monotonic() + float(os.environ["BENCH_DRAIN_SECONDS"])
while True:
    left = Order.objects.filter(number__in=numbers).exclude(status="paid").count()
    if not left or time.monotonic() > deadline:
        break
    time.sleep(0.25)
done = time.time()
lags = [(paid - placed).total_seconds() for placed, paid in Order.objects.filter(
    number__in=numbers, status="paid").values_list("placed_at", "paid_at")]
print("DRAIN=" + json.dumps({"left": left, "done": done, "lags": lags}))
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
        if status != 201:
            with lock:
                stats.errors[f"place {status} {_code(order)}"] += 1
            continue
        number = order["number"]
        status, payment = shopper.post(f"/api/v1/orders/{number}/pay", {}, key=f"pay-{number}")
        paying = time.perf_counter()
        if status != 200:
            with lock:
                stats.errors[f"pay {status} {_code(payment)}"] += 1
            continue
        status, charge = shopper.post(
            f"/api/v1/payments/{payment['payment_id']}/test-gateway/complete",
            {"outcome": "pay"},
            key=f"press-{number}",
        )
        pressed = time.perf_counter()
        with lock:
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
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
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
    round_end: float,
    seconds: float,
) -> None:
    """Wait for the worker to mark every order of the round paid (webhook → outbox → order)."""
    orders_file = work_dir / "round-orders.json"
    orders_file.write_text(json.dumps(stats.numbers))
    env = dict(environment, BENCH_ORDERS_FILE=str(orders_file), BENCH_DRAIN_SECONDS=str(seconds))
    shell = http_floor.circlemart(["shell", "-c", DRAIN_SNIPPET], environment=env, cwd=work_dir)
    line = next(x for x in shell.stdout.splitlines() if x.startswith("DRAIN="))
    result = json.loads(line.removeprefix("DRAIN="))
    stats.unpaid_after_drain = result["left"]
    stats.drain_seconds = max(0.0, result["done"] - round_end)
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


def build_rows(
    floor: Sequence[http_floor.Round], me: Sequence[http_floor.Round], rounds: Sequence[RoundStats]
) -> list[Row]:
    hello_rate = _median([r.wrk.requests_per_second for r in floor])
    me_rate = _median([r.wrk.requests_per_second for r in me])
    orders_rate = _median([r.orders / r.seconds for r in rounds])
    every = {
        name: [value for r in rounds for value in getattr(r, name)]
        for name in ("flow_ms", "place_ms", "pay_ms", "press_ms", "paid_lag_ms")
    }
    foreign = max(r.foreign_cpu_share for r in rounds)
    drains = [r.drain_seconds for r in rounds if r.drain_seconds is not None]
    rows = [
        Row(
            "hello",
            hello_rate,
            "req/s",
            _median([r.wrk.p50_ms for r in floor]),
            _median([r.wrk.p99_ms for r in floor]),
            1.0,
            max(r.foreign_cpu_share for r in floor),
        ),
        Row(
            "me (signed-in GET)",
            me_rate,
            "req/s",
            _median([r.wrk.p50_ms for r in me]),
            _median([r.wrk.p99_ms for r in me]),
            me_rate / hello_rate,
            max(r.foreign_cpu_share for r in me),
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
        Row(
            "  POST /api/v1/orders",
            orders_rate,
            "req/s",
            percentile(every["place_ms"], 0.5),
            percentile(every["place_ms"], 0.99),
            orders_rate / hello_rate,
            foreign,
        ),
        Row(
            "  POST /orders/{n}/pay",
            orders_rate,
            "req/s",
            percentile(every["pay_ms"], 0.5),
            percentile(every["pay_ms"], 0.99),
            orders_rate / hello_rate,
            foreign,
        ),
        Row(
            "  POST …/test-gateway/complete",
            orders_rate,
            "req/s",
            percentile(every["press_ms"], 0.5),
            percentile(every["press_ms"], 0.99),
            orders_rate / hello_rate,
            foreign,
        ),
    ]
    if drains:
        rows.append(
            Row(
                "worker: placed → paid",
                sum(len(r.paid_lag_ms) for r in rounds)
                / sum(r.seconds + (r.drain_seconds or 0) for r in rounds),
                "orders/s",
                percentile(every["paid_lag_ms"], 0.5),
                percentile(every["paid_lag_ms"], 0.99),
                float("nan"),
                foreign,
                (
                    f"{unpaid} still unpaid {max(drains):.0f} s after their round"
                    if (unpaid := sum(r.unpaid_after_drain for r in rounds))
                    else f"all paid within {max(drains):.1f} s of their round"
                ),
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
            f"{row.p50_ms:,.1f}",
            f"{row.p99_ms:,.1f}",
            "" if row.ratio_to_floor != row.ratio_to_floor else f"{row.ratio_to_floor:.3f}",
            f"{row.foreign_cpu_share:.0%}",
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
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or None,
        help="PostgreSQL (default: $DATABASE_URL)",
    )
    parser.add_argument("--buyers", type=int, default=16, help="concurrent buyers [16]")
    parser.add_argument("--duration", type=int, default=20, help="seconds per round [20]")
    parser.add_argument(
        "--rounds", type=int, default=2, help="interleaved hello/me/checkout rounds [2]"
    )
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured seconds first [3]")
    parser.add_argument("--skus", type=int, default=20, help="SKUs the buyers choose from [20]")
    parser.add_argument("--server", choices=["sync", "asgi"], default="sync", help="[sync]")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers [2]")
    parser.add_argument("--wsgi-threads", type=int, default=4, help="threads per worker [4]")
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=60.0,
        help="after each round, wait this long at most for the worker to pay its orders [60]",
    )
    parser.add_argument("--seed", type=int, default=7, help="the buyers' random choices [7]")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    parser.add_argument(
        "--keep", action="store_true", help="keep the work dir (logs) under var/bench/"
    )
    arguments = parser.parse_args(argv)
    if not (arguments.database_url or "").startswith("postgres"):
        parser.error("--database-url (or $DATABASE_URL) must point at PostgreSQL")
    if min(arguments.buyers, arguments.duration, arguments.rounds, arguments.skus) < 1:
        parser.error("--buyers, --duration, --rounds and --skus must be at least 1")
    if arguments.buyers < http_floor.WRK_THREADS:
        parser.error(f"the floor needs at least {http_floor.WRK_THREADS} buyers (wrk threads)")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if shutil.which(http_floor.WRK) is None:
        print("wrk is not installed: `apt-get install -y wrk`, then run again.", file=sys.stderr)
        return 2
    kind = http_floor.server_kinds(wsgi_threads=arguments.wsgi_threads)[arguments.server]
    facts = http_floor.machine_facts(database_url=arguments.database_url, redis_url=None)
    print("machine: " + ", ".join(f"{name} {value}" for name, value in facts.items()))
    print(
        f"load: {arguments.buyers} buyers (threads of this process, one keep-alive connection"
        f" each), {arguments.rounds} rounds of {arguments.duration} s, interleaved with wrk on"
        f" /hello and /api/v1/me at {arguments.buyers} connections; {kind.label},"
        f" {arguments.workers} workers; the worker and the driver share the machine"
    )
    floor: list[http_floor.Round] = []
    me: list[http_floor.Round] = []
    rounds: list[RoundStats] = []
    try:
        with work_directory(keep=arguments.keep) as work_dir:
            environment = http_floor.child_environment(
                data_dir=work_dir / "data", database_url=arguments.database_url, redis_url=None
            )
            environment.pop("CELERY_BROKER_URL", None)  # the embedded broker in the data dir
            environment["PAYMENTS_TEST_MODE"] = "1"
            print(
                "setup: migrate, collectstatic, buyers with addresses and tokens, SKUs", flush=True
            )
            access_token = http_floor.prepare_data(environment=environment, cwd=work_dir)
            seed = seed_world(
                environment=environment,
                work_dir=work_dir,
                buyers=arguments.buyers,
                skus=arguments.skus,
            )
            server = http_floor.RunningServer(
                kind, workers=arguments.workers, environment=environment, work_dir=work_dir
            )
            worker_environment = dict(environment, SITE_URL=server.base_url)
            worker = RunningWorker(environment=worker_environment, work_dir=work_dir)
            try:
                server.wait_until_ready()
                hello, signed_in = http_floor.benchmark_endpoints(access_token=access_token)
                for endpoint in (hello, signed_in):
                    http_floor.check_endpoint(server.base_url, endpoint)
                groups = [server.process.pid, worker.process.pid]
                if arguments.warmup > 0:
                    for endpoint in (hello, signed_in):
                        http_floor.run_wrk(
                            server.base_url + endpoint.path,
                            endpoint,
                            seconds=arguments.warmup,
                            connections=arguments.buyers,
                        )
                    warm = run_checkout(
                        port=server.port,
                        seed=seed,
                        seconds=arguments.warmup,
                        groups=groups,
                        seed_value=arguments.seed + 1000,
                    )
                    drain(
                        warm,
                        environment=worker_environment,
                        work_dir=work_dir,
                        round_end=time.time(),
                        seconds=arguments.drain_seconds,
                    )
                for number in range(1, arguments.rounds + 1):
                    for endpoint, results in ((hello, floor), (signed_in, me)):
                        with http_floor.ForeignCpu(server_group=server.process.pid) as foreign:
                            result = http_floor.run_wrk(
                                server.base_url + endpoint.path,
                                endpoint,
                                seconds=arguments.duration,
                                connections=arguments.buyers,
                            )
                        results.append(http_floor.Round(result, foreign.share))
                        print(
                            f"  round {number} {endpoint.path}:"
                            f" {result.requests_per_second:,.0f} req/s",
                            flush=True,
                        )
                    stats = run_checkout(
                        port=server.port,
                        seed=seed,
                        seconds=arguments.duration,
                        groups=groups,
                        seed_value=arguments.seed + number,
                    )
                    round_end = time.time()
                    drain(
                        stats,
                        environment=worker_environment,
                        work_dir=work_dir,
                        round_end=round_end,
                        seconds=arguments.drain_seconds,
                    )
                    rounds.append(stats)
                    print(
                        f"  round {number} checkout: {stats.orders / stats.seconds:,.1f} orders/s,"
                        f" errors {dict(stats.errors) or 0}; the worker had paid"
                        f" {len(stats.numbers) - stats.unpaid_after_drain}/{len(stats.numbers)}"
                        f" {stats.drain_seconds:.1f} s after the round; driver"
                        f" {stats.driver_cpu_share:.0%} of the CPU",
                        flush=True,
                    )
            finally:
                worker.stop()
                server.stop()
    except http_floor.BenchmarkError as error:
        print(f"\nBENCHMARK FAILED: {error}", file=sys.stderr)
        return 1

    rows = build_rows(floor, me, rounds)
    print()
    print(format_rows(rows))
    errors = sum((r.errors for r in rounds), Counter())
    attempts = sum(r.orders for r in rounds) + sum(errors.values())
    print(f"\nerrors: {dict(errors) or 'none'} (of about {attempts} checkouts)")
    unpaid = sum(r.unpaid_after_drain for r in rounds)
    if unpaid:
        print(
            f"WARNING: {unpaid} orders were still unpaid {arguments.drain_seconds:.0f} s after"
            " their round"
        )
    if arguments.json:
        document = {
            "machine": facts,
            "arguments": {k: str(v) for k, v in vars(arguments).items() if k != "database_url"},
            "rows": [asdict(row) for row in rows],
            "errors": dict(errors),
            "rounds": [
                {
                    "orders": r.orders,
                    "seconds": r.seconds,
                    "drain_seconds": r.drain_seconds,
                    "unpaid_after_drain": r.unpaid_after_drain,
                    "foreign_cpu_share": r.foreign_cpu_share,
                    "driver_cpu_share": r.driver_cpu_share,
                }
                for r in rounds
            ],
        }
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps(document, indent=2) + "\n")
        print(f"wrote {arguments.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
