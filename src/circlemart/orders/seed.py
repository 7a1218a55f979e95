"""Demo orders: a few hundred orders in every status, made through the real services and the
test gateway (checkout → hosted page → webhook → outbox → paid → shipped → …), then backdated
over the last 60 days so dashboards have history. A second run adds nothing."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import TestCase, override_settings
from django.urls import reverse

from circlemart.accounts import selectors as account_selectors
from circlemart.accounts import services as account_services
from circlemart.accounts.seed import demo_email
from circlemart.catalog import selectors as catalog_selectors
from circlemart.core import clock
from circlemart.core.errors import DomainError
from circlemart.core.events import relay_pending
from circlemart.core.progress import Progress
from circlemart.inventory import selectors as inventory_selectors
from circlemart.orders import aftersales, services
from circlemart.orders.contracts import OrderStatus as S
from circlemart.orders.models import (
    AfterSalesRequest,
    AfterSalesTransition,
    Order,
    OrderLine,
    OrderTransition,
)
from circlemart.payments import gateway
from circlemart.pricing import services as pricing_services
from circlemart.pricing.contracts import QuoteItem

logger = logging.getLogger(__name__)

DEMO_KEY_PREFIX = "demo-seed:"
HISTORY_DAYS = 60
SKU_POOL = 400
# What each demo order becomes; "requested"/"refunded" are after-sales outcomes.
PLANS = (
    "pending_payment",
    "paid",
    "shipped",
    "delivered",
    "completed",
    "cancelled",
    "requested",
    "refunded",
)
PLAN_WEIGHTS = (6, 14, 14, 12, 30, 10, 7, 7)
CARRIERS = ("顺丰 SF Express", "中通 ZTO", "圆通 YTO", "韵达 Yunda", "京东 JD Logistics", "EMS")
CARRIER_PREFIX = {"顺丰": "SF", "中通": "ZTO", "圆通": "YT", "韵达": "YD", "京东": "JD", "EMS": "E"}
PLACES = (
    ("上海", "上海市", "浦东新区"),
    ("北京", "北京市", "朝阳区"),
    ("广东", "深圳市", "南山区"),
    ("广东", "广州市", "天河区"),
    ("浙江", "杭州市", "西湖区"),
    ("四川", "成都市", "武侯区"),
    ("湖北", "武汉市", "洪山区"),
    ("江苏", "南京市", "鼓楼区"),
    ("陕西", "西安市", "雁塔区"),
    ("重庆", "重庆市", "渝中区"),
    ("新疆", "乌鲁木齐市", "天山区"),
    ("西藏", "拉萨市", "城关区"),
)
MOBILE_PREFIXES = ("135", "136", "137", "138", "139", "150", "158", "186", "188", "189")
STREETS = ("人民路", "解放路", "中山路", "建设路", "和平路", "长江路", "滨江大道", "科技园路")
REASONS = [value for value in AfterSalesRequest.Reason.values if value != "not_received"]
# (region, method, fee, free from) in minor units. "" is every region without its own rule.
SHIPPING_RULES = (
    ("", "standard", 800, 9900),
    ("", "express", 1800, None),
    ("新疆", "standard", 2000, None),
    ("西藏", "standard", 2000, None),
)


def seed_shipping_rules() -> int:
    """The demo shipping rules; existing rules (same region and method) are left alone."""
    return sum(
        pricing_services.shipping_rule_ensure(
            region=region, method=method, fee=fee, free_over=free_over
        )
        for region, method, fee, free_over in SHIPPING_RULES
    )


@contextmanager
def payments_in_process() -> Iterator[None]:
    """Run what a worker would, here and now: Celery tasks inline (webhook deliveries, refund
    settlement, outbox relays) and webhooks posted through the app without a socket.

    Demo orders are paid through the built-in test gateway whatever the shop's providers
    are, for the length of the seeding only (nothing of it is reachable from the web)."""
    conf = current_app.conf
    was_eager = conf.task_always_eager
    conf.task_always_eager = True
    try:
        with override_settings(
            PAYMENTS_WEBHOOK_TRANSPORT="in_process",
            PAYMENTS_TEST_MODE=True,
            PAYMENT_PROVIDERS=[gateway.PROVIDER_NAME],
        ):
            yield
    finally:
        conf.task_always_eager = was_eager


@contextmanager
def _committed() -> Iterator[None]:
    """One step as its own request: its after-commit work (tasks, relays) runs when it ends.

    Outside a transaction Django runs that work at each commit anyway; inside an outer one
    (a caller's atomic block, a test) it would wait for the very end, so it is run here."""
    if not connection.in_atomic_block:
        yield
        return
    with TestCase.captureOnCommitCallbacks(execute=True):
        yield


def step(service: Any, **kwargs: Any) -> Any:
    """Call a service; the relays its commit schedules (tasks run inline) carry its events to
    their handlers before the next step, e.g. PaymentCaptured → order paid."""
    with _committed():
        return service(**kwargs)


def demo_pay(*, number: str, buyer_id: int) -> bool | None:
    """Pay a demo order through the test gateway's hosted page, as its buyer would (inside
    payments_in_process). None when the shop pays through another provider (left unpaid)."""
    payment = step(
        services.order_pay,
        buyer_id=buyer_id,
        number=number,
        return_url=f"/orders/{number}/",
        provider=gateway.PROVIDER_NAME,
    )
    if payment.provider != gateway.PROVIDER_NAME:
        logger.warning("demo orders are paid only through the test gateway; left unpaid")
        return None
    token = payment.redirect_url.rstrip("/").rsplit("/", 1)[-1]
    step(gateway.charge_complete, token=token, pay=True)
    status = Order.objects.filter(number=number).values_list("status", flat=True).first()
    if status != S.PAID:
        logger.warning("demo order %s was not paid (%s)", number, status)
        return False
    return True


class _Seeder:
    def __init__(
        self, *, rng: random.Random, staff_id: int, key_prefix: str = DEMO_KEY_PREFIX
    ) -> None:
        self.rng = rng
        self.staff_id = staff_id
        self.key_prefix = key_prefix
        self.now = clock.now()
        self.stock: dict[int, int] = {}
        self.can_pay = True

    # --- inputs ---

    def load_skus(self) -> None:
        in_stock = inventory_selectors.in_stock_sku_ids().order_by("sku_id")
        candidates = list(in_stock.values_list("sku_id", flat=True)[: SKU_POOL * 2])
        sellable = catalog_selectors.skus_for_sale(candidates)
        available = inventory_selectors.available_by_sku(candidates)
        self.stock = {
            sku_id: available.get(sku_id, 0)
            for sku_id, sku in sellable.items()
            if sku.is_sellable and available.get(sku_id, 0) > 2
        }

    def ensure_address(self, user: Any) -> int:
        existing = account_selectors.default_address_id(user.pk)
        if existing is not None:
            return existing
        province, city, district = self.rng.choice(PLACES)
        address = account_services.address_create(
            user=user,
            data=account_services.AddressInput(
                recipient=(user.nickname or "顾客")[:20],
                phone=f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}",
                province=province,
                city=city,
                district=district,
                detail=f"{self.rng.choice(STREETS)} {self.rng.randint(1, 999)} 号",
                label=self.rng.choice(["家", "公司", ""]),
            ),
        )
        return int(address.pk)

    def items(self) -> list[QuoteItem]:
        skus = [sku_id for sku_id, left in self.stock.items() if left > 2]
        picked = self.rng.sample(skus, k=min(len(skus), self.rng.choice((1, 1, 1, 2, 2, 3))))
        items = []
        for sku_id in picked:
            quantity = self.rng.choice((1, 1, 1, 2))
            self.stock[sku_id] -= quantity
            items.append(QuoteItem(sku_id=sku_id, quantity=quantity))
        return items

    # --- one order ---

    def place(
        self, index: int, buyer_id: int, address_id: int, options: dict[str, Any] | None = None
    ) -> Order | None:
        items = self.items()
        if not items:
            return None
        try:
            return step(
                services.order_place,
                buyer_id=buyer_id,
                data=services.CheckoutInput(
                    items=items,
                    address_id=address_id,
                    shipping_method="express" if self.rng.random() < 0.2 else "standard",
                    idempotency_key=f"{self.key_prefix}{index}",
                    options=options,
                ),
            )
        except DomainError as error:  # sold out under us, limits per order: skip this one
            logger.info("demo order %s not placed: %s", index, error.message)
            return None

    def pay(self, order: Order) -> bool:
        if not self.can_pay:
            return False
        paid = demo_pay(number=order.number, buyer_id=order.buyer_id)
        order.refresh_from_db()
        if paid is None:
            self.can_pay = False
        return bool(paid)

    def ship(self, order: Order) -> None:
        carrier = self.rng.choice(CARRIERS)
        prefix = next(code for name, code in CARRIER_PREFIX.items() if carrier.startswith(name))
        step(
            services.order_ship,
            staff_id=self.staff_id,
            number=order.number,
            carrier=carrier,
            tracking_number=f"{prefix}{self.rng.randrange(10**11, 10**12)}",
        )

    def make(
        self,
        index: int,
        plan: str,
        buyer_id: int,
        address_id: int,
        options: dict[str, Any] | None = None,
    ) -> Order | None:
        order = self.place(index, buyer_id, address_id, options)
        if order is None or plan == "pending_payment":
            return order
        if plan == "cancelled":
            step(services.order_cancel, actor_id=buyer_id, number=order.number)
            return order
        if not self.pay(order):
            return order
        shipped = plan in {"shipped", "delivered", "completed"} or (
            plan in {"requested", "refunded"} and self.rng.random() < 0.6
        )
        if shipped:
            self.ship(order)
        if plan in {"delivered", "completed"} or (shipped and plan in {"requested", "refunded"}):
            step(services.order_confirm_delivery, buyer_id=buyer_id, number=order.number)
        if plan == "completed":
            step(services.order_complete, buyer_id=buyer_id, number=order.number)
        if plan in {"requested", "refunded"}:
            request = step(
                aftersales.aftersales_request,
                buyer_id=buyer_id,
                number=order.number,
                kind="return_refund" if shipped and self.rng.random() < 0.5 else "refund_only",
                reason=self.rng.choice(REASONS),
                detail=self.rng.choice(["", "包装破损", "颜色和图片不一样", "不想要了"]),
            )
            if plan == "refunded":
                self.refund(request)
        return order

    def refund(self, request: AfterSalesRequest) -> None:
        step(aftersales.aftersales_approve, staff_id=self.staff_id, request_id=request.pk)
        request.refresh_from_db()
        if request.status == AfterSalesRequest.Status.AWAITING_RETURN:
            step(
                aftersales.aftersales_ship_return,
                buyer_id=request.buyer_id,
                request_id=request.pk,
                carrier="顺丰 SF Express",
                tracking_number=f"SF{self.rng.randrange(10**11, 10**12)}",
            )
            step(
                aftersales.aftersales_receive_return, staff_id=self.staff_id, request_id=request.pk
            )

    # --- history ---

    def backdate(self, order_id: int, plan: str) -> None:
        """Spread the order's life over the past, keeping each status where the sweeps leave
        it: shipped orders younger than the auto-confirm delay, delivered ones younger than
        the auto-complete delay, unpaid ones inside their payment window."""
        order = Order.objects.get(pk=order_id)
        rng = self.rng
        if order.status == S.PENDING_PAYMENT:
            placed = self.now - timedelta(minutes=rng.randint(1, 20))
            self._move(order, placed, {})
            return
        gaps: dict[str, timedelta] = {}
        if order.paid_at:
            gaps["paid_at"] = timedelta(minutes=rng.randint(1, 25))
        if order.cancelled_at:
            gaps["cancelled_at"] = timedelta(minutes=rng.randint(5, 29))
        if order.shipped_at:
            gaps["shipped_at"] = gaps["paid_at"] + timedelta(hours=rng.randint(3, 40))
        if order.delivered_at:
            gaps["delivered_at"] = gaps["shipped_at"] + timedelta(hours=rng.randint(24, 96))
        if order.completed_at:
            gaps["completed_at"] = gaps["delivered_at"] + timedelta(hours=rng.randint(2, 120))
        last = max(gaps.values(), default=timedelta(0))
        newest = {  # how recent the order's last step must be to stay in its status
            S.PAID: timedelta(days=2),
            S.SHIPPED: timedelta(days=settings.ORDER_AUTO_CONFIRM_DAYS - 1),
            S.DELIVERED: timedelta(days=settings.ORDER_COMPLETE_AFTER_DAYS - 1),
        }.get(S(order.status), timedelta(days=HISTORY_DAYS))
        if plan in {"requested", "refunded"}:  # inside the after-sales window
            newest = min(newest, timedelta(days=settings.AFTER_SALES_WINDOW_DAYS - 2))
        newest = min(newest, timedelta(days=HISTORY_DAYS) - last)  # placed within the history
        age = timedelta(minutes=rng.randint(60, max(61, int(newest.total_seconds() // 60))))
        placed = self.now - age - last
        self._move(order, placed, {name: placed + gap for name, gap in gaps.items()})

    def _move(self, order: Order, placed: datetime, stamps: dict[str, datetime]) -> None:
        deadline = placed + timedelta(minutes=settings.ORDER_PAYMENT_WINDOW_MINUTES)
        Order.objects.filter(pk=order.pk).update(
            placed_at=placed, payment_deadline=deadline, **stamps
        )
        at_status = {
            S.PENDING_PAYMENT: placed,
            S.PAID: stamps.get("paid_at"),
            S.SHIPPED: stamps.get("shipped_at"),
            S.DELIVERED: stamps.get("delivered_at"),
            S.COMPLETED: stamps.get("completed_at"),
            S.CANCELLED: stamps.get("cancelled_at"),
        }
        latest = max(stamps.values(), default=placed)
        requests = AfterSalesRequest.objects.filter(order_id=order.pk)
        asked: datetime | None = None
        if requests.exists():
            asked = latest + timedelta(hours=self.rng.randint(1, 24))
            asked = min(asked, self.now - timedelta(minutes=5))
            requests.update(created_at=asked, updated_at=asked)
            AfterSalesTransition.objects.filter(request__order_id=order.pk).update(at=asked)
        refunding = False
        for transition in OrderTransition.objects.filter(order_id=order.pk).order_by("id"):
            # A refund happens when the request is made; what follows it (refunded, or back
            # to the status it left) happens then too.
            refunding = refunding or transition.to_status == S.REFUNDING
            moment = asked if refunding and asked else at_status.get(S(transition.to_status))
            OrderTransition.objects.filter(pk=transition.pk).update(at=moment or latest)


def _buyers(user_ids: Iterable[int]) -> list[Any]:
    user_model = get_user_model()
    return list(user_model.objects.filter(pk__in=list(user_ids), is_active=True).order_by("pk"))


def _plans(rng: random.Random, count: int) -> list[str]:
    """Every plan at least once (even in a tiny world), the rest by weight."""
    plans = list(PLANS[:count])
    plans += rng.choices(PLANS, weights=PLAN_WEIGHTS, k=max(0, count - len(plans)))
    return plans


def demo_orders_exist() -> bool:
    return Order.objects.filter(idempotency_key__startswith=DEMO_KEY_PREFIX).exists()


def seed_orders(
    *, rng: random.Random, user_ids: list[int], count: int = 300, progress: bool = True
) -> int:
    """Place `count` demo orders for the given shoppers; returns how many were made. Skips
    everything when demo orders already exist, so a second run adds nothing."""
    seed_shipping_rules()
    if demo_orders_exist() or count <= 0:
        return 0
    staff_id = (
        get_user_model()
        .objects.filter(email=demo_email("merchant"))
        .values_list("pk", flat=True)
        .first()
    )
    if staff_id is None:
        raise RuntimeError("seed the demo staff (accounts.seed.seed_staff) before orders")
    buyers = _buyers(user_ids)
    if not buyers:
        return 0
    seeder = _Seeder(rng=rng, staff_id=staff_id)
    seeder.load_skus()
    if not seeder.stock:
        return 0
    made: list[tuple[int, str]] = []
    plans: Iterable[tuple[int, str]] = enumerate(_plans(rng, count))
    addresses: dict[int, int] = {}
    with payments_in_process():
        # Warm up before the bar starts: the first payment link imports every URLconf (which
        # has the test gateway's pages only in test mode, hence inside payments_in_process).
        reverse("hello")
        if progress:
            plans = Progress(plans, total=count, desc="orders", unit="order")
        for index, plan in plans:
            buyer = buyers[rng.randrange(len(buyers))]
            if buyer.pk not in addresses:
                addresses[buyer.pk] = seeder.ensure_address(buyer)
            order = seeder.make(index, plan, buyer.pk, addresses[buyer.pk])
            if order is not None:
                made.append((order.pk, plan))
        with _committed():
            relay_pending()  # anything a handler left for a retry
    for order_id, plan in made:
        seeder.backdate(order_id, plan)
    return len(made)


def demo_purchases(*, key_prefix: str = DEMO_KEY_PREFIX) -> list[tuple[int, int, int]]:
    """(buyer id, product id, order line id) of the delivered and completed demo orders'
    lines, oldest first: what demo reviews can be written about."""
    return list(
        OrderLine.objects.filter(
            order__idempotency_key__startswith=key_prefix,
            order__status__in=[S.DELIVERED, S.COMPLETED],
        )
        .order_by("pk")
        .values_list("order__buyer_id", "product_id", "pk")
    )
