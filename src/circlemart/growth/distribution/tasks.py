"""Celery entry points of distribution: the settlement sweep, payouts of approved
withdrawals (one after approval, plus a sweep for lost ones)."""

from __future__ import annotations

from celery import shared_task

from circlemart.growth.distribution import services


@shared_task(
    name="growth.distribution_settle", ignore_result=True, soft_time_limit=240, time_limit=280
)
def settle_due() -> int:
    return services.commissions_settle_due()


@shared_task(
    name="growth.distribution_pay_withdrawal",
    ignore_result=True,
    soft_time_limit=60,
    time_limit=90,
)
def pay_withdrawal(withdrawal_id: int) -> None:
    services.withdrawal_pay(withdrawal_id=withdrawal_id)


@shared_task(
    name="growth.distribution_pay_approved", ignore_result=True, soft_time_limit=240, time_limit=280
)
def pay_approved() -> int:
    return services.withdrawals_pay_approved()
