"""Bargain (砍价) writes: starting a bargain, a friend's cut, buying at the price reached (through
orders.order_place, so a bargain order is an ordinary order), and settling when that order is
paid or cancelled.

Row locks and guards (the database has the last word):
  - a cut is one conditional UPDATE of the bargain row that compares-and-sets the helper count
    and the price it was computed from (`helpers_count < helpers_needed`,
    `current_price - cut >= floor_price`), then the help row in the same savepoint; a loser
    re-reads and computes again. UniqueConstraint(bargain, helper) refuses a second cut by
    one friend (IntegrityError → 409), CheckConstraints refuse any price below the floor;
  - buying marks the bargain purchased inside the order's transaction (pricing commit hook)
    by a conditional UPDATE `status in (active, reached) and open and price not below the
    charged one`, so a bargain is bought once; an unpaid order cancelled gives it back.
Lock order: the bargain row first, then its help rows or the order's rows (cuts and purchases
alike: a buy locks the bargain row before the order is priced, so no cut lands in between)."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.catalog import selectors as catalog_selectors
from circlemart.core import clock, ratelimit
from circlemart.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from circlemart.core.events import publish
from circlemart.orders import services as orders
from circlemart.pricing.contracts import PlacedOrder, QuoteItem
from circlemart.promotions import events
from circlemart.promotions.bargain import errors as codes
from circlemart.promotions.bargain.contracts import (
    BARGAIN_OPTION,
    LIVE_STATUSES,
    BargainHelpRef,
    BargainOrderRef,
    BargainRef,
    BargainStatus,
)
from circlemart.promotions.bargain.models import Bargain, BargainDeal, BargainHelp
from circlemart.promotions.options import option_id

HELP_RATE_USER = (10, 60)  # cuts per helper per minute: a friend taps a few links, a bot more
HELP_RATE_IP = (60, 60)  # per IP per minute (friends may share a NAT)
START_RATE_USER = (10, 60)
BUY_RATE_USER = (20, 10)
BUY_ATTEMPTS = 3  # a cut landing while the order is written: price again at the lower price
# The share of an even split one cut may take: between half and one and a half of it.
CUT_LOW, CUT_HIGH = (1, 2), (3, 2)

DEAL_FIELD = "deal_id"
FIELD = "bargain_id"

_system_random = random.SystemRandom()


# --- the cut ----------------------------------------------------------------------------------


def cut_amount(*, remaining: int, helpers_left: int, rng: random.Random) -> int:
    """The next helper's cut, in minor units, of `remaining` (current price − floor) with
    `helpers_left` helpers still to come, this one included.

    The last helper takes exactly what is left; any other takes a random amount between about
    half and one and a half of an even split, at least 1, and always leaving at least 1 for
    each helper after it — so the floor is reached with the last helper, never before."""
    if helpers_left < 1 or remaining < helpers_left:
        raise ValueError(f"cannot split {remaining} among {helpers_left} helpers")
    if helpers_left == 1:
        return remaining
    low = max(1, remaining * CUT_LOW[0] // (helpers_left * CUT_LOW[1]))
    high_share = -(-remaining * CUT_HIGH[0] // (helpers_left * CUT_HIGH[1]))  # ceiling
    high = min(remaining - (helpers_left - 1), high_share)
    low = min(low, high)
    return rng.randint(low, high)


# --- refusals ---------------------------------------------------------------------------------


def refusal(code: str, **extra: Any) -> DomainError:
    if code == codes.BARGAIN_DEAL_NOT_FOUND:
        return NotFound(
            _("This bargain deal does not exist."), code=code, field=DEAL_FIELD, extra=extra
        )
    if code == codes.BARGAIN_DEAL_NOT_STARTED:
        return Conflict(
            _("This bargain deal has not started yet."), code=code, field=DEAL_FIELD, extra=extra
        )
    if code == codes.BARGAIN_DEAL_ENDED:
        return Conflict(_("This bargain deal has ended."), code=code, field=DEAL_FIELD)
    if code == codes.BARGAIN_UNAVAILABLE:
        return Conflict(
            _("This product cannot be bargained for right now."), code=code, field=DEAL_FIELD
        )
    if code == codes.BARGAIN_ALREADY_STARTED:
        return Conflict(
            _("You already have a bargain going on this deal: share it with your friends."),
            code=code,
            field=DEAL_FIELD,
            extra=extra,
        )
    if code == codes.BARGAIN_START_LIMIT:
        return Conflict(
            _("You have started the most bargains allowed on this deal (%(limit)d).")
            % {"limit": extra.get("limit", 1)},
            code=code,
            field=DEAL_FIELD,
            extra=extra,
        )
    if code == codes.BARGAIN_OWN:
        return PermissionDenied(
            _("You cannot cut your own bargain: ask your friends to help."),
            code=code,
            field=FIELD,
        )
    if code == codes.BARGAIN_ALREADY_HELPED:
        return Conflict(
            _("You have already helped with this bargain: each friend can cut once."),
            code=code,
            field=FIELD,
        )
    if code == codes.BARGAIN_EXPIRED:
        return Conflict(_("This bargain has expired."), code=code, field=FIELD)
    if code == codes.BARGAIN_FLOOR_REACHED:
        return Conflict(
            _("This bargain is already at its lowest price: no more cuts needed."),
            code=code,
            field=FIELD,
        )
    if code == codes.BARGAIN_PURCHASED:
        return Conflict(_("This bargain has already been bought."), code=code, field=FIELD)
    if code == codes.BARGAIN_FLOOR_NOT_REACHED:
        return Conflict(
            _("This deal sells at the floor price only: %(left)d more friends must help first.")
            % {"left": extra.get("helpers_left", 1)},
            code=code,
            field=FIELD,
            extra=extra,
        )
    if code == codes.BARGAIN_BUSY:
        return Conflict(
            _("Many friends are cutting this bargain right now. Please try again."),
            code=code,
            field=FIELD,
        )
    if code == codes.BARGAIN_PRICE_CHANGED:
        return Conflict(
            _("The bargain price just dropped. Please try again."), code=code, field=FIELD
        )
    if code == codes.BARGAIN_ONE_UNIT:
        return ValidationFailed(_("A bargain price is for one unit."), code=code, field="quantity")
    if code == codes.BARGAIN_WRONG_ITEM:
        return ValidationFailed(
            _("This order does not contain the bargain's product."), code=code, field=FIELD
        )
    return NotFound(_("This bargain does not exist."), code=codes.BARGAIN_NOT_FOUND, field=FIELD)


def _buy_window_over() -> DomainError:
    return Conflict(
        _("The time to buy at this bargain price is over."),
        code=codes.BARGAIN_EXPIRED,
        field=FIELD,
    )


def bargain_id_of(options: dict[str, Any]) -> int | None:
    """options["bargain_id"] (an int or a digit string); blank is no bargain."""
    return option_id(options, BARGAIN_OPTION, invalid=lambda: refusal(codes.BARGAIN_NOT_FOUND))


def _is_open(bargain: Bargain, now: datetime) -> bool:
    return bargain.deal.is_active and now < bargain.expires_at


# --- starting ---------------------------------------------------------------------------------


def _deal(deal_id: int) -> BargainDeal:
    deal = BargainDeal.objects.filter(pk=deal_id, is_active=True).first()
    if deal is None:
        raise refusal(codes.BARGAIN_DEAL_NOT_FOUND)
    return deal


def _live_bargain_id(*, deal_id: int, starter_id: int) -> int | None:
    return (
        Bargain.objects.filter(deal_id=deal_id, starter_id=starter_id, status__in=LIVE_STATUSES)
        .values_list("pk", flat=True)
        .first()
    )


def bargain_start(*, deal_id: int, starter_id: int) -> BargainRef:
    """Start a bargain on a deal at the SKU's price now, open for `duration_hours` (never past
    the deal's end).

    Refusals: unknown or switched-off deal (404 bargain_deal_not_found), not started / ended
    (409), the SKU not on sale or its price too close to the floor (409 bargain_unavailable),
    a live bargain of the starter on this deal (409 bargain_already_started, with its
    `bargain_id`), the deal's per-user starts used up (409 bargain_start_limit), too many
    attempts (429)."""
    ratelimit.hit(
        f"bargain-start:user:{starter_id}", limit=START_RATE_USER[0], window=START_RATE_USER[1]
    )
    deal = _deal(deal_id)
    now = clock.now()
    if now < deal.starts_at:
        raise refusal(codes.BARGAIN_DEAL_NOT_STARTED, starts_at=deal.starts_at.isoformat())
    if now >= deal.ends_at:
        raise refusal(codes.BARGAIN_DEAL_ENDED)
    sku = catalog_selectors.skus_for_sale([deal.sku_id]).get(deal.sku_id)
    if sku is None or not sku.is_sellable or sku.price < deal.floor_price + deal.helpers_needed:
        raise refusal(codes.BARGAIN_UNAVAILABLE)
    expires_at = min(now + timedelta(hours=deal.duration_hours), deal.ends_at)
    with transaction.atomic():
        # A bargain whose window passed is over, whether or not the sweep has seen it yet.
        Bargain.objects.filter(
            deal_id=deal.pk, starter_id=starter_id, status__in=LIVE_STATUSES, expires_at__lte=now
        ).update(status=BargainStatus.EXPIRED)
        live = _live_bargain_id(deal_id=deal.pk, starter_id=starter_id)
        if live is not None:
            raise refusal(codes.BARGAIN_ALREADY_STARTED, bargain_id=live)
        started = Bargain.objects.filter(deal_id=deal.pk, starter_id=starter_id).count()
        if started >= deal.max_starts_per_user:
            raise refusal(codes.BARGAIN_START_LIMIT, limit=deal.max_starts_per_user)
        try:
            with transaction.atomic():
                bargain = Bargain.objects.create(
                    deal=deal,
                    starter_id=starter_id,
                    start_number=started + 1,
                    sku_id=deal.sku_id,
                    currency=sku.currency,
                    start_price=sku.price,
                    current_price=sku.price,
                    floor_price=deal.floor_price,
                    helpers_needed=deal.helpers_needed,
                    started_at=now,
                    expires_at=expires_at,
                )
        except IntegrityError:  # a parallel start of the same shopper won
            live = _live_bargain_id(deal_id=deal.pk, starter_id=starter_id)
            if live is not None:
                raise refusal(codes.BARGAIN_ALREADY_STARTED, bargain_id=live) from None
            raise refusal(codes.BARGAIN_START_LIMIT, limit=deal.max_starts_per_user) from None
    return BargainRef(
        bargain_id=bargain.pk,
        deal_id=deal.pk,
        start_price=bargain.start_price,
        current_price=bargain.current_price,
        floor_price=bargain.floor_price,
        helpers_needed=bargain.helpers_needed,
        currency=bargain.currency,
        expires_at=bargain.expires_at,
    )


# --- helping ----------------------------------------------------------------------------------


def _bargain(bargain_id: int) -> Bargain:
    bargain = Bargain.objects.select_related("deal").filter(pk=bargain_id).first()
    if bargain is None:
        raise refusal(codes.BARGAIN_NOT_FOUND)
    return bargain


def _check_cuttable(bargain: Bargain, now: datetime) -> None:
    if bargain.status == BargainStatus.PURCHASED:
        raise refusal(codes.BARGAIN_PURCHASED)
    if bargain.status == BargainStatus.EXPIRED or not _is_open(bargain, now):
        raise refusal(codes.BARGAIN_EXPIRED)
    if bargain.status == BargainStatus.REACHED or bargain.helpers_count >= bargain.helpers_needed:
        raise refusal(codes.BARGAIN_FLOOR_REACHED)


def bargain_help(
    *, bargain_id: int, helper_id: int, ip: str = "", rng: random.Random | None = None
) -> BargainHelpRef:
    """A friend cuts the price once. The cut is random but bounded (cut_amount) so that the
    floor is reached exactly with the deal's last helper; `BargainCompleted` is published in
    the same transaction as that last cut.

    Refusals: unknown bargain (404 bargain_not_found), the starter (403 bargain_own), a second
    cut by one friend (409 bargain_already_helped), expired (409 bargain_expired), at the
    floor (409 bargain_floor_reached), bought (409 bargain_purchased), too many attempts
    (429)."""
    ratelimit.hit(
        f"bargain-help:user:{helper_id}", limit=HELP_RATE_USER[0], window=HELP_RATE_USER[1]
    )
    if ip:
        ratelimit.hit(f"bargain-help:ip:{ip}", limit=HELP_RATE_IP[0], window=HELP_RATE_IP[1])
    bargain = _bargain(bargain_id)
    if bargain.starter_id == helper_id:
        raise refusal(codes.BARGAIN_OWN)
    now = clock.now()
    _check_cuttable(bargain, now)
    if BargainHelp.objects.filter(bargain_id=bargain.pk, helper_id=helper_id).exists():
        raise refusal(codes.BARGAIN_ALREADY_HELPED)
    generator = rng or _system_random
    # Each lost compare-and-set means another cut (or a purchase) won: bounded by the count.
    for _attempt in range(bargain.helpers_needed + 2):
        seen_count, seen_price = bargain.helpers_count, bargain.current_price
        cut = cut_amount(
            remaining=seen_price - bargain.floor_price,
            helpers_left=bargain.helpers_needed - seen_count,
            rng=generator,
        )
        sequence = seen_count + 1
        reached = sequence == bargain.helpers_needed
        try:
            with transaction.atomic():
                updated = Bargain.objects.filter(
                    pk=bargain.pk,
                    status=BargainStatus.ACTIVE,
                    helpers_count=seen_count,
                    current_price=seen_price,
                    helpers_count__lt=F("helpers_needed"),
                    current_price__gte=F("floor_price") + cut,
                    expires_at__gt=now,
                ).update(
                    current_price=F("current_price") - cut,
                    helpers_count=F("helpers_count") + 1,
                    status=BargainStatus.REACHED if reached else BargainStatus.ACTIVE,
                    reached_at=now if reached else None,
                )
                if updated:
                    BargainHelp.objects.create(
                        bargain_id=bargain.pk,
                        helper_id=helper_id,
                        sequence=sequence,
                        cut=cut,
                        price_after=seen_price - cut,
                        helped_at=now,
                    )
                    if reached:
                        publish(
                            events.BargainCompleted(
                                bargain_id=bargain.pk,
                                deal_id=bargain.deal_id,
                                starter_id=bargain.starter_id,
                                final_price=seen_price - cut,
                                currency=bargain.currency,
                            )
                        )
        except IntegrityError:
            # The same friend's other request cut first (both passed the check above).
            if BargainHelp.objects.filter(bargain_id=bargain.pk, helper_id=helper_id).exists():
                raise refusal(codes.BARGAIN_ALREADY_HELPED) from None
            raise
        if updated:
            return BargainHelpRef(
                bargain_id=bargain.pk,
                sequence=sequence,
                cut=cut,
                current_price=seen_price - cut,
                floor_price=bargain.floor_price,
                helpers_count=sequence,
                helpers_needed=bargain.helpers_needed,
                currency=bargain.currency,
            )
        bargain = _bargain(bargain_id)
        _check_cuttable(bargain, clock.now())
    raise refusal(codes.BARGAIN_BUSY)


# --- buying -----------------------------------------------------------------------------------


def _check_buyable(bargain: Bargain, now: datetime) -> None:
    if bargain.status == BargainStatus.PURCHASED:
        raise refusal(codes.BARGAIN_PURCHASED)
    if bargain.status == BargainStatus.EXPIRED or not _is_open(bargain, now):
        raise _buy_window_over()
    if bargain.deal.buy_only_at_floor and bargain.status != BargainStatus.REACHED:
        raise refusal(
            codes.BARGAIN_FLOOR_NOT_REACHED,
            helpers_left=bargain.helpers_needed - bargain.helpers_count,
        )


def bargain_for_checkout(*, bargain_id: int, buyer_id: int | None) -> Bargain:
    """The bargain a checkout asks for, when the buyer started it and may buy it now.
    Someone else's bargain reads exactly like a missing one."""
    bargain = Bargain.objects.select_related("deal").filter(pk=bargain_id).first()
    if bargain is None or buyer_id is None or bargain.starter_id != buyer_id:
        raise refusal(codes.BARGAIN_NOT_FOUND)
    _check_buyable(bargain, clock.now())
    return bargain


