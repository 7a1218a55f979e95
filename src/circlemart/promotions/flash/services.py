"""Flash-sale writes: buying (through orders.order_place, so a flash order is an ordinary
order), taking units inside the order's transaction, settling them when the order is paid or
cancelled, and reconciling Redis with the database.

The decision, in order:
  1. a cheap read refuses the obvious (not started, ended, sold out, at the limit) before any
     order is written — with Redis this is the Lua script in check mode, else one SELECT
     (flash_buy_check, which writes nothing: the API answers its refusals without recording
     its Idempotency-Key, and claims the key only before flash_buy_place);
  2. inside the order's transaction (pricing commit hook) the Lua script takes the units in
     Redis, then the database takes them with conditional UPDATEs, buyer row first, then the
     item row (the one lock order, also for releases): `taken + n <= limit` and
     `sold + n <= flash_stock`. If the database refuses after Redis said yes, the Redis units go
     straight back; if the order rolls back later, flash_buy_place gives them back.
Units of unpaid orders return when the order is cancelled (OrderCancelled handler)."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from circlemart.catalog import selectors as catalog
from circlemart.core import clock, ratelimit
from circlemart.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from circlemart.core.events import publish
from circlemart.orders import services as orders
from circlemart.pricing.contracts import PlacedOrder, QuoteItem
from circlemart.pricing.services import MAX_QUANTITY, check_quantity
from circlemart.promotions import events
from circlemart.promotions.flash import errors as codes
from circlemart.promotions.flash import store
from circlemart.promotions.flash.contracts import FLASH_OPTION, FlashDrift, FlashOrderRef
from circlemart.promotions.flash.models import FlashBuyer, FlashItem, FlashPurchase, FlashSession
from circlemart.promotions.options import option_id

logger = logging.getLogger(__name__)

BUY_RATE_USER = (20, 10)  # buy attempts per user per 10 s: a person clicks, a bot hammers
BUY_RATE_IP = (200, 10)  # per IP per 10 s (several shoppers may share a NAT)
FIELD = "item_id"
ACTIVE_STATUSES = (FlashPurchase.Status.HELD, FlashPurchase.Status.PAID)


@dataclass
class _RedisTake:
    item_id: int
    buyer_id: int
    quantity: int
    order_number: str


# The Redis takes made by commit hooks during one flash_buy call, so that takes whose order
# rolled back can be given back (threads and asyncio tasks each see their own list).
_takes: ContextVar[list[_RedisTake] | None] = ContextVar("flash_redis_takes", default=None)


# --- refusals ----------------------------------------------------------------------------------


def refusal(
    code: str, *, item: FlashItem | None = None, quantity: int = 1, limit: int | None = None
) -> DomainError:
    if limit is None:
        limit = item.per_user_limit if item is not None else 0
    if code == codes.FLASH_NOT_STARTED:
        return Conflict(
            _("This flash sale has not started yet."),
            code=code,
            field=FIELD,
            extra={"starts_at": item.session.starts_at.isoformat()} if item else None,
        )
    if code == codes.FLASH_ENDED:
        return Conflict(_("This flash sale has ended."), code=code, field=FIELD)
    if code == codes.FLASH_SOLD_OUT:
        return Conflict(_("Sold out: every flash unit is taken."), code=code, field=FIELD)
    if code == codes.FLASH_NOT_ENOUGH_LEFT:
        return Conflict(
            _("Not enough flash units left for %(quantity)d.") % {"quantity": quantity},
            code=code,
            field="quantity",
        )
    if code == codes.FLASH_LIMIT_REACHED:
        return Conflict(
            _("You can buy at most %(limit)d of this flash item.") % {"limit": limit},
            code=code,
            field="quantity",
            extra={"limit": limit},
        )
    if code == codes.FLASH_WRONG_ITEM:
        return ValidationFailed(
            _("This order does not contain the flash item."), code=code, field=FIELD
        )
    return NotFound(_("This flash sale does not exist."), code=codes.FLASH_NOT_FOUND, field=FIELD)


_STORE_CODES = {
    store.NOT_STARTED: codes.FLASH_NOT_STARTED,
    store.ENDED: codes.FLASH_ENDED,
    store.LIMIT_REACHED: codes.FLASH_LIMIT_REACHED,
    store.SOLD_OUT: codes.FLASH_SOLD_OUT,
    store.NOT_ENOUGH_LEFT: codes.FLASH_NOT_ENOUGH_LEFT,
    store.INACTIVE: codes.FLASH_NOT_FOUND,
}


def flash_item_id_of(options: dict[str, Any]) -> int | None:
    return option_id(options, FLASH_OPTION, invalid=lambda: refusal(codes.FLASH_NOT_FOUND))


def flash_item(item_id: int) -> FlashItem:
    item = FlashItem.objects.select_related("session").filter(pk=item_id).first()
    if item is None or not item.session.is_active:
        raise refusal(codes.FLASH_NOT_FOUND)
    return item


def check_window(item: FlashItem, now: datetime) -> None:
    if now < item.session.starts_at:
        raise refusal(codes.FLASH_NOT_STARTED, item=item)
    if now >= item.session.ends_at:
        raise refusal(codes.FLASH_ENDED, item=item)


def check_quantity_limit(item: FlashItem, quantity: int) -> None:
    check_quantity(quantity, limit=item.per_user_limit)


# --- the Redis side --------------------------------------------------------------------------


def item_state(item: FlashItem) -> store.ItemState:
    """The item as the database says it is (the truth Redis is loaded from and checked
    against): units left and each buyer's held + paid units."""
    rows = (
        FlashPurchase.objects.filter(item_id=item.pk, status__in=ACTIVE_STATUSES)
        .values("buyer_id")
        .annotate(units=Sum("quantity"))
        .values_list("buyer_id", "units")
    )
    return store.ItemState(
        item_id=item.pk,
        remaining=item.flash_stock - item.sold,
        starts_at=item.session.starts_at,
        ends_at=item.session.ends_at,
        per_user_limit=item.per_user_limit,
        is_active=item.session.is_active,
        buyers={buyer_id: int(units) for buyer_id, units in rows},
    )


