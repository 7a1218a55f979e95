"""Demo distribution: three levels and default rates (8 % / 2 %); a chain of approved
distributors (top → middle → seller) and one application waiting for review; demo buyers
bound to them, with commission on their demo orders — settled where the order's after-sales
window has closed, frozen otherwise; one withdrawal paid. Every step checks what exists
first, so a second run adds nothing."""

from __future__ import annotations

import random

from django.conf import settings

from circlemart.accounts import selectors as account_selectors
from circlemart.accounts.contracts import Role
from circlemart.core import clock
from circlemart.growth.distribution import services
from circlemart.growth.distribution.contracts import (
    DistributorStatus,
    RateScope,
    WithdrawalStatus,
)
from circlemart.growth.distribution.models import (
    CommissionAccount,
    CommissionRate,
    Distributor,
    DistributorLevel,
)
from circlemart.orders import selectors as order_selectors

LEVELS = ((1, "青铜 Bronze"), (2, "白银 Silver"), (3, "黄金 Gold"))
DEFAULT_RATES = ((1, 800), (2, 200))
BUYERS = 12
ORDERS_PER_BUYER = 3


def _distributor(user_id: int, *, operator_id: int, upline: Distributor | None) -> Distributor:
    existing = Distributor.objects.filter(user_id=user_id).first()
    if existing is not None:
        return existing
    applied = services.distributor_apply(user_id=user_id)
    if upline is not None:
        services.distributor_upline_set(
            operator_id=operator_id, distributor_id=applied.pk, upline_id=upline.pk
        )
    return services.distributor_review(
        operator_id=operator_id, distributor_id=applied.pk, approve=True, note="demo"
    )


def _commission_for(buyer_id: int) -> None:
    for status in ("completed", "delivered", "shipped", "paid"):
        orders = order_selectors.orders_of_buyer(
            buyer_id=buyer_id, status=status, limit=ORDERS_PER_BUYER
        )
        for order in orders.items:
            services.commission_order_record(
                order_number=order.number, buyer_id=buyer_id, placed_at=clock.now()
            )
            services.commissions_freeze(order_number=order.number)
            money = order_selectors.order_money(order.number)
            if money is not None and money.after_sales_closed_at is not None:
                services.commissions_mark_due(
                    order_number=order.number,
                    line_refunds={line.line_id: line.refunded_amount for line in money.lines},
                )


def _one_paid_withdrawal(distributor: Distributor, operator_id: int) -> bool:
    account = CommissionAccount.objects.filter(pk=distributor.pk).first()
    minimum = settings.DISTRIBUTION_MIN_WITHDRAWAL
    existing = distributor.withdrawals.filter(idempotency_key="seed-withdrawal").first()
    if existing is None:
        if account is None or account.settled < minimum:
            return False
        existing = services.withdrawal_request(
            user_id=distributor.user_id, amount=minimum, idempotency_key="seed-withdrawal"
        )
    if existing.status == WithdrawalStatus.REQUESTED:
        services.withdrawal_review(operator_id=operator_id, withdrawal_id=existing.pk, approve=True)
    services.withdrawal_pay(withdrawal_id=existing.pk)  # unless the task after review did
    existing.refresh_from_db()
    return existing.status == WithdrawalStatus.PAID


def seed_distribution(*, rng: random.Random, user_ids: list[int], progress: bool = True) -> str:
    for rank, name in LEVELS:
        DistributorLevel.objects.get_or_create(rank=rank, defaults={"name": name})
    for tier, rate in DEFAULT_RATES:
        CommissionRate.objects.get_or_create(
            scope=RateScope.DEFAULT, target_id=0, level=None, tier=tier, defaults={"rate_bp": rate}
        )
    operators = account_selectors.user_ids_with_role(Role.OPERATOR)
    if not operators or len(user_ids) < 5:
        return "distribution: rates only (no operator or too few users)"
    operator_id = operators[0]
    people = [user_id for user_id in user_ids if user_id not in operators]
    top = _distributor(people[0], operator_id=operator_id, upline=None)
    middle = _distributor(people[1], operator_id=operator_id, upline=top)
    seller = _distributor(people[2], operator_id=operator_id, upline=middle)
    if not Distributor.objects.filter(user_id=people[3]).exists():
        services.distributor_apply(user_id=people[3], upline_code=seller.code)
    links = [services.link_create(user_id=d.user_id, target="shop") for d in (seller, middle)]
    buyers = people[4 : 4 + BUYERS]
    for index, buyer_id in enumerate(buyers):
        services.binding_record(buyer_id=buyer_id, link_id=links[index % 2].pk)
        _commission_for(buyer_id)
    services.commissions_settle_due()
    paid = _one_paid_withdrawal(seller, operator_id) or _one_paid_withdrawal(middle, operator_id)
    approved = Distributor.objects.filter(status=DistributorStatus.APPROVED).count()
    pending = Distributor.objects.filter(status=DistributorStatus.PENDING).count()
    return (
        f"distribution: {approved} distributors, {pending} pending"
        f"{', a withdrawal paid' if paid else ''}"
    )