def bargain_purchase_take(placed: PlacedOrder) -> None:
    """The commit hook: inside the order's transaction, mark the bargain purchased by this
    order — once, while open, and only if no cut made it cheaper than the price charged. Any
    refusal raises and the whole order rolls back."""
    bargain_id = bargain_id_of(placed.options)
    if bargain_id is None:
        return
    bargain = bargain_for_checkout(bargain_id=bargain_id, buyer_id=placed.buyer_id)
    line = next((line for line in placed.quote.lines if line.sku_id == bargain.sku_id), None)
    if line is None:
        raise refusal(codes.BARGAIN_WRONG_ITEM)
    if line.quantity != 1:
        raise refusal(codes.BARGAIN_ONE_UNIT)
    now = clock.now()
    statuses = [BargainStatus.REACHED] if bargain.deal.buy_only_at_floor else list(LIVE_STATUSES)
    if Bargain.objects.filter(
        pk=bargain.pk,
        starter_id=placed.buyer_id,
        status__in=statuses,
        expires_at__gt=now,
        current_price__gte=line.unit_price,
    ).update(
        status=BargainStatus.PURCHASED,
        order_number=placed.order_number,
        purchased_at=now,
        paid_at=None,
    ):
        return
    fresh = _bargain(bargain.pk)
    _check_buyable(fresh, now)
    raise refusal(codes.BARGAIN_PRICE_CHANGED)