def _store_decide(item: FlashItem, *, buyer_id: int, quantity: int, mutate: bool) -> int:
    now = clock.now()
    result = store.take(
        item_id=item.pk, buyer_id=buyer_id, quantity=quantity, now=now, mutate=mutate
    )
    if result == store.NOT_LOADED:
        fresh = FlashItem.objects.select_related("session").get(pk=item.pk)
        store.load(item_state(fresh))
        result = store.take(
            item_id=item.pk, buyer_id=buyer_id, quantity=quantity, now=now, mutate=mutate
        )
    return result


def _store_decide_by_id(item_id: int, *, buyer_id: int, quantity: int) -> int:
    """The check alone, without reading the item from the database unless Redis does not
    hold it yet. A refusal is raised as it would be with the item read."""
    result = store.take(
        item_id=item_id, buyer_id=buyer_id, quantity=quantity, now=clock.now(), mutate=False
    )
    if result == store.NOT_LOADED:
        return _store_decide(
            flash_item(item_id), buyer_id=buyer_id, quantity=quantity, mutate=False
        )
    if result in (store.SOLD_OUT, store.ENDED, store.NOT_STARTED):
        # Refused for everyone alike: answer without a query. (Not started: the item is read
        # for its start time.)
        code = _STORE_CODES[result]
        if code == codes.FLASH_NOT_STARTED:
            raise refusal(code, item=flash_item(item_id))
        raise refusal(code)
    if result == store.INACTIVE:
        raise refusal(codes.FLASH_NOT_FOUND)
    if result == store.LIMIT_REACHED:
        # The buyers who have theirs already are refused without a query too: the script
        # checked the window, and the limit for the message is in Redis beside it.
        limit = store.per_user_limit(item_id)
        if limit is not None:
            check_quantity(quantity, limit=limit)  # above the limit itself: 400, as with the item
            raise refusal(codes.FLASH_LIMIT_REACHED, limit=limit)
    if result == store.NOT_ENOUGH_LEFT:
        raise refusal(codes.FLASH_NOT_ENOUGH_LEFT, quantity=quantity)
    return result


