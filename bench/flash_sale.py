"""Flash-sale benchmark: the flash-buy endpoint with Redis against the DB-only path, the bare
/hello floor and the Lua script on its own (the physical floor), in one run, then a check that
nothing was oversold.

    createdb -h 127.0.0.1 -U postgres flash_bench
    .venv/bin/python bench/flash_sale.py --database-url postgres://postgres@127.0.0.1/flash_bench
    .venv/bin/python bench/flash_sale.py --duration 20 --connections 256 --json var/flash.json

(a) redis-benchmark EVALSHA on the same TAKE script the server runs (50 clients) and a raw
    redis-py loop (one client), against keys loaded as for a real item;
(b) POST /api/v1/promotions/flash/{id}/buy under wrk (a Lua script rotating bearer tokens and
    Idempotency-Keys, JSON bodies) on a server with REDIS_URL: the sold-out phase (an item whose
    100 units were bought through the service before the run, so every attempt is refused —
    most of a real flash sale) and the buying phase (an item with a million units and a high
    limit: every attempt writes an order and opens its payment);
(c) the same two phases on a second server without REDIS_URL (the DB-only path);
(d) on the Redis server, through the shared harness (bench/load.py): capacity of GET /hello,
GET /api/v1/me and the sold-out refusal, then their open-loop latency (Poisson arrivals at
25/50/75 % of each one's capacity); the refusal's ratio to /hello is the issue's figure.
Both servers run what `circlemart serve` runs (--server, default WSGI), on one PostgreSQL
database. `--quick` (CI) runs every phase for a second with a few buyers and checks answers
and zero oversell, never speed. The Redis database given by --redis-url has its flash keys
deleted first.
After the runs: zero oversell checked in the database (and against Redis), and the
idempotency records each item's buy path holds counted (refusals should have written none).
The servers run the code of the tree this script sits in (its src/ on PYTHONPATH), so a copy
of the project with other sources can be measured beside this one in the same conditions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

import http_floor  # noqa: E402  (a sibling script, not a package)
import load  # noqa: E402

SOLD_OUT_UNITS = 100
BUY_PHASE_UNITS = 1_000_000
BUY_PHASE_LIMIT = 30_000
SETTLE_TOKEN = [""]  # the /api/v1/me token, set once the data is prepared

SEED_SNIPPET = """
import json, uuid
from datetime import timedelta
from circlemart.accounts import services as accounts
from circlemart.accounts.models import User
from circlemart.catalog import services as catalog
from circlemart.core import clock
from circlemart.promotions.flash.models import FlashItem, FlashSession
run = uuid.uuid4().hex[:8]
category = catalog.category_create(name="秒杀基准", name_en="Flash bench", slug=f"flash-{{run}}")
now = clock.now()
session = FlashSession.objects.create(
    name="基准秒杀", starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=3))
items = {{}}
plans = {plans!r}
for index, (name, units, limit) in enumerate(plans):
    product = catalog.product_create(data=catalog.ProductInput(
        code=f"F{{run}}{{index:02d}}", title=f"秒杀商品 {{name}}", title_en=f"Flash {{name}}",
        category_id=category.pk, status="on_sale",
        skus=[catalog.SkuInput(code=f"F{{run}}{{index:02d}}-0", price=9900,
                               options={{"颜色": "黑"}}, stock=units * 2 + 1000)]))
    items[name] = FlashItem.objects.create(
        session=session, sku=product.skus.get(), flash_price=4900, flash_stock=units,
        per_user_limit=limit).pk
buyers, user_ids = [], []
for index in range({users}):
    user = User(email=f"flash-{{run}}-{{index}}@example.com", nickname="flash")
    user.set_unusable_password()
    user.save()
    address = accounts.address_create(user=user, data=accounts.AddressInput(
        recipient="张三", phone="13800138000", province="上海", city="上海市",
        detail="人民路 1 号"))
    buyers.append([accounts.token_pair_issue(user=user).access_token, address.pk])
    user_ids.append(user.pk)