def service_key(*, buyer_id: int, bargain_id: int, idempotency_key: str) -> str:
    """The order's idempotency key for one (buyer, bargain, client key)."""
    if not idempotency_key:
        return ""
    digest = hashlib.sha256(f"{buyer_id}:{bargain_id}:{idempotency_key}".encode()).hexdigest()
    return f"bargain:{digest[:40]}"


def _place_locked(*, buyer_id: int, bargain_id: int, data: orders.CheckoutInput) -> Any:
    """The bargain row is locked first (the lock order of cuts too), so no cut lands between
    the quote and the commit hook and the order charges the price it was quoted at; the
    order's own transaction runs inside this one."""
    with transaction.atomic():
        Bargain.objects.select_for_update().filter(pk=bargain_id).values_list("pk").first()
        return orders.order_place(buyer_id=buyer_id, data=data)


def _place(*, buyer_id: int, bargain: Bargain, address_id: int | None, key: str) -> Any:
    """One order for one unit at the bargain's price; priced again if a cut still landed
    while the order was written (the commit hook refused it as too dear — possible where the
    database has no row locks)."""
    data = orders.CheckoutInput(
        items=[QuoteItem(sku_id=bargain.sku_id, quantity=1)],
        address_id=address_id,
        source="buy_now",
        idempotency_key=key,
        options={BARGAIN_OPTION: bargain.pk},
    )
    for _attempt in range(BUY_ATTEMPTS - 1):
        try:
            return _place_locked(buyer_id=buyer_id, bargain_id=bargain.pk, data=data)
        except DomainError as refused:
            if refused.code != codes.BARGAIN_PRICE_CHANGED:
                raise
    return _place_locked(buyer_id=buyer_id, bargain_id=bargain.pk, data=data)