def _store_refuse(result: int, item: FlashItem, quantity: int) -> None:
    if result < 0:
        raise refusal(_STORE_CODES.get(result, codes.FLASH_NOT_FOUND), item=item, quantity=quantity)


# --- the database side -------------------------------------------------------------------------


def _db_check(item: FlashItem, *, buyer_id: int, quantity: int) -> None:
    """The DB-only fast refusal: read, never write (the conditional UPDATEs decide)."""
    left = item.flash_stock - item.sold
    if left <= 0:
        raise refusal(codes.FLASH_SOLD_OUT, item=item)
    taken = (
        FlashBuyer.objects.filter(item_id=item.pk, buyer_id=buyer_id)
        .values_list("taken", flat=True)
        .first()
    ) or 0
    if taken + quantity > item.per_user_limit:
        raise refusal(codes.FLASH_LIMIT_REACHED, item=item)
    if left < quantity:
        raise refusal(codes.FLASH_NOT_ENOUGH_LEFT, item=item, quantity=quantity)


def _db_take(
    item: FlashItem, *, buyer_id: int, quantity: int, order_number: str, unit_price: int
) -> None:
    """Inside the order's transaction: buyer row, then item row, then the purchase."""
    buyer, _created = FlashBuyer.objects.get_or_create(
        item_id=item.pk, buyer_id=buyer_id, defaults={"limit": item.per_user_limit}
    )
    if not FlashBuyer.objects.filter(pk=buyer.pk, taken__lte=item.per_user_limit - quantity).update(
        taken=F("taken") + quantity, limit=item.per_user_limit
    ):
        raise refusal(codes.FLASH_LIMIT_REACHED, item=item)
    if not FlashItem.objects.filter(pk=item.pk, sold__lte=F("flash_stock") - quantity).update(
        sold=F("sold") + quantity
    ):
        left = FlashItem.objects.filter(pk=item.pk).values_list("flash_stock", "sold").get()
        code = codes.FLASH_SOLD_OUT if left[0] <= left[1] else codes.FLASH_NOT_ENOUGH_LEFT
        raise refusal(code, item=item, quantity=quantity)
    FlashPurchase.objects.create(
        item_id=item.pk,
        buyer_id=buyer_id,
        order_number=order_number,
        quantity=quantity,
        unit_price=unit_price,
        status=FlashPurchase.Status.HELD,
        created_at=clock.now(),
    )
    stock, sold = FlashItem.objects.filter(pk=item.pk).values_list("flash_stock", "sold").get()
    if sold >= stock:
        publish(
            events.FlashSaleSoldOut(
                item_id=item.pk,
                session_id=item.session_id,
                sku_id=item.sku_id,
                flash_stock=stock,
                order_number=order_number,
            )
        )


def flash_units_take(placed: PlacedOrder) -> None:
    """The commit hook: runs inside the order's transaction after its lines and stock
    reservation are written. Any refusal raises and the whole order rolls back."""
    item_id = flash_item_id_of(placed.options)
    if item_id is None:
        return
    item = flash_item(item_id)
    check_window(item, clock.now())
    line = next((line for line in placed.quote.lines if line.sku_id == item.sku_id), None)
    if line is None:
        raise refusal(codes.FLASH_WRONG_ITEM, item=item)
    quantity = line.quantity
    check_quantity_limit(item, quantity)
    took_in_redis = False
    if store.is_enabled():
        result = _store_decide(item, buyer_id=placed.buyer_id, quantity=quantity, mutate=True)
        _store_refuse(result, item, quantity)
        took_in_redis = True
        takes = _takes.get()
        if takes is not None:
            takes.append(_RedisTake(item.pk, placed.buyer_id, quantity, placed.order_number))
    try:
        _db_take(
            item,
            buyer_id=placed.buyer_id,
            quantity=quantity,
            order_number=placed.order_number,
            unit_price=line.unit_price,
        )
    except DomainError:
        if took_in_redis:  # the database has the last word: Redis said yes too early
            _give_back_take(item.pk, placed.buyer_id, quantity, placed.order_number)
        raise


