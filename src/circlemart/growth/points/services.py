"""Writes of the points ledger. Every change is one entry whose postings sum to zero, written
with the user's balance row locked (one user's movements run one after another; different
users never wait for each other) and under an idempotency key (a repeat returns the first)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import Conflict, ValidationFailed
from circlemart.growth.points.contracts import Account, EntryKind
from circlemart.growth.points.models import (
    PointsBalance,
    PointsDebt,
    PointsEntry,
    PointsLot,
    PointsLotUse,
    PointsPosting,
)
from circlemart.growth.points.selectors import earn_rule, points_spendable

INSUFFICIENT_POINTS = "insufficient_points"
LOT_BATCH = 20  # lots read at a time when a spend consumes them
REASON_OWED = "owed"  # a reverse entry paying points a refund left owed


def _check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationFailed(
            _("Points must be a whole number above zero."), code="invalid_points", field="points"
        )


def lock_balance(user_id: int) -> PointsBalance:
    """The user's balance row, created on first use and locked for this transaction (one
    statement when the row exists: the common case on every write)."""
    row = PointsBalance.objects.select_for_update().filter(user_id=user_id).first()
    if row is None:
        PointsBalance.objects.get_or_create(user_id=user_id)
        row = PointsBalance.objects.select_for_update().get(user_id=user_id)
    return row


def _existing(idempotency_key: str) -> PointsEntry | None:
    return PointsEntry.objects.filter(idempotency_key=idempotency_key).first()


def _write_entry(
    *,
    user_id: int,
    kind: EntryKind,
    reason: str,
    reference: str,
    amount: int,
    idempotency_key: str,
    user_delta: int,
    other: Account,
) -> PointsEntry:
    entry = PointsEntry.objects.create(
        user_id=user_id,
        kind=kind.value,
        reason=reason,
        reference=reference,
        amount=amount,
        idempotency_key=idempotency_key,
        created_at=clock.now(),
    )
    PointsPosting.objects.bulk_create(
        [
            PointsPosting(entry=entry, account=Account.USER, user_id=user_id, amount=user_delta),
            PointsPosting(entry=entry, account=other, user_id=None, amount=-user_delta),
        ]
    )
    return entry


def default_expiry(earned_at: datetime) -> datetime | None:
    """Points earned now expire after POINTS_EXPIRY_DAYS (0: never)."""
    days = settings.POINTS_EXPIRY_DAYS
    return earned_at + timedelta(days=days) if days > 0 else None


def _expiry(requested: datetime | bool | None, earned_at: datetime) -> datetime | None:
    if requested is True:
        return default_expiry(earned_at)
    return requested if isinstance(requested, datetime) else None


def points_earn(
    *,
    user_id: int,
    amount: int,
    reason: str,
    idempotency_key: str,
    reference: str = "",
    expires_at: datetime | bool | None = True,
) -> PointsEntry:
    """Credit `amount` points (issued → user) as a new lot. `expires_at=True` uses the default
    horizon; a datetime or None (never) overrides it. A repeated key returns the first entry."""
    _check_amount(amount)
    with transaction.atomic():
        lock_balance(user_id)
        existing = _existing(idempotency_key)
        if existing is not None:
            return existing
        entry = _write_entry(
            user_id=user_id,
            kind=EntryKind.EARN,
            reason=reason,
            reference=reference,
            amount=amount,
            idempotency_key=idempotency_key,
            user_delta=amount,
            other=Account.ISSUED,
        )
        PointsBalance.objects.filter(user_id=user_id).update(balance=F("balance") + amount)
        PointsLot.objects.create(
            user_id=user_id,
            entry=entry,
            amount=amount,
            remaining=amount,
            earned_at=entry.created_at,
            expires_at=_expiry(expires_at, entry.created_at),
        )
        _pay_debt(user_id=user_id, earned=entry)
    return entry


def _pay_debt(*, user_id: int, earned: PointsEntry) -> None:
    """New earnings first pay what a refund left owed (see points_take_back). The caller
    holds the user's balance lock."""
    owed = PointsDebt.objects.filter(user_id=user_id, owed__gt=0).values_list("owed", flat=True)
    if not owed:
        return
    pay = min(owed[0], earned.amount, points_spendable(user_id, now=earned.created_at))
    if pay <= 0:
        return
    entry = _write_entry(
        user_id=user_id,
        kind=EntryKind.REVERSE,
        reason=REASON_OWED,
        reference=earned.reference,
        amount=pay,
        idempotency_key=f"points-owed:{earned.pk}",
        user_delta=-pay,
        other=Account.REVERSED,
    )
    PointsBalance.objects.filter(user_id=user_id).update(balance=F("balance") - pay)
    PointsDebt.objects.filter(user_id=user_id, owed__gte=pay).update(owed=F("owed") - pay)
    _consume_lots(user_id=user_id, entry=entry, amount=pay, now=entry.created_at)