def bargain_buy(
    *,
    buyer_id: int,
    bargain_id: int,
    address_id: int | None,
    idempotency_key: str = "",
    return_url: str = "",
) -> BargainOrderRef:
    """The starter buys one unit at the price reached, within the bargain's window.

    Refusals: unknown or someone else's bargain (404 bargain_not_found), bought already (409
    bargain_purchased — the same idempotency key answers with the same order instead), the
    window over (409 bargain_expired), the floor not reached on a floor-only deal (409
    bargain_floor_not_reached), too many attempts (429), plus checkout's own (address,
    stock). With `return_url` ("{number}" stands for the order number) the answer carries the
    payment page."""
    ratelimit.hit(f"bargain-buy:user:{buyer_id}", limit=BUY_RATE_USER[0], window=BUY_RATE_USER[1])
    key = service_key(buyer_id=buyer_id, bargain_id=bargain_id, idempotency_key=idempotency_key)
    bargain = Bargain.objects.select_related("deal").filter(pk=bargain_id).first()
    if bargain is None or bargain.starter_id != buyer_id:
        raise refusal(codes.BARGAIN_NOT_FOUND)
    try:
        _check_buyable(bargain, clock.now())
    except DomainError as refused:
        # A repeated click after a success finds the bargain bought: same key, same order.
        if not (key and refused.code == codes.BARGAIN_PURCHASED):
            raise
    order = _place(buyer_id=buyer_id, bargain=bargain, address_id=address_id, key=key)
    payment_url = ""
    if return_url:
        payment_url = orders.order_pay_link(
            buyer_id=buyer_id,
            number=order.number,
            return_url=return_url.replace("{number}", order.number),
        )
    return BargainOrderRef(
        order_number=order.number,
        bargain_id=bargain.pk,
        unit_price=order.subtotal,
        total=order.total,
        currency=order.currency,
        payment_deadline=order.payment_deadline,
        payment_url=payment_url,
    )