# The sold-out items are sold out before the run, through the service a buyer uses: the
# measurement then sees only the refusals that make up most of a real flash sale.
from django.conf import settings
from circlemart.promotions.flash import services as flash_services
for name in ("sold-out-redis", "sold-out-db"):
    settings.PROMOTIONS_FLASH_BACKEND = "auto" if name.endswith("redis") else "db"
    for index in range({sold_out_units}):
        user_token, address_id = buyers[index]
        flash_services.flash_buy(
            buyer_id=user_ids[index],
            item_id=items[name], quantity=1, address_id=address_id,
            idempotency_key=f"presell-{{index}}")
settings.PROMOTIONS_FLASH_BACKEND = "auto"
print("SEED=" + json.dumps({{"items": items, "buyers": buyers}}))
"""

# Zero oversell, checked in the database (and against Redis for the Redis server's items).
CHECK_SNIPPET = """
import json
from collections import Counter
from django.db.models import Sum
from circlemart.promotions.flash import store as flash_store
from circlemart.promotions.flash.models import FlashBuyer, FlashItem, FlashPurchase
from circlemart.orders.models import Order
from circlemart.core.models import IdempotencyRecord
report = {{}}
for name, item_id in {items!r}.items():
    item = FlashItem.objects.get(pk=item_id)
    active = FlashPurchase.objects.filter(item=item, status__in=["held", "paid"])
    units = active.aggregate(units=Sum("quantity"))["units"] or 0
    per_buyer = Counter()
    for buyer_id, quantity in active.values_list("buyer_id", "quantity"):
        per_buyer[buyer_id] += quantity
    numbers = list(active.values_list("order_number", flat=True))
    orders = Order.objects.filter(number__in=numbers).count()
    redis_left = None
    if flash_store.is_enabled():
        redis_left, _buyers = flash_store.snapshot(item.pk)
    report[name] = {{
        "flash_stock": item.flash_stock, "sold": item.sold, "purchased_units": units,
        "orders": orders, "max_per_buyer": max(per_buyer.values(), default=0),
        "limit": item.per_user_limit, "redis_left": redis_left,
        "buyer_rows_agree": all(
            per_buyer.get(b, 0) == t
            for b, t in FlashBuyer.objects.filter(item=item).values_list("buyer_id", "taken")),
        # rows the HTTP runs wrote for their Idempotency-Keys (not a check: what it cost)
        "idempotency_records": IdempotencyRecord.objects.filter(
            path=f"/api/v1/promotions/flash/{{item_id}}/buy").count(),
    }}