def take_back_locked(
    *, user_id: int, amount: int, reason: str, idempotency_key: str, reference: str = ""
) -> tuple[int, int]:
    """Take back `amount` earned points: what the user can spend now is reversed (one entry
    under `idempotency_key`), the rest is recorded as owed and paid first by their next
    earnings. Returns (taken, owed). The caller holds the balance lock (lock_balance) and
    makes the whole take-back happen once (points.orders counts it on the order)."""
    _check_amount(amount)
    taken = min(amount, points_spendable(user_id))
    if taken > 0:
        points_reverse(
            user_id=user_id,
            amount=taken,
            reason=reason,
            idempotency_key=idempotency_key,
            reference=reference,
        )
    owed = amount - taken
    if owed > 0:
        PointsDebt.objects.get_or_create(user_id=user_id)
        PointsDebt.objects.filter(user_id=user_id).update(owed=F("owed") + owed)
    return taken, owed


def _consume_lots(*, user_id: int, entry: PointsEntry, amount: int, now: datetime) -> None:
    """Take `amount` from the user's unexpired lots, soonest expiry first, then oldest."""
    left = amount
    lots = (
        PointsLot.objects.filter(user_id=user_id, remaining__gt=0)
        .exclude(expires_at__lte=now)
        .order_by(F("expires_at").asc(nulls_last=True), "earned_at", "id")
    )
    uses = []
    # A few lots at a time: a user with thousands of small lots must not load them all for a
    # spend that the oldest one covers. A lot taken whole drops out of the next batch.
    while left > 0:
        batch = list(lots[:LOT_BATCH])
        if not batch:
            break
        for lot in batch:
            take = min(lot.remaining, left)
            PointsLot.objects.filter(pk=lot.pk).update(remaining=F("remaining") - take)
            uses.append(PointsLotUse(lot=lot, entry=entry, amount=take))
            left -= take
            if left == 0:
                break
    if left:  # the balance said yes but the lots disagree: refuse rather than drift
        raise Conflict(
            _("Your points balance is not enough."), code=INSUFFICIENT_POINTS, field="points"
        )
    PointsLotUse.objects.bulk_create(uses)


def _take(
    *,
    user_id: int,
    amount: int,
    kind: EntryKind,
    account: Account,
    reason: str,
    reference: str,
    idempotency_key: str,
) -> PointsEntry:
    _check_amount(amount)
    with transaction.atomic():
        lock_balance(user_id)
        existing = _existing(idempotency_key)
        if existing is not None:
            return existing
        taken = PointsBalance.objects.filter(user_id=user_id, balance__gte=amount).update(
            balance=F("balance") - amount
        )
        if not taken:
            raise Conflict(
                _("Your points balance is not enough."), code=INSUFFICIENT_POINTS, field="points"
            )
        entry = _write_entry(
            user_id=user_id,
            kind=kind,
            reason=reason,
            reference=reference,
            amount=amount,
            idempotency_key=idempotency_key,
            user_delta=-amount,
            other=account,
        )
        _consume_lots(user_id=user_id, entry=entry, amount=amount, now=entry.created_at)
    return entry


def points_spend(
    *, user_id: int, amount: int, reason: str, idempotency_key: str, reference: str = ""
) -> PointsEntry:
    """Debit `amount` points (user → spent), oldest lots first. Refused with 409
    insufficient_points when the balance is short; nothing is written then."""
    return _take(
        user_id=user_id,
        amount=amount,
        kind=EntryKind.SPEND,
        account=Account.SPENT,
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
    )


def points_reverse(
    *, user_id: int, amount: int, reason: str, idempotency_key: str, reference: str = ""
) -> PointsEntry:
    """Take back earned points (user → reversed). Refused like a spend when the balance is
    short: the caller decides what to take instead (see points.handlers)."""
    return _take(
        user_id=user_id,
        amount=amount,
        kind=EntryKind.REVERSE,
        account=Account.REVERSED,
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
    )


