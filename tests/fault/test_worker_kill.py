"""Fault injection: buyers place and pay orders over HTTP against a real gunicorn server while
the real Celery worker that relays the outbox, delivers the gateway's webhooks and runs the
sweeps is SIGKILLed 50+ times. Afterwards every order is either paid exactly once or cancelled
with its stock back and any money it took refunded exactly once.

The worker's tasks go to a queue of this run's own on the configured broker (RabbitMQ), so
workers of other test runs on the same broker never take them. The worker's periodic tasks are
sent by a thread of the test ("beat"), every second, instead of celery beat's 30 s schedule.

Each worker is forked from a "zygote" process that has imported Django and the tasks once:
the child starts a fresh `circlemart worker` (its own session, broker connection and prefork
pool), and SIGKILL takes that whole process group. Importing Django takes ~3 s on two busy
cores; forking keeps 50 kill/restart cycles inside the time budget.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from circlemart.accounts.services import token_pair_issue
from circlemart.config import cli
from circlemart.config.celery import app
from circlemart.core import clock
from circlemart.core.events import handlers_for
from circlemart.core.models import HandlerReceipt, OutboxEvent
from circlemart.inventory.models import Reservation, StockLevel
from circlemart.orders.models import Order, OrderLine
from circlemart.payments.models import GatewayCharge, GatewayRefund, GatewayWebhook, Payment, Refund
from tests.core.test_worker import process_env
from tests.orders.conftest import make_buyer, make_sku

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.broker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:task_always_eager has no effect on send_task"),
]

SEED = int(os.environ.get("FAULT_SEED", "0")) or random.SystemRandom().randrange(1, 10**6)
WORKER_KILLS = 52
# A worker lives this long (seconds after its fork) before SIGKILL: from "still connecting to
# the broker" to "in the middle of a batch".
WORKER_LIFETIME = (0.2, 2.5)
CHILD_KILL_SHARE = 0.35  # of worker lives, also SIGKILL one prefork pool child mid-life
BUYERS = 3
THINK_SECONDS = (0.2, 0.8)  # between a buyer's orders
# (price, stock): one SKU sells out, so released units are sold again. StockChanged events are
# relayed in order per SKU, one per relay batch: more SKUs, shorter chains to catch up on.
SKU_STOCK = [(3900, 25), *((5000 + 1000 * index, 150) for index in range(5))]
# scenario: weight; what the buyer does
SCENARIOS = {
    "pay": 45,  # place, start paying, press Pay
    "pay_noisy": 10,  # ... with duplicate and out-of-order webhooks
    "late": 15,  # press Pay, its webhook delayed 3-15 s, then the payment window closes
    "fail": 10,  # press Fail, then the window closes
    "abandon": 20,  # place and walk away; the window closes
}
EXPECT_PAID = {"pay", "pay_noisy"}
SERVER_START_SECONDS = 60
# The wait ends as soon as everything is settled; the bound only matters on a loaded machine.
CATCH_UP_SECONDS = 240
HTTP_TIMEOUT_SECONDS = 30
BEAT_SECONDS = 1.0
REFUND_RETRY_SECONDS = 3

ZYGOTE = """
import os, signal, sys
from circlemart.config import cli
cli._setup_django()
from circlemart.config.celery import app
app.conf.task_default_queue = sys.argv[1]
app.loader.import_default_modules()

def reap(signum, frame):
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return

signal.signal(signal.SIGCHLD, reap)
print("ready", flush=True)
for line in sys.stdin:
    log, concurrency = line.split()
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        code = 1
        try:
            code = cli.main([*sys.argv[2:], "--concurrency", concurrency]) or 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        finally:
            os._exit(code)
    print(pid, flush=True)
