"""The commission ledger's one write: an entry and the same deltas on the distributor's
account, in the caller's transaction, once per idempotency key."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import F

from circlemart.core import clock
from circlemart.growth.distribution.contracts import EntryKind
from circlemart.growth.distribution.models import CommissionAccount, CommissionEntry


def account_ensure(distributor_id: int) -> None:
    """The account row exists from approval on; this covers rows approved before it did."""
    if not CommissionAccount.objects.filter(pk=distributor_id).exists():
        with transaction.atomic():
            CommissionAccount.objects.get_or_create(distributor_id=distributor_id)


def entry_post(
    *,
    distributor_id: int,
    kind: EntryKind,
    idempotency_key: str,
    reference: str = "",
    commission_id: int | None = None,
    withdrawal_id: int | None = None,
    frozen: int = 0,
    settled: int = 0,
    withdrawing: int = 0,
    withdrawn: int = 0,
    settled_at_least: int | None = None,
) -> CommissionEntry | None:
    """Move money between the account's figures and record why. Returns None when nothing
    was written: the key was already used, or `settled_at_least` was asked for and the
    withdrawable balance is smaller (a conditional UPDATE decides, never a read)."""
    if not connection.in_atomic_block:
        raise RuntimeError("entry_post() must run inside the caller's transaction")
    if CommissionEntry.objects.filter(idempotency_key=idempotency_key).exists():
        return None
    account = CommissionAccount.objects.filter(pk=distributor_id)
    if settled_at_least is not None:
        account = account.filter(settled__gte=settled_at_least)
    moved = account.update(
        frozen=F("frozen") + frozen,
        settled=F("settled") + settled,
        withdrawing=F("withdrawing") + withdrawing,
        withdrawn=F("withdrawn") + withdrawn,
        updated_at=clock.now(),
    )
    if not moved:
        return None
    return CommissionEntry.objects.create(
        distributor_id=distributor_id,
        kind=kind.value,
        commission_id=commission_id,
        withdrawal_id=withdrawal_id,
        frozen_delta=frozen,
        settled_delta=settled,
        withdrawing_delta=withdrawing,
        withdrawn_delta=withdrawn,
        reference=reference[:64],
        idempotency_key=idempotency_key,
        created_at=clock.now(),
    )