def points_return(
    *, spend_entry_id: int, amount: int, reason: str, idempotency_key: str
) -> PointsEntry | None:
    """Give back up to `amount` of what a spend took (spent → user), into the very lots it came
    from, most recently consumed first: returned points keep their original expiry (a lot
    already past it is swept to expired by the next expiry run). Returns None when nothing
    of the spend is left to return."""
    _check_amount(amount)
    spend = PointsEntry.objects.get(pk=spend_entry_id, kind=EntryKind.SPEND)
    with transaction.atomic():
        lock_balance(spend.user_id)
        existing = _existing(idempotency_key)
        if existing is not None:
            return existing
        uses = list(
            PointsLotUse.objects.select_for_update()
            .filter(entry=spend, returned__lt=F("amount"))
            .order_by("-id")
        )
        returnable = sum(use.amount - use.returned for use in uses)
        back = min(amount, returnable)
        if back <= 0:
            return None
        entry = _write_entry(
            user_id=spend.user_id,
            kind=EntryKind.RETURN,
            reason=reason,
            reference=spend.reference,
            amount=back,
            idempotency_key=idempotency_key,
            user_delta=back,
            other=Account.SPENT,
        )
        left = back
        for use in uses:
            give = min(use.amount - use.returned, left)
            PointsLotUse.objects.filter(pk=use.pk).update(returned=F("returned") + give)
            PointsLot.objects.filter(pk=use.lot_id).update(remaining=F("remaining") + give)
            left -= give
            if left == 0:
                break
        PointsBalance.objects.filter(user_id=spend.user_id).update(balance=F("balance") + back)
    return entry


def points_expire_lot(*, lot_id: int) -> PointsEntry | None:
    """Expire what is left of one lot past its expiry (user → expired). Idempotent: a lot
    already empty or not yet due is left alone."""
    lot = PointsLot.objects.filter(pk=lot_id).only("user_id").first()
    if lot is None:
        return None
    with transaction.atomic():
        lock_balance(lot.user_id)
        lot = PointsLot.objects.select_for_update().get(pk=lot_id)
        now = clock.now()
        if lot.remaining <= 0 or lot.expires_at is None or lot.expires_at > now:
            return None
        amount = lot.remaining
        entry = _write_entry(
            user_id=lot.user_id,
            kind=EntryKind.EXPIRE,
            reason="expired",
            reference=f"lot:{lot.pk}",
            amount=amount,
            idempotency_key=f"points-expire:{lot.pk}:{lot.uses.count()}",
            user_delta=-amount,
            other=Account.EXPIRED,
        )
        PointsLot.objects.filter(pk=lot.pk).update(remaining=0)
        PointsLotUse.objects.create(lot=lot, entry=entry, amount=amount)
        PointsBalance.objects.filter(user_id=lot.user_id).update(balance=F("balance") - amount)
    return entry


def _day_start(now: datetime) -> datetime:
    """Midnight of `now`'s calendar day in GROWTH_TIME_ZONE."""
    zone = ZoneInfo(settings.GROWTH_TIME_ZONE)
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def points_earn_by_rule(
    *, user_id: int, code: str, idempotency_key: str, reference: str = ""
) -> PointsEntry | None:
    """Earn what the back office's rule for `code` pays (EarnRuleCode), within its daily cap
    (a calendar day in GROWTH_TIME_ZONE; a cap reached pays what is left of it, then
    nothing). None when the rule is off or the cap is used up. Once per key."""
    terms = earn_rule(code)
    if terms.points <= 0:
        return None
    with transaction.atomic():
        lock_balance(user_id)
        existing = _existing(idempotency_key)
        if existing is not None:
            return existing
        amount = terms.points
        if terms.daily_cap > 0:
            today = PointsEntry.objects.filter(
                user_id=user_id,
                kind=EntryKind.EARN,
                reason=code,
                created_at__gte=_day_start(clock.now()),
            ).aggregate(total=Sum("amount"))["total"]
            amount = min(amount, terms.daily_cap - int(today or 0))
        if amount <= 0:
            return None
        return points_earn(
            user_id=user_id,
            amount=amount,
            reason=code,
            reference=reference,
            idempotency_key=idempotency_key,
        )