"""

SERVER = """
import sys
from circlemart.config import cli
cli._setup_django()
from circlemart.config.celery import app
app.conf.task_default_queue = sys.argv[1]
from gunicorn.app.wsgiapp import run
sys.argv = ["gunicorn", *sys.argv[2:]]
run()
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url() -> str:
    """The test database pytest-django made, for the server and worker processes."""
    db = settings.DATABASES["default"]
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


def child_env(work_dir: Path, *, port: int) -> dict[str, str]:
    env = process_env(work_dir / "data", settings.CELERY_BROKER_URL)
    env.update(
        DATABASE_URL=database_url(),
        DB_POOL_MIN="1",
        DB_POOL_MAX="6",
        SITE_URL=f"http://127.0.0.1:{port}",
        PAYMENTS_TEST_MODE="1",
        PAYMENTS_REFUND_RETRY_SECONDS=str(REFUND_RETRY_SECONDS),
        PAYMENTS_GATEWAY_SWEEP_SECONDS=str(REFUND_RETRY_SECONDS),
        RATELIMIT_ENABLED="0",
        LOG_LEVEL="WARNING",
        ACCESS_TOKEN_MINUTES="60",
        # The test process made the users, addresses (encrypted) and tokens: same keys.
        SECRET_KEY=settings.SECRET_KEY,
        FIELD_ENCRYPTION_KEYS=",".join(settings.FIELD_ENCRYPTION_KEYS),
        PII_LOOKUP_KEY=settings.PII_LOOKUP_KEY,
    )
    return env


def log_tail(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return f"({path.name}: no output)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- processes -------------------------------------------------------------------------------


@contextmanager
def running_server(work_dir: Path, *, env: dict[str, str], queue: str, port: int) -> Iterator[Path]:
    """gunicorn exactly as `circlemart serve` starts it (WSGI, gthread), its tasks to `queue`."""
    log = work_dir / "server.log"
    command = [sys.executable, "-c", SERVER, queue, *cli.server_arguments("wsgi", 2)]
    command += ["--bind", f"127.0.0.1:{port}", "--access-logfile", "-"]
    command += ["--graceful-timeout", "10", "--control-socket", str(work_dir / "gunicorn.ctl")]
    with log.open("wb") as output:
        server = subprocess.Popen(
            command,
            env=env,
            cwd=work_dir,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"the server exited with {server.returncode}:\n{log_tail(log)}")
            with suppress(OSError):
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/hello")
                if probe.getresponse().status == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer /hello:\n{log_tail(log)}")
            time.sleep(0.3)
        yield log
    finally:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=20)