# --- settling (handlers and the sweep call these; idempotent) --------------------------------


def bargain_order_paid(*, order_number: str, paid_at: datetime) -> int:
    return Bargain.objects.filter(
        order_number=order_number, status=BargainStatus.PURCHASED, paid_at__isnull=True
    ).update(paid_at=paid_at)


def bargain_order_release(*, order_number: str) -> bool:
    """The bargain's order was cancelled unpaid: the starter may buy it again while its window
    is open (back to active, or reached at the floor); past the window it is expired. Exactly
    once: a conditional UPDATE on purchased-by-this-order. True when it was released."""
    bargain = Bargain.objects.filter(
        order_number=order_number, status=BargainStatus.PURCHASED, paid_at__isnull=True
    ).first()
    if bargain is None:
        return False
    now = clock.now()
    if bargain.expires_at <= now:
        back = BargainStatus.EXPIRED
    elif bargain.helpers_count >= bargain.helpers_needed:
        back = BargainStatus.REACHED
    else:
        back = BargainStatus.ACTIVE
    held = Bargain.objects.filter(
        pk=bargain.pk, order_number=order_number, status=BargainStatus.PURCHASED
    )
    try:
        with transaction.atomic():
            released = held.update(status=back, order_number="", purchased_at=None)
    except IntegrityError:
        # The starter started another bargain on this deal meanwhile: that one stays live.
        released = held.update(status=BargainStatus.EXPIRED, order_number="", purchased_at=None)
    return bool(released)


def bargains_expire(*, limit: int = 500) -> int:
    """Mark live bargains past their window expired (the services already treat them so)."""
    now = clock.now()
    due = list(
        Bargain.objects.filter(status__in=LIVE_STATUSES, expires_at__lte=now)
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not due:
        return 0
    return Bargain.objects.filter(pk__in=due, status__in=LIVE_STATUSES, expires_at__lte=now).update(
        status=BargainStatus.EXPIRED
    )