def _give_back_take(item_id: int, buyer_id: int, quantity: int, order_number: str) -> None:
    store.give_back(item_id=item_id, buyer_id=buyer_id, quantity=quantity)
    takes = _takes.get()
    if takes is not None:
        takes[:] = [take for take in takes if take.order_number != order_number]


@contextmanager
def _tracking_redis_takes() -> Iterator[list[_RedisTake]]:
    takes: list[_RedisTake] = []
    token = _takes.set(takes)
    try:
        yield takes
    finally:
        _takes.reset(token)


def _give_back_uncommitted(takes: list[_RedisTake], *, kept: str | None) -> None:
    """Redis units whose order never committed go back (a parallel copy of the same checkout
    won, or something after the hook refused the order)."""
    for take in takes:
        if take.order_number == kept:
            continue
        if FlashPurchase.objects.filter(
            item_id=take.item_id, order_number=take.order_number
        ).exists():
            continue
        store.give_back(item_id=take.item_id, buyer_id=take.buyer_id, quantity=take.quantity)


# --- buying -----------------------------------------------------------------------------------


def service_key(*, buyer_id: int, item_id: int, idempotency_key: str) -> str:
    """The order's idempotency key for one (buyer, item, client key): a double click with the
    same client key is one order, whichever way it arrives."""
    if not idempotency_key:
        return ""
    digest = hashlib.sha256(f"{buyer_id}:{item_id}:{idempotency_key}".encode()).hexdigest()
    return f"flash:{digest[:40]}"


def flash_buy_check(*, buyer_id: int, item_id: int, quantity: int, ip: str = "") -> FlashItem:
    """The first half of a buy, which writes nothing: counts the attempt against the rate
    limits and refuses what can be refused before an order is written — with Redis the Lua
    script in check mode (sold out, ended and not started answered without a query), else a
    SELECT or two. Returns the item to buy; raises the refusal (see flash_buy)."""
    ratelimit.hit(f"flash-buy:user:{buyer_id}", limit=BUY_RATE_USER[0], window=BUY_RATE_USER[1])
    if ip:
        ratelimit.hit(f"flash-buy:ip:{ip}", limit=BUY_RATE_IP[0], window=BUY_RATE_IP[1])
    check_quantity(quantity, limit=MAX_QUANTITY)
    if store.is_enabled():
        # Redis first: most attempts of a flash sale are refused here, before any query.
        result = _store_decide_by_id(item_id, buyer_id=buyer_id, quantity=quantity)
        item = flash_item(item_id)
        check_window(item, clock.now())
        check_quantity_limit(item, quantity)
        _store_refuse(result, item, quantity)
    else:
        item = flash_item(item_id)
        check_window(item, clock.now())
        check_quantity_limit(item, quantity)
        _db_check(item, buyer_id=buyer_id, quantity=quantity)
    return item


def flash_buy_place(
    *,
    buyer_id: int,
    item: FlashItem,
    quantity: int,
    address_id: int | None,
    idempotency_key: str = "",
    return_url: str = "",
) -> FlashOrderRef:
    """The second half of a buy: the order, whose commit hook takes the units (Redis, then the
    conditional UPDATEs) and refuses if they went meanwhile, then its payment. The same
    idempotency key answers with the same order."""
    key = service_key(buyer_id=buyer_id, item_id=item.pk, idempotency_key=idempotency_key)
    with _tracking_redis_takes() as takes:
        try:
            order = orders.order_place(
                buyer_id=buyer_id,
                data=orders.CheckoutInput(
                    items=[QuoteItem(sku_id=item.sku_id, quantity=quantity)],
                    address_id=address_id,
                    source="buy_now",
                    idempotency_key=key,
                    options={FLASH_OPTION: item.pk},
                ),
            )
        except BaseException:
            _give_back_uncommitted(takes, kept=None)
            raise
        _give_back_uncommitted(takes, kept=order.number)
    payment_url = ""
    if return_url:
        payment_url = orders.order_pay_link(
            buyer_id=buyer_id,
            number=order.number,
            return_url=return_url.replace("{number}", order.number),
        )
    return FlashOrderRef(
        order_number=order.number,
        item_id=item.pk,
        quantity=quantity,
        unit_price=order.subtotal // quantity if quantity else 0,
        total=order.total,
        currency=order.currency,
        payment_deadline=order.payment_deadline,
        payment_url=payment_url,
    )