class Workers:
    """Forks fresh `circlemart worker` processes from a zygote and kills them."""

    def __init__(self, work_dir: Path, *, env: dict[str, str], queue: str) -> None:
        self.logs = work_dir / "workers"
        self.logs.mkdir()
        self.zygote = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE, queue, "worker", "--beat", "no"],
            env=env,
            cwd=work_dir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(work_dir / "zygote.log").open("wb"),
            text=True,
            start_new_session=True,
        )
        assert self.zygote.stdout is not None
        line = self.zygote.stdout.readline().strip()
        assert line == "ready", f"the zygote did not start:\n{log_tail(work_dir / 'zygote.log')}"
        self.current: int | None = None
        self.started = 0
        self.kills = 0
        self.child_kills = 0

    @property
    def last_log(self) -> Path:
        return self.logs / f"{self.started:03d}.log"

    def start(self, *, concurrency: int = 2) -> int:
        assert self.current is None
        assert self.zygote.stdin is not None
        assert self.zygote.stdout is not None
        self.started += 1
        self.zygote.stdin.write(f"{self.last_log} {concurrency}\n")
        self.zygote.stdin.flush()
        self.current = int(self.zygote.stdout.readline())
        return self.current

    def pool_children(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with suppress(OSError, IndexError, ValueError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.current and fields[0] != "Z":
                    children.append(int(stat.parent.name))
        return children

    def kill_one_child(self, rng: random.Random) -> bool:
        children = self.pool_children()
        if not children:
            return False
        with suppress(ProcessLookupError):
            os.kill(rng.choice(children), signal.SIGKILL)
            self.child_kills += 1
        return True

    def kill(self) -> None:
        """SIGKILL the worker and its pool: nothing is acknowledged or cleaned up."""
        assert self.current is not None
        with suppress(ProcessLookupError):
            os.killpg(self.current, signal.SIGKILL)
        self.kills += 1
        self.current = None

    def close(self) -> None:
        if self.current is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.current, signal.SIGTERM)
            time.sleep(1)
            with suppress(ProcessLookupError):
                os.killpg(self.current, signal.SIGKILL)
            self.current = None
        if self.zygote.stdin is not None:
            self.zygote.stdin.close()
        try:
            self.zygote.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.zygote.pid, signal.SIGKILL)
            self.zygote.wait(timeout=10)

    def tracebacks(self) -> list[str]:
        """Tracebacks through our code, by their last lines; the pool's own (WorkerLostError)
        follow our kills."""
        found: Counter[str] = Counter()
        for log in sorted(self.logs.iterdir()):
            for chunk in log.read_text(errors="replace").split("Traceback")[1:]:
                lines = chunk.split("\n[20", 1)[0].strip().splitlines()
                if "/circlemart/" in chunk and "WorkerLostError" not in lines[-1]:
                    frames = [line.strip() for line in lines if "/src/circlemart/" in line]
                    found[f"{frames[-1] if frames else '?'}: {lines[-1][:120]}"] += 1
        return [f"{count} x {what}" for what, count in found.most_common()]


def beat(queue: str, stop: threading.Event, sent: Counter[str]) -> None:
    """What celery beat would send, on a short schedule; stale copies expire unrun."""
    schedule = {
        "core.sweep_outbox": BEAT_SECONDS,
        "orders.cancel_unpaid": BEAT_SECONDS,
        "payments.resubmit_stuck_refunds": float(REFUND_RETRY_SECONDS),
        "payments.gateway_sweep": float(REFUND_RETRY_SECONDS),
    }
    due = dict.fromkeys(schedule, 0.0)
    while not stop.wait(0.2):
        now = time.monotonic()
        for name, every in schedule.items():
            if now >= due[name]:
                app.send_task(name, queue=queue, expires=10)
                sent[name] += 1
                due[name] = now + every


# --- the buyers --------------------------------------------------------------------------------


@dataclass
class Buyer:
    user_id: int
    address_id: int
    token: str


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    counts: Counter[str] = field(default_factory=Counter)
    scenario_of: dict[str, str] = field(default_factory=dict)
    charged: set[str] = field(default_factory=set)  # the gateway said "succeeded" to Pay
    problems: list[str] = field(default_factory=list)

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    def problem(self, what: str) -> None:
        with self.lock:
            self.problems.append(what)


class Api:
    """One buyer's keep-alive HTTP connection. A dropped connection or a 5xx is retried with
    the same Idempotency-Key, as a shopper's app would (a 5xx is not recorded under the key)."""

    def __init__(self, port: int, token: str, tally: Tally) -> None:
        self.port = port
        self.tally = tally
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept-Language": "en",
        }
        self.connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=HTTP_TIMEOUT_SECONDS
        )

    def post(
        self, path: str, body: dict[str, Any], *, key: str
    ) -> tuple[int, dict[str, Any], bool]:
        headers = {**self.headers, "Idempotency-Key": key}
        for attempt in range(1, 4):
            try:
                self.connection.request("POST", path, json.dumps(body), headers)
                response = self.connection.getresponse()
                raw = response.read()
            except (OSError, http.client.HTTPException):
                self.connection.close()
                if attempt == 3:
                    raise
                time.sleep(0.5)
                continue
            if response.status >= 500 and attempt < 3:
                self.tally.count(f"{response.status} answered, retried with the same key")
                time.sleep(0.5)
                continue
            replayed = response.getheader("Idempotent-Replayed") == "true"
            try:
                answer = json.loads(raw) if raw else {}
            except ValueError:
                answer = {"body": raw[:300].decode(errors="replace")}
            return response.status, answer, replayed
        raise AssertionError("unreachable")


