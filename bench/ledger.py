"""Points ledger benchmark: postings per second for points earn and spend under 16 concurrent
writers on PostgreSQL, beside a plain single-row INSERT floor measured in the same run, and the
balance read's latency (p50/p99).

    createdb -h 127.0.0.1 -U postgres ledger_bench
    .venv/bin/python bench/ledger.py --database-url postgres://postgres@127.0.0.1/ledger_bench
    .venv/bin/python bench/ledger.py --database-url … --quick          # 1 s phases, smoke run

Phases, each `--seconds` long (after a 1 s warm-up that is not counted) with `--writers`
threads (one database connection each):
  floor   INSERT of one row into a scratch table, one transaction per row (autocommit): what a
          commit costs on this machine — the ceiling for any ledger write;
  earn    services.points_earn: lock the balance row, entry + 2 postings + lot, update balance;
  spend   services.points_spend: the same lock, a conditional UPDATE on the balance, entry +
          2 postings, FIFO lot consumption (lot UPDATE + lot-use row);
  read    selectors.points_balance: one indexed primary-key read.
Writers pick users at random from `--users` (default 2,000), so they rarely wait for each
other's balance lock — the ledger's design: one user's movements are serialised, different
users never wait. `--hot-users 1` measures the opposite (everyone on one balance row).
The ledger tables are emptied before the run; the database must be a scratch one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--hot-users", type=int, default=0, help="use only this many users")
    parser.add_argument(
        "--quick", action="store_true", help="CI smoke run: 1 s phases, 4 writers, 50 users"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        parser.error("--database-url (or DATABASE_URL) must name a scratch PostgreSQL database")
    if args.quick:
        args.seconds = min(args.seconds, 1.0)
        args.users = min(args.users, 50)
        args.writers = min(args.writers, 4)
    return args


def _django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "circlemart.config.settings")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
    os.environ.setdefault("DB_CONN_MAX_AGE", "600")
    import django

    django.setup()


def _prepare(users: int) -> list[int]:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE growth_pointslotuse, growth_pointslot, growth_pointsposting, "
            "growth_pointsentry, growth_pointsbalance, growth_pointsdebt CASCADE"
        )
        cursor.execute("DROP TABLE IF EXISTS bench_ledger_floor")
        cursor.execute(
            "CREATE TABLE bench_ledger_floor (id bigserial PRIMARY KEY, user_id bigint NOT NULL, "
            "amount bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
    model = get_user_model()
    existing = list(
        model.objects.filter(email__startswith="ledger-bench-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    missing = users - len(existing)
    if missing > 0:
        start = len(existing)
        rows = []
        for index in range(start, start + missing):
            user = model(email=f"ledger-bench-{index}@example.com", nickname="bench")
            user.set_unusable_password()
            rows.append(user)
        model.objects.bulk_create(rows, batch_size=1000)
        existing = list(
            model.objects.filter(email__startswith="ledger-bench-")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return existing[:users]


WARM_UP_SECONDS = 1.0  # connections open and first rows are created before counting starts


def _run(
    writers: int, seconds: float, work: Callable[[random.Random, int], None]
) -> tuple[int, list[float], int]:
    """Threads call work() for a warm-up, then until time is up; returns what the measured
    part did: (calls, latencies in ms, errors)."""
    from django.db import connection

    barrier = threading.Barrier(writers + 1)
    deadline = [0.0]
    counting_from = [0.0]
    counts = [0] * writers
    errors = [0] * writers
    latencies: list[list[float]] = [[] for _ in range(writers)]

    def runner(index: int) -> None:
        rng = random.Random(index)
        barrier.wait()
        try:
            while time.perf_counter() < deadline[0]:
                started = time.perf_counter()
                counted = started >= counting_from[0]
                try:
                    work(rng, index)
                except Exception:  # a refused spend counts as an error, not a crash
                    errors[index] += int(counted)
                    continue
                if counted:
                    latencies[index].append((time.perf_counter() - started) * 1000)
                    counts[index] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    counting_from[0] = time.perf_counter() + WARM_UP_SECONDS
    deadline[0] = counting_from[0] + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    return sum(counts), [value for chunk in latencies for value in chunk], sum(errors)


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    args = parse_arguments()
    _django(args.database_url)
    from django.db import connection

    from circlemart.growth.points import selectors, services
    from circlemart.growth.points.models import PointsBalance, PointsEntry, PointsPosting

    user_ids = _prepare(args.users)
    pool = user_ids[: args.hot_users] if args.hot_users else user_ids
    run = uuid.uuid4().hex[:8]
    sequence = iter(range(10**12))
    lock = threading.Lock()

    def next_key(kind: str) -> str:
        with lock:
            return f"bench-{run}-{kind}-{next(sequence)}"

    def floor(rng: random.Random, _index: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_ledger_floor (user_id, amount) VALUES (%s, %s)",
                [rng.choice(pool), 10],
            )

    def earn(rng: random.Random, _index: int) -> None:
        services.points_earn(
            user_id=rng.choice(pool), amount=10, reason="campaign", idempotency_key=next_key("e")
        )

    def spend(rng: random.Random, _index: int) -> None:
        services.points_spend(
            user_id=rng.choice(pool), amount=3, reason="redeem", idempotency_key=next_key("s")
        )

    def read(rng: random.Random, _index: int) -> None:
        selectors.points_balance(rng.choice(pool))

    # Every user starts with enough points that no spend of the run is refused (not timed).
    def fund(index: int) -> None:
        try:
            for user_id in pool[index :: args.writers]:
                services.points_earn(
                    user_id=user_id,
                    amount=1_000_000,
                    reason="campaign",
                    idempotency_key=f"fund-{run}-{user_id}",
                )
        finally:
            connection.close()

    funders = [threading.Thread(target=fund, args=(i,)) for i in range(args.writers)]
    for thread in funders:
        thread.start()
    for thread in funders:
        thread.join()

    # What one call costs in statements (balance row already there), for reading the figures.
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    statements: dict[str, int] = {}
    for name, call in (
        ("points_earn", lambda: earn(random.Random(0), 0)),
        ("points_spend", lambda: spend(random.Random(0), 0)),
        ("points_balance read", lambda: read(random.Random(0), 0)),
    ):
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            call()
            transaction.set_rollback(True)
        statements[name] = len(captured.captured_queries)

    rows: list[dict[str, Any]] = []
    for name, work, postings_per_call in (
        ("floor: single-row INSERT", floor, 1),
        ("points_earn", earn, 2),
        ("points_spend", spend, 2),
        ("points_balance read", read, 0),
    ):
        calls, latencies, errors = _run(args.writers, args.seconds, work)
        row = {
            "phase": name,
            "writers": args.writers,
            "seconds": args.seconds,
            "calls": calls,
            "calls_per_second": round(calls / args.seconds, 1),
            "postings_per_second": round(calls * postings_per_call / args.seconds, 1),
            "p50_ms": round(_percentile(latencies, 0.50), 2),
            "p99_ms": round(_percentile(latencies, 0.99), 2),
            "mean_ms": round(statistics.fmean(latencies), 2) if latencies else 0.0,
            "errors": errors,
        }
        rows.append(row)
        print(
            f"{name:28} {row['calls_per_second']:>9} calls/s {row['postings_per_second']:>9} "
            f"postings/s  p50 {row['p50_ms']:>7} ms  p99 {row['p99_ms']:>7} ms  "
            f"errors {errors}",
            flush=True,
        )
    print(f"statements per call (savepoints included): {statements}")

    # The run must leave the ledger balanced: every balance = its postings, none negative.
    from django.db.models import Sum

    posted = dict(
        PointsPosting.objects.filter(account="user")
        .values_list("user_id")
        .annotate(total=Sum("amount"))
        .values_list("user_id", "total")
    )
    balances = dict(PointsBalance.objects.values_list("user_id", "balance"))
    unbalanced = sum(
        1 for user_id, balance in balances.items() if posted.get(user_id, 0) != balance
    )
    negative = sum(1 for balance in balances.values() if balance < 0)
    entries = PointsEntry.objects.count()
    floor_rate = rows[0]["calls_per_second"] or 1
    summary = {
        "rows": rows,
        "entries": entries,
        "unbalanced_users": unbalanced,
        "negative_balances": negative,
        "earn_vs_floor": round(rows[1]["calls_per_second"] / floor_rate, 2),
        "spend_vs_floor": round(rows[2]["calls_per_second"] / floor_rate, 2),
        "users": len(pool),
        "statements_per_call": statements,
    }
    print(
        f"entries {entries}, unbalanced users {unbalanced}, negative balances {negative}; "
        f"earn = {summary['earn_vs_floor']} × floor, spend = {summary['spend_vs_floor']} × floor"
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_ledger_floor")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(summary, indent=2))
    return 0 if unbalanced == 0 and negative == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
