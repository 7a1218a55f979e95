"""Fixtures for distribution: approved distributors (with an upline when asked), rates,
operators, and buyers bound to a distributor's link; buyers, SKUs and paying through the
test gateway come from the orders tests. `assert_ledger` checks the ledger's invariants."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db.models import Sum
from django.test import Client

from circlemart.accounts.contracts import Role
from circlemart.accounts.models import User
from circlemart.accounts.services import role_grant
from circlemart.growth.distribution import services
from circlemart.growth.distribution.models import (
    CommissionAccount,
    CommissionEntry,
    CommissionRate,
    Distributor,
    DistributorLevel,
    PromotionLink,
)
from tests.accounts.factories import UserFactory
from tests.orders.conftest import (  # noqa: F401  (fixtures shared with the orders tests)
    _webhooks_in_process,
    act,
    drain,
    pay,
)


def make_operator() -> User:
    admin = UserFactory(is_superuser=True, is_staff=True)
    admin.groups.add(Group.objects.get(name=Role.ADMIN.value))
    user = UserFactory()
    role_grant(actor=admin, user=user, role=Role.OPERATOR)
    return user


@pytest.fixture
def operator() -> User:
    return make_operator()


@pytest.fixture
def operator_client(operator: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(operator)
    return client


def make_distributor(
    *, upline: Distributor | None = None, user: User | None = None, reviewer: User | None = None
) -> Distributor:
    user = user or UserFactory()
    reviewer = reviewer or make_operator()
    distributor = services.distributor_apply(user_id=user.pk)
    if upline is not None:
        services.distributor_upline_set(
            operator_id=reviewer.pk, distributor_id=distributor.pk, upline_id=upline.pk
        )
    services.distributor_review(
        operator_id=reviewer.pk, distributor_id=distributor.pk, approve=True
    )
    distributor.refresh_from_db()
    return distributor


def set_rate(tier: int, rate_bp: int, **extra: Any) -> CommissionRate:
    scope = extra.pop("scope", "default")
    return CommissionRate.objects.create(scope=scope, tier=tier, rate_bp=rate_bp, **extra)


def bind(
    buyer: User, distributor: Distributor, *, target: str = "shop", target_id: int = 0
) -> PromotionLink:
    link = services.link_create(user_id=distributor.user_id, target=target, target_id=target_id)
    opened = services.link_open(token=services.link_token(link.pk), visitor_id=buyer.pk)
    assert opened.bound
    return link


def level(rank: int, name: str = "") -> DistributorLevel:
    return DistributorLevel.objects.create(rank=rank, name=name or f"L{rank}")


def assert_ledger() -> None:
    """Every account equals the sum of its entries; frozen, withdrawing and withdrawn are
    never negative; frozen equals the unsettled commission still held."""
    from circlemart.growth.distribution.models import Commission

    for account in CommissionAccount.objects.all():
        sums = CommissionEntry.objects.filter(distributor_id=account.pk).aggregate(
            frozen=Sum("frozen_delta"),
            settled=Sum("settled_delta"),
            withdrawing=Sum("withdrawing_delta"),
            withdrawn=Sum("withdrawn_delta"),
        )
        figures = (account.frozen, account.settled, account.withdrawing, account.withdrawn)
        assert figures == tuple(
            sums[k] or 0 for k in ("frozen", "settled", "withdrawing", "withdrawn")
        ), account.pk
        assert min(account.frozen, account.withdrawing, account.withdrawn) >= 0
        held = sum(
            c.amount - c.reversed_amount
            for c in Commission.objects.filter(distributor_id=account.pk, status="frozen")
        )
        assert account.frozen == held, account.pk