def backdate(number: str) -> None:
    """The buyer's payment window closes now (instead of ORDER_PAYMENT_WINDOW minutes later)."""
    Order.objects.filter(number=number, status="pending_payment").update(
        payment_deadline=clock.now() - timedelta(seconds=1)
    )


def shop(
    index: int, buyer: Buyer, skus: list[int], *, port: int, stop: threading.Event, tally: Tally
) -> None:
    rng = random.Random(SEED * 100 + index)
    api = Api(port, buyer.token, tally)
    names, weights = list(SCENARIOS), list(SCENARIOS.values())
    try:
        while not stop.wait(rng.uniform(*THINK_SECONDS)):
            scenario = rng.choices(names, weights)[0]
            chosen = rng.sample(skus, rng.choice([1, 1, 2]))
            body = {
                "items": [{"sku_id": sku, "quantity": rng.randint(1, 2)} for sku in chosen],
                "address_id": buyer.address_id,
            }
            key = f"fault-{uuid.uuid4().hex}"
            status, answer, _replayed = api.post("/api/v1/orders", body, key=key)
            if status == 409 and answer.get("error", {}).get("code") == "out_of_stock":
                tally.count("place: out_of_stock")
                time.sleep(0.2)
                continue
            if status != 201:
                tally.problem(f"place answered {status}: {answer}")
                continue
            number = answer["number"]
            tally.count("place: 201")
            with tally.lock:
                tally.scenario_of[number] = scenario
            if rng.random() < 0.2:  # the buyer's app retries the checkout it already sent
                again, replay, replayed = api.post("/api/v1/orders", body, key=key)
                tally.count("place: retried")
                if again != 201 or replay.get("number") != number or not replayed:
                    tally.problem(f"retried checkout {key}: {again} {replay} (first {number})")
            if scenario == "abandon":
                backdate(number)
                continue
            status, payment, _replayed = api.post(
                f"/api/v1/orders/{number}/pay", {}, key=f"pay-{number}"
            )
            if status != 200:
                tally.problem(f"{number} pay answered {status}: {payment}")
                continue
            tally.count("pay: 200")
            controls = f"/api/v1/payments/{payment['payment_id']}/test-gateway"
            behaviour = {
                "pay_noisy": {"duplicate_webhooks": True, "out_of_order": True},
                "late": {"webhook_delay_seconds": rng.choice([3, 8, 15])},
            }.get(scenario)
            if behaviour is not None:
                status, answer, _replayed = api.post(
                    f"{controls}/behaviour", behaviour, key=f"behave-{number}"
                )
                if status != 200:
                    tally.problem(f"{number} behaviour answered {status}: {answer}")
                    continue
            outcome = "fail" if scenario == "fail" else "pay"
            status, charge, _replayed = api.post(
                f"{controls}/complete", {"outcome": outcome}, key=f"press-{number}"
            )
            if status != 200:
                tally.problem(f"{number} complete answered {status}: {charge}")
                continue
            tally.count(f"press {outcome}: {charge['status']}")
            if charge["status"] == "succeeded":
                with tally.lock:
                    tally.charged.add(number)
            if scenario in ("late", "fail"):
                backdate(number)
    except Exception as exc:  # kept for the assertion; the other buyers carry on
        tally.problem(f"buyer {index} stopped: {type(exc).__name__}: {exc}")
    finally:
        connection.close()


