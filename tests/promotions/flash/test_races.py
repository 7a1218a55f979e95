"""The flash-sale race on real PostgreSQL (+ Redis), real threads over HTTP: 2,000 buy
attempts for 100 units with a per-user limit of 1 — 200 shoppers click five times each
(two of those clicks a double click with one Idempotency-Key), 1,000 click once. Exactly 100
orders, nobody over the limit, Redis and the database agree; when the unpaid orders expire
the units come back and sell again. The same race runs on the DB-only path, smaller."""

from __future__ import annotations

import json
import queue
import random
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from circlemart.core import clock
from circlemart.core.events import relay_pending
from circlemart.inventory import selectors as inventory_selectors
from circlemart.orders import services as order_services
from circlemart.orders.models import Order
from circlemart.promotions.flash import services as flash_services
from circlemart.promotions.flash import store as flash_store
from circlemart.promotions.flash.models import FlashBuyer, FlashItem, FlashPurchase
from tests.promotions.conftest import make_buyer
from tests.promotions.flash.test_services import flash_item

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.slow]
THREADS = 64
REFUSALS = {"flash_sold_out", "flash_limit_reached", "idempotency_request_in_progress"}


class Shopper:
    def __init__(self, index: int) -> None:
        self.user, self.address = make_buyer()
        self.auth = f"Bearer {token_pair_issue(user=self.user).access_token}"
        self.ip = f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"


def attempt(item_id: int, shopper: Shopper, key: str) -> tuple[int, dict[str, Any]]:
    answer = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        f"/api/v1/promotions/flash/{item_id}/buy",
        json.dumps({"quantity": 1, "address_id": shopper.address}),
        content_type="application/json",
        HTTP_AUTHORIZATION=shopper.auth,
        HTTP_IDEMPOTENCY_KEY=key,
        REMOTE_ADDR=shopper.ip,
    )
    return answer.status_code, answer.json()


def run_pool(jobs: list[tuple[Shopper, str]], item_id: int) -> list[tuple[int, Any, Shopper]]:
    """THREADS workers work through the attempts (in random order) as fast as they can."""
    work: queue.Queue[tuple[Shopper, str]] = queue.Queue()
    for job in random.sample(jobs, len(jobs)):
        work.put(job)
    results: list[tuple[int, Any, Shopper]] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker() -> None:
        try:
            start.wait()
            while True:
                try:
                    shopper, key = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    status, body = attempt(item_id, shopper, key)
                except Exception as exc:  # kept for the assertion
                    status, body = 0, repr(exc)
                with lock:
                    results.append((status, body, shopper))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def make_jobs(repeaters: int, once: int) -> tuple[list[Shopper], list[tuple[Shopper, str]]]:
    shoppers = [Shopper(index) for index in range(repeaters + once)]
    jobs: list[tuple[Shopper, str]] = []
    for shopper in shoppers[:repeaters]:
        double = uuid.uuid4().hex
        jobs += [(shopper, double), (shopper, double)]  # a double click: one key
        jobs += [(shopper, uuid.uuid4().hex) for _ in range(3)]
    jobs += [(shopper, uuid.uuid4().hex) for shopper in shoppers[repeaters:]]
    return shoppers, jobs


def check_outcome(results: list[tuple[int, Any, Shopper]], item: FlashItem, units: int) -> None:
    statuses = Counter(status for status, _body, _shopper in results)
    assert set(statuses) <= {201, 409}, statuses
    created = {body["order_number"] for status, body, _ in results if status == 201}
    codes = Counter(body["error"]["code"] for status, body, _ in results if status == 409)
    assert set(codes) <= REFUSALS, codes
    live = Order.objects.filter(status="pending_payment")
    assert live.count() == units
    assert created == set(live.values_list("number", flat=True))
    per_buyer = Counter(live.values_list("buyer_id", flat=True))
    assert max(per_buyer.values()) == 1  # nobody over the limit
    item.refresh_from_db()
    assert item.sold == units == item.flash_stock
    assert FlashPurchase.objects.filter(item=item, status="held").count() == units
    assert FlashBuyer.objects.filter(item=item, taken=1).count() == units
    assert set(live.values_list("subtotal", flat=True)) == {item.flash_price}
    assert inventory_selectors.stock_of(item.sku_id)[1] == units
    redis_agrees(item)


def redis_agrees(item: FlashItem) -> None:
    if not flash_store.is_enabled():
        return
    item.refresh_from_db()
    left, buyers = flash_store.snapshot(item.pk)
    assert left == item.flash_stock - item.sold
    assert buyers == dict(
        FlashBuyer.objects.filter(item=item, taken__gt=0).values_list("buyer_id", "taken")
    )
    assert flash_services.flash_reconcile(settle_seconds=0) == []


def expire_and_resell(item: FlashItem, units: int, newcomers: int) -> None:
    Order.objects.filter(status="pending_payment").update(
        payment_deadline=clock.now() - timedelta(seconds=1)
    )
    assert order_services.orders_cancel_unpaid(limit=1000) == units
    relay_pending()
    item.refresh_from_db()
    assert item.sold == 0
    assert FlashPurchase.objects.filter(item=item, status="released").count() == units
    assert FlashBuyer.objects.filter(item=item, taken__gt=0).count() == 0
    assert inventory_selectors.stock_of(item.sku_id)[1] == 0
    redis_agrees(item)
    _shoppers, jobs = make_jobs(0, newcomers)
    results = run_pool(jobs, item.pk)
    check_outcome(results, item, units)


@pytest.fixture
def rate_limits_on(settings: Any) -> None:
    settings.RATELIMIT_ENABLED = True


@pytest.fixture(autouse=True)
def _pool_for_every_thread() -> Iterator[None]:
    """The connection pool serves a few server threads in production; here THREADS threads
    share one interpreter (and its GIL), so each waits long enough holding a connection that
    the default pool of 10 would run dry. Give the pool one connection per thread."""
    options = connection.settings_dict.setdefault("OPTIONS", {})
    saved = options.get("pool")
    if not saved:
        yield
        return
    options["pool"] = {**saved, "max_size": THREADS + 4, "timeout": 60}
    connection.close_pool()
    yield
    connection.close_pool()
    options["pool"] = saved


@pytest.mark.redis
def test_two_thousand_attempts_for_a_hundred_units_with_redis(
    settings: Any, rate_limits_on: None
) -> None:
    settings.PROMOTIONS_FLASH_BACKEND = "auto"
    settings.PROMOTIONS_FLASH_KEY_PREFIX = f"race:{uuid.uuid4().hex[:10]}:"
    item = flash_item(flash_stock=100, per_user_limit=1, stock=1000)
    _shoppers, jobs = make_jobs(200, 1000)
    assert len(jobs) == 2000
    results = run_pool(jobs, item.pk)
    assert len(results) == 2000
    check_outcome(results, item, 100)
    expire_and_resell(item, 100, 300)


def test_the_same_race_on_the_database_alone(settings: Any, rate_limits_on: None) -> None:
    settings.PROMOTIONS_FLASH_BACKEND = "db"
    item = flash_item(flash_stock=30, per_user_limit=1, stock=500)
    _shoppers, jobs = make_jobs(40, 200)
    assert len(jobs) == 400
    results = run_pool(jobs, item.pk)
    assert len(results) == 400
    check_outcome(results, item, 30)
    expire_and_resell(item, 30, 90)
