"""Withdrawals: a request takes the amount out of the withdrawable balance at once (one
conditional UPDATE, so the balance can never be paid out twice); an operator approves or
rejects; the payout goes through the payments provider interface, and a failure puts the
amount back and tells the distributor."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import Conflict, NotFound, ValidationFailed
from circlemart.growth.distribution import errors
from circlemart.growth.distribution.contracts import EntryKind, WithdrawalStatus
from circlemart.growth.distribution.models import Distributor, Withdrawal
from circlemart.growth.distribution.services.distributors import require_operator
from circlemart.growth.distribution.services.ledger import account_ensure, entry_post
from circlemart.growth.distribution.services.links import approved_distributor
from circlemart.notifications import services as notifications
from circlemart.notifications.contracts import NotificationKind, TargetType
from circlemart.payments import services as payments
from circlemart.payments.contracts import PayoutStatus

REVIEW_PERMISSION = "growth.change_withdrawal"


def _check_amount(amount: object) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationFailed(
            _("Enter an amount above zero, in cents."), code="invalid_amount", field="amount"
        )
    minimum = settings.DISTRIBUTION_MIN_WITHDRAWAL
    if amount < minimum:
        raise ValidationFailed(
            _("The smallest withdrawal is %(minimum)s cents.") % {"minimum": minimum},
            code=errors.BELOW_MINIMUM,
            field="amount",
            extra={"minimum": minimum},
        )
    return amount


def withdrawal_request(*, user_id: int, amount: int, idempotency_key: str = "") -> Withdrawal:
    """Ask for `amount` (minor units) of the withdrawable balance. Refused: below
    DISTRIBUTION_MIN_WITHDRAWAL (400 below_minimum), above the balance (409
    insufficient_balance) — nothing is written then. The same key gives the same request."""
    distributor = approved_distributor(user_id)
    amount = _check_amount(amount)
    key = idempotency_key or uuid.uuid4().hex
    if len(key) > 128:
        raise ValidationFailed(_("The key is too long."), field="idempotency_key")
    existing = Withdrawal.objects.filter(distributor=distributor, idempotency_key=key).first()
    if existing is not None:
        return existing
    account_ensure(distributor.pk)
    try:
        with transaction.atomic():
            withdrawal = Withdrawal.objects.create(
                distributor=distributor,
                amount=amount,
                currency=settings.DEFAULT_CURRENCY,
                idempotency_key=key,
                requested_at=clock.now(),
            )
            entry = entry_post(
                distributor_id=distributor.pk,
                kind=EntryKind.WITHDRAW,
                idempotency_key=f"withdrawal:{withdrawal.pk}:hold",
                reference=f"withdrawal:{withdrawal.pk}",
                withdrawal_id=withdrawal.pk,
                settled=-amount,
                withdrawing=amount,
                settled_at_least=amount,
            )
            if entry is None:
                raise Conflict(
                    _("This is more than your withdrawable balance."),
                    code=errors.INSUFFICIENT_BALANCE,
                    field="amount",
                )
    except IntegrityError:  # the same key, at the same moment
        existing = Withdrawal.objects.filter(distributor=distributor, idempotency_key=key).first()
        if existing is None:
            raise
        return existing
    return withdrawal


def _notify(withdrawal: Withdrawal, kind: NotificationKind, excerpt: str) -> None:
    user_id = Distributor.objects.values_list("user_id", flat=True).get(
        pk=withdrawal.distributor_id
    )
    notifications.notification_record(
        recipient_id=user_id,
        kind=kind,
        target_type=TargetType.GROWTH,
        target_id=withdrawal.pk,
        actor_id=user_id,
        about_self=True,
        excerpt=excerpt,
    )


def _give_back(withdrawal: Withdrawal, *, reason: str) -> None:
    """In the caller's transaction, with the withdrawal moved out of its open state."""
    entry_post(
        distributor_id=withdrawal.distributor_id,
        kind=EntryKind.RETURN,
        idempotency_key=f"withdrawal:{withdrawal.pk}:return",
        reference=f"withdrawal:{withdrawal.pk}",
        withdrawal_id=withdrawal.pk,
        withdrawing=-withdrawal.amount,
        settled=withdrawal.amount,
    )
    _notify(
        withdrawal,
        NotificationKind.WITHDRAWAL_FAILED,
        _("Withdrawal of %(amount)s cents not paid: %(reason)s")
        % {"amount": withdrawal.amount, "reason": reason or "-"},
    )