# Server failures that lose nothing and are reported as bugs: counted and printed, not failed
# on. The buyer retries with the same Idempotency-Key (a 5xx is not recorded under it).
KNOWN_SERVER_FAILURES = {
    # The outbox relay commits several orders' reservations in one transaction
    # (core/events.py relay_pending), so it takes stock rows out of SKU order and deadlocks
    # with order_place's stock_reserve (and with a second relay).
    "deadlock detected": "500 DeadlockDetected (retried by the buyer)",
}


def server_failures(log: Path) -> tuple[Counter[str], list[str]]:
    """(known failures by name, every other 5xx or traceback) from the server's log.

    A webhook answered 400 is expected: a worker SIGKILLed in the middle of its POST leaves a
    cut body whose signature does not verify, and the task is delivered again."""
    text = log.read_text(errors="replace")
    known: Counter[str] = Counter()
    unknown = []
    for chunk in text.split("Internal Server Error")[1:]:
        failure = chunk.split("\n127.0.0.1 - - ")[0]
        name = next((n for marker, n in KNOWN_SERVER_FAILURES.items() if marker in failure), None)
        if name is None:
            unknown.append(failure[-2000:])
        else:
            known[name] += 1
    known["webhook POSTs answered 400"] = text.count('/webhooks/test_gateway/ HTTP/1.1" 400')
    five_hundreds = len(re.findall(r'HTTP/1\.1" 5\d\d ', text))
    if five_hundreds != sum(known.values()) - known["webhook POSTs answered 400"] + len(unknown):
        unknown.append(f"{five_hundreds} responses were 5xx; the log explains fewer")
    unknown += [line for line in text.splitlines() if "WORKER TIMEOUT" in line]
    return known, unknown


# --- waiting and checking ------------------------------------------------------------------------


def backlog() -> dict[str, int]:
    return {
        "outbox pending": OutboxEvent.objects.filter(status="pending").count(),
        "gateway webhooks pending": GatewayWebhook.objects.filter(status="pending").count(),
        "gateway refunds pending": GatewayRefund.objects.filter(status="pending").count(),
        "refunds pending": Refund.objects.filter(status="pending").count(),
        "payments created": Payment.objects.filter(status="created").count(),
        "orders refunding": Order.objects.filter(status="refunding").count(),
    }


def wait_until_settled(
    *, deadline: float, also: Callable[[], dict[str, int]] | None = None
) -> dict[str, int]:
    report_at = time.monotonic() + 5
    while True:
        left = backlog() | (also() if also else {})
        left.pop("payments created")  # an unpaid charge of a still-open order is settled
        if not any(left.values()) or time.monotonic() > deadline:
            return left
        if time.monotonic() >= report_at:
            print("  catching up: " + ", ".join(f"{k} {v}" for k, v in left.items() if v))
            report_at = time.monotonic() + 5
        time.sleep(0.5)


