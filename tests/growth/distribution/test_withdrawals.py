"""Withdrawals: a minimum, never above the withdrawable balance, operator approval, payout
through the payments provider interface (the test gateway), failure puts the amount back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from circlemart.core.errors import Conflict, PermissionDenied, ValidationFailed
from circlemart.growth.distribution import services
from circlemart.growth.distribution.contracts import EntryKind
from circlemart.growth.distribution.models import (
    CommissionAccount,
    CommissionEntry,
    Distributor,
    Withdrawal,
)
from circlemart.growth.distribution.services.ledger import entry_post
from circlemart.notifications.models import Notification
from circlemart.payments import gateway
from circlemart.payments.models import GatewayPayout
from tests.growth.distribution.conftest import assert_ledger, make_distributor

pytestmark = pytest.mark.django_db
Act = Callable[..., Any]


def with_balance(amount: int) -> Distributor:
    """A distributor whose settled commission is `amount` (as settlement would leave it)."""
    from django.db import transaction

    distributor = make_distributor()
    with transaction.atomic():
        entry_post(
            distributor_id=distributor.pk,
            kind=EntryKind.SETTLE,
            idempotency_key=f"test:{distributor.pk}",
            settled=amount,
        )
    return distributor


def account(distributor: Distributor) -> tuple[int, int, int]:
    row = CommissionAccount.objects.get(pk=distributor.pk)
    return row.settled, row.withdrawing, row.withdrawn


@pytest.mark.parametrize(
    ("amount", "code"), [(999, "below_minimum"), (0, "invalid_amount"), (-5, "invalid_amount")]
)
def test_below_the_minimum_is_refused_and_nothing_is_written(settings, amount, code) -> None:
    settings.DISTRIBUTION_MIN_WITHDRAWAL = 1000
    distributor = with_balance(5000)
    with pytest.raises(ValidationFailed) as refused:
        services.withdrawal_request(user_id=distributor.user_id, amount=amount)
    assert (refused.value.code, refused.value.field) == (code, "amount")
    assert not Withdrawal.objects.exists()
    assert account(distributor) == (5000, 0, 0)


def test_above_the_balance_is_refused_and_nothing_is_written() -> None:
    distributor = with_balance(5000)
    with pytest.raises(Conflict) as refused:
        services.withdrawal_request(user_id=distributor.user_id, amount=5001)
    assert (refused.value.code, refused.value.field) == ("insufficient_balance", "amount")
    assert not Withdrawal.objects.exists()
    assert CommissionEntry.objects.filter(kind="withdraw").count() == 0
    assert account(distributor) == (5000, 0, 0)


def test_the_same_key_asks_once() -> None:
    distributor = with_balance(5000)
    first = services.withdrawal_request(
        user_id=distributor.user_id, amount=3000, idempotency_key="k"
    )
    again = services.withdrawal_request(
        user_id=distributor.user_id, amount=3000, idempotency_key="k"
    )
    assert first.pk == again.pk
    assert account(distributor) == (2000, 3000, 0)


def test_an_approved_withdrawal_is_paid_out_through_the_gateway(
    act: Act, operator, settings
) -> None:
    settings.PAYMENTS_TEST_MODE = True
    settings.PAYMENT_PROVIDERS = ["test_gateway"]
    distributor = with_balance(5000)
    withdrawal = services.withdrawal_request(user_id=distributor.user_id, amount=4000)
    act(
        services.withdrawal_review,
        operator_id=operator.pk,
        withdrawal_id=withdrawal.pk,
        approve=True,
    )
    withdrawal.refresh_from_db()
    payout = GatewayPayout.objects.get()
    assert (withdrawal.status, withdrawal.provider, withdrawal.provider_payout_id) == (
        "paid",
        "test_gateway",
        payout.payout_id,
    )
    assert (payout.amount, payout.payee, payout.status) == (
        4000,
        f"user:{distributor.user_id}",
        "succeeded",
    )
    assert account(distributor) == (1000, 0, 4000)
    assert (
        Notification.objects.filter(
            recipient_id=distributor.user_id, kind="withdrawal_paid"
        ).count()
        == 1
    )
    # Paying again (a retried task, the sweep) sends nothing more.
    assert services.withdrawal_pay(withdrawal_id=withdrawal.pk) is None
    assert services.withdrawals_pay_approved() == 0
    assert GatewayPayout.objects.count() == 1
    assert_ledger()


def test_a_failed_payout_puts_the_amount_back_and_says_so(act: Act, operator, settings) -> None:
    settings.PAYMENTS_TEST_MODE = True
    settings.PAYMENT_PROVIDERS = ["test_gateway"]
    distributor = with_balance(5000)
    gateway.payee_set_behaviour(payee=f"user:{distributor.user_id}", fail_payouts=True)
    withdrawal = services.withdrawal_request(user_id=distributor.user_id, amount=5000)
    act(
        services.withdrawal_review,
        operator_id=operator.pk,
        withdrawal_id=withdrawal.pk,
        approve=True,
    )
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.failure_reason) == (
        "failed",
        "The payee's account refused the transfer.",
    )
    assert account(distributor) == (5000, 0, 0)
    failed = Notification.objects.get(recipient_id=distributor.user_id, kind="withdrawal_failed")
    assert failed.target_id == withdrawal.pk
    assert_ledger()


def test_a_payout_that_gets_no_answer_stays_approved_for_the_sweep(
    operator, settings, monkeypatch
) -> None:
    settings.PAYMENTS_TEST_MODE = True
    settings.PAYMENT_PROVIDERS = ["test_gateway"]
    distributor = with_balance(5000)
    withdrawal = services.withdrawal_request(user_id=distributor.user_id, amount=2000)
    services.withdrawal_review(operator_id=operator.pk, withdrawal_id=withdrawal.pk, approve=True)
    from circlemart.payments.providers.base import ProviderUnavailable

    def silent(**kwargs: Any) -> Any:
        raise ProviderUnavailable("timeout")

    monkeypatch.setattr(gateway, "payout_create", silent)
    assert services.withdrawals_pay_approved() == 0
    withdrawal.refresh_from_db()
    assert withdrawal.status == "approved"
    assert account(distributor) == (3000, 2000, 0)
    monkeypatch.undo()
    settings.PAYMENTS_TEST_MODE = True
    settings.PAYMENT_PROVIDERS = ["test_gateway"]
    assert services.withdrawals_pay_approved() == 1
    assert account(distributor) == (3000, 0, 2000)


def test_a_rejected_withdrawal_goes_back_and_only_operators_review(operator) -> None:
    distributor = with_balance(5000)
    withdrawal = services.withdrawal_request(user_id=distributor.user_id, amount=5000)
    with pytest.raises(PermissionDenied):
        services.withdrawal_review(
            operator_id=distributor.user_id, withdrawal_id=withdrawal.pk, approve=True
        )
    services.withdrawal_review(
        operator_id=operator.pk, withdrawal_id=withdrawal.pk, approve=False, note="Check ID"
    )
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.failure_reason) == ("rejected", "Check ID")
    assert account(distributor) == (5000, 0, 0)
    with pytest.raises(Conflict):
        services.withdrawal_review(
            operator_id=operator.pk, withdrawal_id=withdrawal.pk, approve=True
        )
    assert_ledger()