def withdrawal_review(
    *, operator_id: int, withdrawal_id: int, approve: bool, note: str = ""
) -> Withdrawal:
    """Approve (the payout is sent after commit) or reject (the amount goes back)."""
    require_operator(operator_id, REVIEW_PERMISSION)
    with transaction.atomic():
        withdrawal = Withdrawal.objects.select_for_update().filter(pk=withdrawal_id).first()
        if withdrawal is None:
            raise NotFound(_("No such withdrawal."), field="withdrawal")
        if withdrawal.status != WithdrawalStatus.REQUESTED:
            raise Conflict(
                _("This withdrawal is not waiting for review."),
                code=errors.WITHDRAWAL_NOT_OPEN,
                field="withdrawal",
            )
        withdrawal.status = WithdrawalStatus.APPROVED if approve else WithdrawalStatus.REJECTED
        withdrawal.reviewed_at = clock.now()
        withdrawal.reviewed_by_id = operator_id
        if not approve:
            withdrawal.failure_reason = note[:200] or _("Rejected by an operator.")
        withdrawal.save()
        if approve:
            from circlemart.growth.distribution.tasks import pay_withdrawal

            pk = withdrawal.pk
            transaction.on_commit(lambda: pay_withdrawal.delay(pk), robust=True)
        else:
            _give_back(withdrawal, reason=withdrawal.failure_reason)
    return withdrawal


def withdrawal_pay(*, withdrawal_id: int) -> Withdrawal | None:
    """Send an approved withdrawal's payout and record the outcome. Safe to repeat: the
    provider call is idempotent by the withdrawal's key, and the outcome is recorded only by
    the call that moves the row out of APPROVED. A provider that does not answer leaves it
    approved for the next sweep."""
    withdrawal = Withdrawal.objects.filter(
        pk=withdrawal_id, status=WithdrawalStatus.APPROVED
    ).first()
    if withdrawal is None:
        return None
    user_id = Distributor.objects.values_list("user_id", flat=True).get(
        pk=withdrawal.distributor_id
    )
    result = payments.payout_send(
        reference=f"withdrawal:{withdrawal.pk}",
        payee=f"user:{user_id}",
        amount=withdrawal.amount,
        currency=withdrawal.currency,
        idempotency_key=f"growth-withdrawal:{withdrawal.pk}",
    )
    if result.status == PayoutStatus.PENDING:
        return withdrawal
    with transaction.atomic():
        locked = (
            Withdrawal.objects.select_for_update()
            .filter(pk=withdrawal.pk, status=WithdrawalStatus.APPROVED)
            .first()
        )
        if locked is None:
            return Withdrawal.objects.get(pk=withdrawal.pk)
        locked.provider = result.provider
        locked.provider_payout_id = result.provider_payout_id
        if result.status == PayoutStatus.SUCCEEDED:
            locked.status = WithdrawalStatus.PAID
            locked.paid_at = clock.now()
            locked.save()
            entry_post(
                distributor_id=locked.distributor_id,
                kind=EntryKind.PAYOUT,
                idempotency_key=f"withdrawal:{locked.pk}:payout",
                reference=f"withdrawal:{locked.pk}",
                withdrawal_id=locked.pk,
                withdrawing=-locked.amount,
                withdrawn=locked.amount,
            )
            _notify(
                locked,
                NotificationKind.WITHDRAWAL_PAID,
                _("Withdrawal of %(amount)s cents paid.") % {"amount": locked.amount},
            )
        else:
            locked.status = WithdrawalStatus.FAILED
            locked.failure_reason = result.failure_reason[:200]
            locked.save()
            _give_back(locked, reason=locked.failure_reason)
    return locked


def withdrawals_pay_approved(*, limit: int = 100) -> int:
    """The payout sweep: approved withdrawals whose payout did not complete (the task was
    lost, or the provider did not answer)."""
    ids = list(
        Withdrawal.objects.filter(status=WithdrawalStatus.APPROVED)
        .order_by("reviewed_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for withdrawal_id in ids:
        paid = withdrawal_pay(withdrawal_id=withdrawal_id)
        done += int(paid is not None and paid.status != WithdrawalStatus.APPROVED)
    return done