def check_everything(tally: Tally, initial: dict[int, int]) -> tuple[list[str], Counter[str]]:
    """Every invariant, over every order; returns the problems and a summary."""
    problems: list[str] = []
    summary: Counter[str] = Counter()
    orders = {order.number: order for order in Order.objects.all()}
    reservations: dict[str, list[Reservation]] = defaultdict(list)
    for reservation in Reservation.objects.all():
        reservations[reservation.reference].append(reservation)
    payments: dict[str, list[Payment]] = defaultdict(list)
    for payment in Payment.objects.all():
        payments[payment.order_number].append(payment)
    refunds: dict[int, list[Refund]] = defaultdict(list)
    for refund in Refund.objects.all():
        refunds[refund.payment_id].append(refund)
    charges = {charge.charge_id: charge for charge in GatewayCharge.objects.all()}
    gateway_refunds: dict[int, list[GatewayRefund]] = defaultdict(list)
    for gateway_refund in GatewayRefund.objects.all():
        gateway_refunds[gateway_refund.charge_id].append(gateway_refund)
    events: Counter[tuple[str, str]] = Counter()
    captured_events: Counter[int] = Counter()
    for event_type, aggregate_id, payload in OutboxEvent.objects.values_list(
        "event_type", "aggregate_id", "payload"
    ):
        events[event_type, aggregate_id] += 1
        if event_type == "payments.PaymentCaptured":
            captured_events[payload["payment_id"]] += 1

    if set(tally.scenario_of) != set(orders):
        problems.append(
            f"orders the buyers placed {len(tally.scenario_of)} != orders in the database"
            f" {len(orders)}: {sorted(set(tally.scenario_of) ^ set(orders))[:10]}"
        )
    owned_charges = set()
    for number, order in orders.items():
        scenario = tally.scenario_of.get(number, "?")
        summary[f"{scenario} -> {order.status}"] += 1
        states = Counter(r.state for r in reservations[number])
        captured = [p for p in payments[number] if p.status == "captured"]
        succeeded = []
        for payment in payments[number]:
            charge = charges.get(payment.provider_payment_id)
            if charge is not None:
                owned_charges.add(charge.charge_id)
                if charge.status == "succeeded":
                    succeeded.append(charge)
        if len(captured) > 1:
            problems.append(f"{number}: {len(captured)} captured payments")
        if {c.charge_id for c in succeeded} != {p.provider_payment_id for p in captured}:
            problems.append(
                f"{number}: the gateway took money on {[c.charge_id for c in succeeded]} but the"
                f" shop recorded captures on {[p.provider_payment_id for p in captured]}"
            )
        problems.extend(
            f"{number}: payment {payment.pk} has {captured_events[payment.pk]} PaymentCaptured"
            " events"
            for payment in captured
            if captured_events[payment.pk] != 1
        )
        paid_events = events["orders.OrderPaid", number]
        if order.status == "paid":
            ok = (
                len(captured) == 1
                and not captured[0].is_late_capture
                and captured[0].amount == order.total == order.paid_amount
                and captured[0].refunded_amount == 0
                and not refunds[captured[0].pk]
                and set(states) == {"committed"}
                and paid_events == 1
            )
            if not ok:
                problems.append(
                    f"{number} ({scenario}) paid but: captured {[(p.pk, p.amount, p.is_late_capture, p.refunded_amount) for p in captured]},"  # noqa: E501
                    f" total {order.total}, paid {order.paid_amount}, reservations {dict(states)},"
                    f" refunds {[refunds[p.pk] for p in captured]}, OrderPaid x{paid_events}"
                )
        elif order.status == "cancelled":
            if set(states) != {"released"} or paid_events:
                problems.append(
                    f"{number} ({scenario}) cancelled but reservations {dict(states)},"
                    f" OrderPaid x{paid_events}"
                )
            for payment in captured:
                summary["cancelled with a capture (refunded)"] += 1
                charge = charges[payment.provider_payment_id]
                ours = [(r.status, r.amount) for r in refunds[payment.pk]]
                theirs = [(r.status, r.amount) for r in gateway_refunds[charge.pk]]
                if (
                    ours != [("succeeded", payment.amount)]
                    or theirs != [("succeeded", payment.amount)]
                    or payment.refunded_amount != payment.amount
                    or charge.refunded_amount != payment.amount
                ):
                    problems.append(
                        f"{number} ({scenario}) cancelled, captured {payment.amount} on payment"
                        f" {payment.pk} (late {payment.is_late_capture}); refunds ours {ours},"
                        f" gateway's {theirs}, refunded {payment.refunded_amount}/"
                        f"{charge.refunded_amount}"
                    )
        else:
            problems.append(f"{number} ({scenario}) ended {order.status}")
        if scenario in EXPECT_PAID and number in tally.charged and order.status != "paid":
            problems.append(
                f"{number} ({scenario}): the buyer paid in time, yet the order is {order.status}"
            )
    stray = [c.charge_id for c in charges.values() if c.charge_id not in owned_charges]
    if stray:
        problems.append(f"gateway charges no payment knows: {stray[:10]}")

    committed: Counter[int] = Counter()
    for reservation in Reservation.objects.filter(state="committed"):
        committed[reservation.sku_id] += reservation.quantity
    sold: Counter[int] = Counter()
    for sku_id, quantity in OrderLine.objects.filter(order__status="paid").values_list(
        "sku_id", "quantity"
    ):
        sold[sku_id] += quantity
    for level in StockLevel.objects.filter(sku_id__in=initial):
        if (
            level.on_hand + committed[level.sku_id] != initial[level.sku_id]
            or level.reserved != 0
            or committed[level.sku_id] != sold[level.sku_id]
        ):
            problems.append(
                f"SKU {level.sku_id}: started with {initial[level.sku_id]}, on hand"
                f" {level.on_hand}, committed {committed[level.sku_id]}, reserved"
                f" {level.reserved}, sold in paid orders {sold[level.sku_id]}"
            )
        summary[f"SKU {level.sku_id} units sold"] = committed[level.sku_id]

    receipts: dict[int, set[str]] = defaultdict(set)
    for event_id, handler in HandlerReceipt.objects.values_list("event_id", "handler"):
        receipts[event_id].add(handler)
    receipt_rows = HandlerReceipt.objects.count()
    if receipt_rows != sum(len(names) for names in receipts.values()):
        problems.append("a handler receipted an event twice")
    for event in OutboxEvent.objects.all():
        summary[f"outbox {event.event_type} {event.status}"] += 1
        expected = {name for name, _handler in handlers_for(event.event_type)}
        if event.status != "delivered" or receipts[event.pk] != expected:
            problems.append(
                f"outbox {event.pk} {event.event_type} {event.aggregate_id}: {event.status},"
                f" attempts {event.attempts}, receipts {sorted(receipts[event.pk])} (expected"
                f" {sorted(expected)}), last error {event.last_error[:300]!r}"
            )
    problems.extend(
        f"gateway webhook {webhook.pk} {webhook.event_type} {webhook.status} after"
        f" {webhook.attempts} attempts: {webhook.last_error}"
        for webhook in GatewayWebhook.objects.exclude(status="delivered")
    )
    summary["gateway webhooks delivered"] = GatewayWebhook.objects.filter(
        status="delivered"
    ).count()
    return problems, summary