def flash_buy(
    *,
    buyer_id: int,
    item_id: int,
    quantity: int,
    address_id: int | None,
    idempotency_key: str = "",
    ip: str = "",
    return_url: str = "",
) -> FlashOrderRef:
    """Buy a flash item now: one order at the flash price, to pay within the payment window
    (flash_buy_check, then flash_buy_place).

    Refusals: unknown (404 flash_not_found), not started / ended (409), sold out (409
    flash_sold_out), fewer left than asked (409 flash_not_enough_left), at the per-user limit
    (409 flash_limit_reached), a quantity above the limit (400 quantity_limit), too many
    attempts (429), plus checkout's own (address, stock). With `return_url` (where "{number}"
    stands for the order number) the answer carries the payment page to send the buyer to."""
    try:
        item = flash_buy_check(buyer_id=buyer_id, item_id=item_id, quantity=quantity, ip=ip)
    except DomainError as refused:
        # A repeated click after a success finds the buyer at the limit: same key, same order.
        if not (idempotency_key and refused.code == codes.FLASH_LIMIT_REACHED):
            raise
        item = flash_item(item_id)
    return flash_buy_place(
        buyer_id=buyer_id,
        item=item,
        quantity=quantity,
        address_id=address_id,
        idempotency_key=idempotency_key,
        return_url=return_url,
    )


# --- settling (handlers call these; idempotent) -------------------------------------------------


def flash_purchases_mark_paid(*, order_number: str) -> int:
    return FlashPurchase.objects.filter(
        order_number=order_number, status=FlashPurchase.Status.HELD
    ).update(status=FlashPurchase.Status.PAID)


def flash_units_release(*, order_number: str) -> int:
    """The order was cancelled unpaid: its units go back to the pool, exactly once (held →
    released by a conditional UPDATE), in the database and then — after commit — in Redis.
    Returns the units released."""
    released = 0
    with transaction.atomic():
        for purchase in FlashPurchase.objects.filter(
            order_number=order_number, status=FlashPurchase.Status.HELD
        ).order_by("item_id"):
            if not FlashPurchase.objects.filter(
                pk=purchase.pk, status=FlashPurchase.Status.HELD
            ).update(status=FlashPurchase.Status.RELEASED, released_at=clock.now()):
                continue  # a parallel delivery released it
            FlashBuyer.objects.filter(
                item_id=purchase.item_id, buyer_id=purchase.buyer_id, taken__gte=purchase.quantity
            ).update(taken=F("taken") - purchase.quantity)
            FlashItem.objects.filter(pk=purchase.item_id, sold__gte=purchase.quantity).update(
                sold=F("sold") - purchase.quantity
            )
            released += purchase.quantity
            if store.is_enabled():
                transaction.on_commit(
                    _give_back_later(purchase.item_id, purchase.buyer_id, purchase.quantity),
                    robust=True,
                )
    return released


def _give_back_later(item_id: int, buyer_id: int, quantity: int) -> Any:
    def give_back() -> None:
        store.give_back(item_id=item_id, buyer_id=buyer_id, quantity=quantity)

    return give_back


# --- reconciliation ----------------------------------------------------------------------------


def _drift(item: FlashItem) -> tuple[store.ItemState, int | None, int, dict[int, int]]:
    """(truth, Redis units left, stock delta, buyer deltas) — deltas that make Redis true."""
    state = item_state(item)  # the database first: a take in flight shows as Redis lower
    left, buyers = store.snapshot(item.pk)
    if left is None:
        return state, None, 0, {}
    buyer_deltas = {
        buyer: state.buyers.get(buyer, 0) - buyers.get(buyer, 0)
        for buyer in set(state.buyers) | set(buyers)
        if state.buyers.get(buyer, 0) != buyers.get(buyer, 0)
    }
    return state, left, state.remaining - left, buyer_deltas