print("CHECK=" + json.dumps(report))
"""

WRK_SCRIPT = """
local buyers = {buyers}
local path = "{path}"
local run = "{run}"
local threads = {{}}
local counter = 0
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  s2xx, s409, s429, s4xx, s5xx = 0, 0, 0, 0, 0
end
function request()
  counter = counter + 1
  local buyer = buyers[(counter * 7919 + tid * 104729) % #buyers + 1]
  return wrk.format("POST", path, {{
    ["Authorization"] = "Bearer " .. buyer[1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = run .. "-" .. tid .. "-" .. counter,
  }}, '{{"quantity":1,"address_id":' .. buyer[2] .. '}}')
end
function response(status, headers, body)
  if status < 300 then s2xx = s2xx + 1
  elseif status == 409 then s409 = s409 + 1
  elseif status == 429 then s429 = s429 + 1
  elseif status < 500 then s4xx = s4xx + 1
  else s5xx = s5xx + 1 end
end
function done(summary, latency, requests)
  local totals = {{s2xx = 0, s409 = 0, s429 = 0, s4xx = 0, s5xx = 0}}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do totals[name] = totals[name] + thread:get(name) end
  end
  io.write(string.format("STATUSES 2xx=%d 409=%d 429=%d 4xx=%d 5xx=%d\\n",
    totals.s2xx, totals.s409, totals.s429, totals.s4xx, totals.s5xx))
end
"""


@dataclass(frozen=True)
class Row:
    name: str
    what: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    statuses: dict[str, int]
    socket_errors: int
    foreign_cpu_share: float


def seed(*, environment: Mapping[str, str], cwd: Path, users: int) -> dict[str, Any]:
    plans = [
        ("warmup-redis", 50, 1),
        ("sold-out-redis", SOLD_OUT_UNITS, 1),
        ("buying-redis", BUY_PHASE_UNITS, BUY_PHASE_LIMIT),
        ("warmup-db", 50, 1),
        ("sold-out-db", SOLD_OUT_UNITS, 1),
        ("buying-db", BUY_PHASE_UNITS, BUY_PHASE_LIMIT),
    ]
    snippet = SEED_SNIPPET.format(plans=plans, users=users, sold_out_units=SOLD_OUT_UNITS)
    shell = http_floor.circlemart(["shell", "-c", snippet], environment=environment, cwd=cwd)
    for line in shell.stdout.splitlines():
        if line.startswith("SEED="):
            return dict(json.loads(line.removeprefix("SEED=")))
    raise http_floor.BenchmarkError(f"no SEED line in:\n{shell.stdout}\n{shell.stderr}")


def wrk_post(
    base_url: str,
    *,
    path: str,
    buyers: list[list[Any]],
    seconds: int,
    connections: int,
    work_dir: Path,
) -> tuple[http_floor.WrkResult, dict[str, int], str]:
    script = work_dir / f"flash-{uuid.uuid4().hex[:8]}.lua"
    lua_buyers = "{" + ",".join(f'{{"{token}",{address}}}' for token, address in buyers) + "}"
    script.write_text(WRK_SCRIPT.format(buyers=lua_buyers, path=path, run=uuid.uuid4().hex[:10]))
    command = [
        http_floor.WRK,
        f"--threads={http_floor.WRK_THREADS}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        "--latency",
        "--script",
        str(script),
        base_url + path,
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=seconds + 120
    )
    if completed.returncode != 0:
        raise http_floor.BenchmarkError(f"wrk exited {completed.returncode}:\n{completed.stderr}")
    match = re.search(
        r"STATUSES 2xx=(\d+) 409=(\d+) 429=(\d+) 4xx=(\d+) 5xx=(\d+)", completed.stdout
    )
    if match is None:
        raise http_floor.BenchmarkError(f"no STATUSES in wrk output:\n{completed.stdout}")
    statuses = dict(zip(("2xx", "409", "429", "4xx", "5xx"), map(int, match.groups()), strict=True))
    return http_floor.parse_wrk(completed.stdout), statuses, completed.stdout


def settle(server: http_floor.RunningServer, *, token: str, limit_seconds: float = 120.0) -> float:
    """Wait until the server has worked off what the last wrk run left queued (wrk stops
    sending, the server does not stop answering): the signed-in /api/v1/me (a sync view, so
    it queues behind sync views as the flash buy does; /hello does not) must answer fast three
    times in a row. Without this a run measures the previous run's backlog."""
    started = time.monotonic()
    fast = 0
    while fast < 3 and time.monotonic() - started < limit_seconds:
        begin = time.monotonic()
        try:
            http_floor.fetch(server.base_url + "/api/v1/me", {"Authorization": f"Bearer {token}"})
        except OSError:
            fast = 0
            continue
        fast = fast + 1 if time.monotonic() - begin < 0.2 else 0
        time.sleep(0.1)
    return time.monotonic() - started


def measure(
    name: str,
    what: str,
    server: http_floor.RunningServer,
    run: Any,
) -> Row:
    waited = settle(server, token=SETTLE_TOKEN[0])
    with http_floor.ForeignCpu(server_group=server.process.pid) as foreign:
        result, statuses = run()
    row = Row(
        name=name,
        what=what,
        requests_per_second=result.requests_per_second,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        requests=result.requests,
        statuses=statuses,
        socket_errors=result.socket_errors,
        foreign_cpu_share=foreign.share,
    )
    print(
        f"  {name}: {row.requests_per_second:,.0f} req/s, p99 {row.p99_ms:.1f} ms, "
        f"statuses {statuses}, socket errors {row.socket_errors}, "
        f"other processes {foreign.share:.0%} (waited {waited:.1f} s for the previous backlog)",
        flush=True,
    )
    return row


# --- (a) the Lua script on its own ---------------------------------------------------------------


def redis_floor(redis_url: str, *, requests: int) -> list[Row]:
    import redis

    from circlemart.promotions.flash import store as flash_store

    client = redis.Redis.from_url(redis_url)
    prefix = f"bench:flash:{uuid.uuid4().hex[:8]}:"
    stock, buyers, meta = (f"{prefix}1:stock", f"{prefix}1:buyers", f"{prefix}1:meta")
    now_ms = int(time.time() * 1000)
    client.set(stock, 10**12)
    client.hset(
        meta, mapping={"starts": 0, "ends": now_ms + 3_600_000, "limit": 10**9, "active": 1}
    )
    sha = client.script_load(flash_store.TAKE_SCRIPT)
    rows = []
    parsed = urlparse_db(redis_url)
    command = [
        "redis-benchmark",
        "-h",
        parsed["host"],
        "-p",
        parsed["port"],
        "--dbnum",
        parsed["db"],
        "-n",
        str(requests),
        "-c",
        "50",
        "-r",
        "100000",
        "EVALSHA",
        sha,
        "3",
        stock,
        buyers,
        meta,
        "__rand_int__",
        "1",
        str(now_ms),
        "1",
    ]
    if shutil.which("redis-benchmark"):
        output = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=300
        ).stdout
        rate = re.search(r"throughput summary: ([\d.]+) requests per second", output)
        latency = re.search(
            r"avg\s+min\s+p50\s+p95\s+p99\s+max\s*\n\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+"
            r"([\d.]+)\s+([\d.]+)",
            output,
        )
        if rate and latency:
            rows.append(
                Row(
                    name="(a) redis-benchmark EVALSHA take",
                    what="50 clients, the TAKE script, random buyers",
                    requests_per_second=float(rate.group(1)),
                    p50_ms=float(latency.group(3)),
                    p99_ms=float(latency.group(5)),
                    requests=requests,
                    statuses={},
                    socket_errors=0,
                    foreign_cpu_share=0.0,
                )
            )
    take = client.register_script(flash_store.TAKE_SCRIPT)
    timings = []
    count = min(requests, 20000)
    started = time.perf_counter()
    for index in range(count):
        begin = time.perf_counter()
        take(keys=[stock, buyers, meta], args=[index, 1, now_ms, 1])
        timings.append((time.perf_counter() - begin) * 1000)
    elapsed = time.perf_counter() - started
    timings.sort()
    rows.append(
        Row(
            name="(a) redis-py loop take",
            what="one client, EVALSHA round trips in sequence",
            requests_per_second=count / elapsed,
            p50_ms=statistics.median(timings),
            p99_ms=timings[int(len(timings) * 0.99) - 1],
            requests=count,
            statuses={},
            socket_errors=0,
            foreign_cpu_share=0.0,
        )
    )
    client.delete(stock, buyers, meta)
    return rows


def urlparse_db(redis_url: str) -> dict[str, str]:
    from urllib.parse import urlparse

    parsed = urlparse(redis_url)
    return {
        "host": parsed.hostname or "127.0.0.1",
        "port": str(parsed.port or 6379),
        "db": (parsed.path or "/0").lstrip("/") or "0",
    }


def forget_flash_keys(redis_url: str) -> int:
    import redis

    client = redis.Redis.from_url(redis_url)
    removed = 0
    for key in client.scan_iter(match="cm:flash:*", count=1000):
        removed += client.delete(key)
    return removed


# --- main ----------------------------------------------------------------------------------------


def phase_runs(
    server: http_floor.RunningServer,
    *,
    label: str,
    items: Mapping[str, int],
    buyers: list[list[Any]],
    arguments: argparse.Namespace,
    work_dir: Path,
) -> list[Row]:
    def post(item_name: str, seconds: int) -> Any:
        def run() -> tuple[http_floor.WrkResult, dict[str, int]]:
            result, statuses, _output = wrk_post(
                server.base_url,
                path=f"/api/v1/promotions/flash/{items[item_name]}/buy",
                buyers=buyers,
                seconds=seconds,
                connections=arguments.connections,
                work_dir=work_dir,
            )
            return result, statuses

        return run

    if arguments.warmup:
        post(f"warmup-{label}", arguments.warmup)()
    letter = "(b)" if label == "redis" else "(c)"
    return [
        measure(
            f"{letter} flash buy, sold-out phase, {label}",
            f"{SOLD_OUT_UNITS} units sold before the run: every attempt is refused",
            server,
            post(f"sold-out-{label}", arguments.duration),
        ),
        measure(
            f"{letter} flash buy, buying phase, {label}",
            "every request writes an order (a million units)",
            server,
            post(f"buying-{label}", arguments.duration),
        ),
    ]


def format_rows(rows: Sequence[Row]) -> str:
    header = ("measurement", "req/s", "p50 ms", "p99 ms", "requests", "statuses")
    body = [
        (
            row.name,
            f"{row.requests_per_second:,.0f}",
            f"{row.p50_ms:.2f}",
            f"{row.p99_ms:.2f}",
            f"{row.requests:,}",
            " ".join(f"{k}:{v}" for k, v in row.statuses.items() if v) or "-",
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(width) if i in (0, 5) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        )
        for line in (header, *body)
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    load.add_common_arguments(parser)
    parser.add_argument(
        "--phase-connections", type=int, default=256, help="wrk connections, buy phases [256]"
    )
    parser.add_argument("--users", type=int, help="buyers with tokens [500; quick 120]")
    parser.add_argument("--redis-requests", type=int, help="Lua floor [200000; quick 2000]")
    arguments = parser.parse_args(argv)
    if arguments.redis_url is None:
        arguments.redis_url = "redis://127.0.0.1:6379/7"
    quick = bool(arguments.quick)
    # more buyers than the sold-out units: the pre-sold ones plus some who never bought
    arguments.users = arguments.users or (SOLD_OUT_UNITS + 20 if quick else 500)
    arguments.redis_requests = arguments.redis_requests or (2000 if quick else 200000)
    if quick:
        arguments.phase_connections = min(arguments.phase_connections, 16)
    return arguments


def _problem_code(body: bytes) -> str:
    answer = json.loads(body)
    return str(answer.get("error", answer).get("code", ""))


def refusal_target(*, item_id: int, buyers: list[list[Any]]) -> load.Target:
    """The sold-out item's buy, as the buyers send it (each with their own key: a refusal
    stores nothing under it, so cycling through them is what fresh keys would cost)."""
    path = f"/api/v1/promotions/flash/{item_id}/buy"
    variants = [
        load.Request(
            path,
            "POST",
            {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"refusal-{index}-{uuid.uuid4().hex[:8]}",
            },
            json.dumps({"quantity": 1, "address_id": address}).encode(),
        )
        for index, (token, address) in enumerate(buyers)
    ]
    return load.Target(
        "flash refusal",
        path,
        method="POST",
        expect_status=409,
        check=lambda body: _problem_code(body) in {"flash_sold_out", "flash_limit_reached"},
        variants=variants,
    )


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if shutil.which(http_floor.WRK) is None:
        print("wrk is not installed: `apt-get install -y wrk`", file=sys.stderr)
        return 2
    options = load.options_from_arguments(arguments)
    phase_seconds = options.duration
    facts = http_floor.machine_facts(
        database_url=arguments.database_url, redis_url=arguments.redis_url
    )
    print("machine: " + ", ".join(f"{name} {value}" for name, value in facts.items()))
    kind = load.server_kind(arguments)
    print(
        f"load: the harness ({options.rounds} rounds x {options.duration} s, "
        f"{options.connections} connections, open loop {options.open_duration} s per point); "
        f"buy phases: wrk {arguments.phase_connections} connections x {phase_seconds} s; "
        f"gunicorn {arguments.workers} workers ({kind.label}); RATELIMIT_ENABLED=0"
    )
    print(f"removed {forget_flash_keys(arguments.redis_url)} stale flash keys from Redis")
    rows: list[Row] = []
    report: load.Report | None = None
    phase_arguments = argparse.Namespace(
        connections=arguments.phase_connections, duration=phase_seconds, warmup=0
    )
    try:
        print("(a) the Lua script alone", flush=True)
        rows += redis_floor(arguments.redis_url, requests=arguments.redis_requests)
        for row in rows:
            print(f"  {row.name}: {row.requests_per_second:,.0f}/s, p99 {row.p99_ms:.2f} ms")
        with tempfile.TemporaryDirectory(prefix="circlemart-flash-bench-") as temporary:
            work_dir = Path(temporary)
            with_redis = http_floor.child_environment(
                data_dir=work_dir / "data",
                database_url=arguments.database_url,
                redis_url=arguments.redis_url,
            )
            # the code of this tree, whichever copy of the project the script runs from
            with_redis["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
            without_redis = {k: v for k, v in with_redis.items() if k != "REDIS_URL"}
            print("setup: migrate, collectstatic, buyers, flash items", flush=True)
            token = http_floor.prepare_data(environment=with_redis, cwd=work_dir)
            SETTLE_TOKEN[0] = token
            seeded = seed(environment=with_redis, cwd=work_dir, users=arguments.users)
            items, buyers = seeded["items"], seeded["buyers"]
            for label, environment in (("redis", with_redis), ("db", without_redis)):
                server = http_floor.RunningServer(
                    kind, workers=arguments.workers, environment=environment, work_dir=work_dir
                )
                try:
                    server.wait_until_ready()
                    if label == "redis":
                        report = load.measure(
                            server.base_url,
                            [
                                load.Target(
                                    "me",
                                    "/api/v1/me",
                                    headers={"Authorization": f"Bearer {token}"},
                                    check=lambda body: json.loads(body)["id"] > 0,
                                ),
                                refusal_target(item_id=items["sold-out-redis"], buyers=buyers),
                            ],
                            options=options,
                            server=server,
                            bench="flash-sale",
                            server_label=kind.label,
                            machine=facts,
                        )
                    rows += phase_runs(
                        server,
                        label=label,
                        items=items,
                        buyers=buyers,
                        arguments=phase_arguments,
                        work_dir=work_dir,
                    )
                finally:
                    server.stop()
            snippet = CHECK_SNIPPET.format(items=items)
            shell = http_floor.circlemart(
                ["shell", "-c", snippet], environment=with_redis, cwd=work_dir
            )
            check = next(
                json.loads(line.removeprefix("CHECK="))
                for line in shell.stdout.splitlines()
                if line.startswith("CHECK=")
            )
    except http_floor.BenchmarkError as error:
        print(f"\nBENCHMARK FAILED: {error}", file=sys.stderr)
        return 1

    assert report is not None  # measured on the Redis server above
    load.print_report(report)
    refusal = next(target for target in report.targets if target.name == "flash refusal")
    print(f"\nsold-out refusal: {refusal.ratio_to_floor:.2f}x /hello in this run (target >= 0.5)\n")
    print(format_rows(rows))
    by_name = {row.name: row for row in rows}
    ratios = {}
    for phase in ("sold-out", "buying"):
        redis_row = by_name[f"(b) flash buy, {phase} phase, redis"]
        db_row = by_name[f"(c) flash buy, {phase} phase, db"]
        ratios[phase] = {
            "redis/db": redis_row.requests_per_second / db_row.requests_per_second
            if db_row.requests_per_second
            else 0.0,
        }
        print(
            f"{phase} phase at {arguments.phase_connections} connections: Redis / DB-only = "
            f"{ratios[phase]['redis/db']:.2f}"
        )
    oversold = False
    print("\nafter the run (database is the truth):")
    for name, facts_of in check.items():
        bad = (
            facts_of["sold"] > facts_of["flash_stock"]
            or facts_of["sold"] != facts_of["purchased_units"]
            or facts_of["max_per_buyer"] > facts_of["limit"]
            or not facts_of["buyer_rows_agree"]
            or (
                facts_of["redis_left"] is not None
                and facts_of["redis_left"] != facts_of["flash_stock"] - facts_of["sold"]
            )
        )
        oversold = oversold or bad
        print(f"  {name}: {facts_of} {'OVERSOLD/DRIFT' if bad else 'ok'}")
    print("zero oversell: " + ("NO" if oversold else "yes"))
    if arguments.json:
        report.extra.update(
            {"phases": [asdict(row) for row in rows], "ratios": ratios, "check": check}
        )
        load.write_json(report, arguments.json)
    return 1 if oversold else 0


if __name__ == "__main__":
    sys.exit(main())