# --- the test ------------------------------------------------------------------------------------


def test_no_order_is_lost_or_doubled_while_the_worker_is_killed(tmp_path: Path) -> None:
    started = time.monotonic()
    rng = random.Random(SEED)
    print(f"\nfault seed {SEED} (FAULT_SEED={SEED} repeats the choices)")
    buyers = []
    for _index in range(BUYERS):
        user, address_id = make_buyer()
        buyers.append(Buyer(user.pk, address_id, token_pair_issue(user=user).access_token))
    skus = [make_sku(price=price, stock=stock) for price, stock in SKU_STOCK]
    initial = dict(StockLevel.objects.filter(sku_id__in=skus).values_list("sku_id", "on_hand"))

    queue = f"circlemart-fault-{uuid.uuid4().hex[:12]}"
    port = free_port()
    env = child_env(tmp_path, port=port)
    tally = Tally()
    sent: Counter[str] = Counter()
    stop_buyers, stop_beat = threading.Event(), threading.Event()
    phases: dict[str, float] = {}
    try:
        with running_server(tmp_path, env=env, queue=queue, port=port) as server_log:
            workers = Workers(tmp_path, env=env, queue=queue)
            try:
                phases["setup"] = time.monotonic() - started
                beat_thread = threading.Thread(target=beat, args=(queue, stop_beat, sent))
                beat_thread.start()
                shoppers = [
                    threading.Thread(
                        target=shop,
                        args=(index, buyer, skus),
                        kwargs={"port": port, "stop": stop_buyers, "tally": tally},
                    )
                    for index, buyer in enumerate(buyers)
                ]
                for shopper in shoppers:
                    shopper.start()
                chaos_started = time.monotonic()
                while workers.kills < WORKER_KILLS:
                    workers.start()
                    life = rng.uniform(*WORKER_LIFETIME)
                    if rng.random() < CHILD_KILL_SHARE:
                        first = rng.uniform(0, life)
                        time.sleep(first)
                        workers.kill_one_child(rng)
                        time.sleep(life - first)
                    else:
                        time.sleep(life)
                    workers.kill()
                    time.sleep(rng.uniform(0, 0.3))
                stop_buyers.set()
                for shopper in shoppers:
                    shopper.join(timeout=60)
                phases["chaos"] = time.monotonic() - chaos_started

                # One last worker, left alone: the relay, webhooks and sweeps catch up.
                catch_up_started = time.monotonic()
                workers.start(concurrency=4)
                deadline = time.monotonic() + CATCH_UP_SECONDS
                left = wait_until_settled(deadline=deadline)
                # Orders still open are ones whose buyer stopped before paying, or whose
                # payment was lost: close every window and let the sweep decide.
                still_open = list(
                    Order.objects.filter(status="pending_payment").values_list("number", flat=True)
                )
                for number in still_open:
                    backdate(number)
                left = wait_until_settled(
                    deadline=deadline,
                    also=lambda: {
                        "orders pending payment": Order.objects.filter(
                            status="pending_payment"
                        ).count()
                    },
                )
                phases["catch-up"] = time.monotonic() - catch_up_started
                stop_beat.set()
                beat_thread.join(timeout=10)
                problems, summary = check_everything(tally, initial)
                tracebacks = workers.tracebacks()
            finally:
                stop_buyers.set()
                stop_beat.set()
                workers.close()
            known, server_errors = server_failures(server_log)
    finally:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as broker:
            broker.default_channel.queue_delete(queue)

    phases["total"] = time.monotonic() - started
    print(
        f"worker: {workers.kills} SIGKILLs of the whole worker, {workers.child_kills} of a pool"
        f" child, {workers.started} starts; beat sent {dict(sent)}"
    )
    print("seconds: " + ", ".join(f"{name} {value:.0f}" for name, value in phases.items()))
    print("buyers: " + ", ".join(f"{name} {count}" for name, count in sorted(tally.counts.items())))
    print(f"orders: {len(tally.scenario_of)}; left open at the end of the run: {len(still_open)}")
    for name, count in sorted(summary.items()):
        print(f"  {name}: {count}")
    if any(left.values()):
        print(f"NOT SETTLED within {CATCH_UP_SECONDS}s: {left}")
    for name, count in sorted(known.items()):
        print(f"server: {count} x {name}")
    if server_errors:
        print("server errors:\n" + "\n\n".join(server_errors[:5]))
    retried: Counter[str] = Counter()
    for event in OutboxEvent.objects.filter(attempts__gt=0):
        handler, kind, message = ([*event.last_error.split(": ", 2), "", ""])[:3]
        retried[f"{kind} ({message.splitlines()[0][:60] if message else ''}) in {handler}"] += 1
    for error, count in sorted(retried.items()):
        print(f"outbox: {count} events retried after {error}")
    if tracebacks:
        print("worker tracebacks:\n  " + "\n  ".join(tracebacks[:10]))
    all_problems = tally.problems + problems
    for problem in all_problems[:40]:
        print(f"PROBLEM: {problem}")
    if len(all_problems) > 40:
        print(f"... and {len(all_problems) - 40} more problems")

    assert workers.kills >= 50
    assert not any(left.values()), left
    assert all_problems == [], f"{len(all_problems)} problems (printed above)"
    assert not server_errors, server_errors[:5]
    assert summary["pay -> paid"] > 0
    assert sum(count for name, count in summary.items() if name.endswith("-> cancelled")) > 0
