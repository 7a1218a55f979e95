"""Fault injection: the commission settlement sweep is SIGKILLed mid-run, several times, and
started again. Afterwards every commission is settled exactly once (one ledger entry each),
and every distributor's balance equals the sum of their ledger entries.

The sweep runs in a separate process (`circlemart` settings, the test's PostgreSQL database),
as the Celery task would in a worker; the test watches the database and kills the process
once some, but not all, rows are settled."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count, Sum

from circlemart.core import clock
from circlemart.growth.distribution.contracts import EntryKind
from circlemart.growth.distribution.models import (
    Commission,
    CommissionAccount,
    CommissionEntry,
)
from tests.fault.test_worker_kill import database_url
from tests.growth.distribution.conftest import make_distributor

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SEED = int(os.environ.get("FAULT_SEED", "0")) or random.SystemRandom().randrange(1, 10**6)
COMMISSIONS = 1200
KILLS = 4
START_SECONDS = 60

SWEEPER = """
from circlemart.config import cli
cli._setup_django()
from circlemart.growth.distribution import services
print("ready", flush=True)
while services.commissions_settle_due(limit=100):
    pass
print("done", flush=True)
"""


def child_env(work_dir: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "CELERY_BROKER_URL"}
    }
    env.update(
        DATABASE_URL=database_url(),
        DJANGO_SETTINGS_MODULE="circlemart.config.settings",
        CIRCLEMART_DATA_DIR=str(work_dir),
        CELERY_TASK_ALWAYS_EAGER="1",
        SECRET_KEY=settings.SECRET_KEY,
        FIELD_ENCRYPTION_KEYS=",".join(settings.FIELD_ENCRYPTION_KEYS),
        PII_LOOKUP_KEY=settings.PII_LOOKUP_KEY,
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def start(work_dir: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", SWEEPER],
        env=child_env(work_dir),
        cwd=work_dir,
        stdout=subprocess.PIPE,
        stderr=(work_dir / "sweeper.log").open("a"),
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready", (work_dir / "sweeper.log").read_text()
    return process


def settled() -> int:
    return Commission.objects.filter(status="settled").count()


def make_due_commissions() -> list[int]:
    """COMMISSIONS frozen commissions over three distributors, all due for settlement."""
    from django.db import transaction

    from circlemart.growth.distribution.services.ledger import entry_post

    distributors = [make_distributor() for _ in range(3)]
    now = clock.now()
    rows = [
        Commission(
            distributor=distributors[index % 3],
            order_number=f"F{index:06d}",
            line_id=index + 1,
            product_id=1,
            buyer_id=distributors[(index + 1) % 3].user_id,
            tier=1,
            base_amount=10_000 + index,
            rate_bp=1000,
            amount=1000 + index % 7,
            reversed_amount=(index % 5) * 10,
            currency="CNY",
            due_at=now - timedelta(minutes=1),
            created_at=now - timedelta(days=20),
        )
        for index in range(COMMISSIONS)
    ]
    Commission.objects.bulk_create(rows, batch_size=500)
    with transaction.atomic():
        for commission in Commission.objects.order_by("pk"):
            entry_post(
                distributor_id=commission.distributor_id,
                kind=EntryKind.FREEZE,
                idempotency_key=f"commission:{commission.pk}:freeze",
                commission_id=commission.pk,
                frozen=commission.amount,
            )
            if commission.reversed_amount:
                entry_post(
                    distributor_id=commission.distributor_id,
                    kind=EntryKind.REVERSE,
                    idempotency_key=f"commission:{commission.pk}:reverse",
                    commission_id=commission.pk,
                    frozen=-commission.reversed_amount,
                )
    return [d.pk for d in distributors]


def test_settlement_is_exactly_once_while_the_sweeper_is_killed(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    print(f"\nfault seed {SEED} (FAULT_SEED={SEED} repeats the choices)")
    distributor_ids = make_due_commissions()
    kept_total = Commission.objects.aggregate(total=Sum("amount") - Sum("reversed_amount"))["total"]
    kill_points = []
    for _kill in range(KILLS):
        before = settled()
        process = start(tmp_path)
        # Kill after it has settled somewhere between a few and a fair share more rows.
        target = before + rng.randint(5, max(6, (COMMISSIONS - before) // (KILLS + 1)))
        deadline = time.monotonic() + START_SECONDS
        while settled() < target and process.poll() is None and time.monotonic() < deadline:
            time.sleep(rng.uniform(0.005, 0.05))
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        kill_points.append(settled())
    print(f"settled rows when killed: {kill_points} of {COMMISSIONS}")
    assert all(0 < point < COMMISSIONS for point in kill_points), kill_points

    process = start(tmp_path)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "done"
    assert process.wait(timeout=60) == 0

    assert settled() == COMMISSIONS
    settle_entries = CommissionEntry.objects.filter(kind="settle")
    per_commission = settle_entries.values("commission_id").annotate(n=Count("id"))
    assert {row["n"] for row in per_commission} == {1}
    assert per_commission.count() == COMMISSIONS  # every kept part is above zero here
    for commission in Commission.objects.all():
        assert commission.settled_amount == commission.amount - commission.reversed_amount
    for account in CommissionAccount.objects.filter(pk__in=distributor_ids):
        sums = CommissionEntry.objects.filter(distributor_id=account.pk).aggregate(
            frozen=Sum("frozen_delta"), settled=Sum("settled_delta")
        )
        assert (account.frozen, account.settled) == (sums["frozen"], sums["settled"])
        assert account.frozen == 0
    assert (
        sum(
            CommissionAccount.objects.filter(pk__in=distributor_ids).values_list(
                "settled", flat=True
            )
        )
        == kept_total
    )