def _items_to_check(item_ids: list[int] | None) -> list[FlashItem]:
    query = FlashItem.objects.select_related("session")
    if item_ids is not None:
        return list(query.filter(pk__in=item_ids).order_by("pk"))
    since = clock.now() - timedelta(days=1)
    return list(query.filter(session__ends_at__gt=since).order_by("pk"))


def flash_reconcile(
    *, item_ids: list[int] | None = None, settle_seconds: float = 2.0
) -> list[FlashDrift]:
    """Find items whose Redis counters disagree with the database and repair Redis (the
    database is the truth). A disagreement must still be there, unchanged, `settle_seconds`
    later: an order between its Redis take and its commit looks like drift for a moment.
    Repairs apply deltas, so takes running meanwhile are not overwritten."""
    if not store.is_enabled():
        return []
    seen: dict[int, tuple[int, dict[int, int]]] = {}
    for item in _items_to_check(item_ids):
        _state, left, stock_delta, buyer_deltas = _drift(item)
        if left is not None and (stock_delta or buyer_deltas):
            seen[item.pk] = (stock_delta, buyer_deltas)
    if seen and settle_seconds > 0:
        time.sleep(settle_seconds)
    report: list[FlashDrift] = []
    for item in _items_to_check(list(seen)):
        state, left, stock_delta, buyer_deltas = _drift(item)
        persisted = (stock_delta, buyer_deltas) == seen[item.pk]
        if persisted and left is not None:
            store.adjust(state, stock_delta=stock_delta, buyer_deltas=buyer_deltas)
            logger.warning(
                "flash item %s: Redis had %s left, the database %s; repaired",
                item.pk,
                left,
                state.remaining,
            )
        report.append(
            FlashDrift(
                item_id=item.pk,
                redis_remaining=left,
                db_remaining=state.remaining,
                buyers_repaired=len(buyer_deltas) if persisted else 0,
                repaired=persisted and left is not None,
            )
        )
    return report


def flash_item_sync(*, item_id: int) -> None:
    """After the back office changed an item or its session: Redis takes the new stock,
    window and limit at once (a no-op when Redis does not hold the item yet)."""
    if not store.is_enabled():
        return
    item = FlashItem.objects.select_related("session").filter(pk=item_id).first()
    if item is None:
        store.forget(item_id)
        return
    state, _left, stock_delta, buyer_deltas = _drift(item)
    store.adjust(state, stock_delta=stock_delta, buyer_deltas=buyer_deltas)


def flash_item_create(
    *,
    name: str,
    sku_id: int,
    price: int,
    quantity: int,
    starts_at: datetime,
    ends_at: datetime,
    per_user_limit: int = 1,
) -> int:
    """A one-item flash session (e.g. a live room's in-room deal) for an on-sale SKU: sold
    through flash_buy like any flash item. Refusals: ValidationFailed naming the field."""
    sku = catalog.skus_for_sale([sku_id]).get(sku_id)
    if sku is None or not sku.is_sellable:
        raise ValidationFailed(
            _("This product is not on sale."), code="sku_not_sellable", field="sku_id"
        )
    if price <= 0 or price >= sku.price:
        raise ValidationFailed(
            _("The flash price must be more than zero and below the list price."),
            code="invalid_flash_price",
            field="price",
        )
    if quantity < 1:
        raise ValidationFailed(_("At least one unit."), code="invalid_quantity", field="quantity")
    if ends_at <= starts_at:
        raise ValidationFailed(
            _("The end must be after the start."), code="invalid_window", field="minutes"
        )
    with transaction.atomic():
        session = FlashSession.objects.create(name=name[:60], starts_at=starts_at, ends_at=ends_at)
        item = FlashItem.objects.create(
            session=session,
            sku_id=sku_id,
            flash_price=price,
            flash_stock=quantity,
            per_user_limit=max(per_user_limit, 1),
        )
        transaction.on_commit(lambda: flash_item_sync(item_id=item.pk))
    return item.pk
