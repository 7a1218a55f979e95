"""Fixtures for points: buyers, SKUs and paying through the test gateway come from the orders
tests (tests/orders/conftest.py); the ledger's invariants are checked by `assert_ledger`."""

from __future__ import annotations

from django.db.models import Sum

from circlemart.growth.points import services
from circlemart.growth.points.models import (
    PointsBalance,
    PointsEntry,
    PointsLot,
    PointsPosting,
)
from tests.orders.conftest import (  # noqa: F401  (fixtures shared with the orders tests)
    _webhooks_in_process,
    act,
    drain,
    pay,
)
from tests.reviews.conftest import purchases  # noqa: F401


def give(user_id: int, amount: int, key: str, **extra: object) -> PointsEntry:
    return services.points_earn(
        user_id=user_id, amount=amount, reason="campaign", idempotency_key=key, **extra
    )


def assert_ledger() -> None:
    """Every entry balances; every user's balance row = their postings = their lots; no
    negative balance."""
    for entry_id, total in PointsPosting.objects.values_list("entry_id").annotate(
        total=Sum("amount")
    ):
        assert total == 0, f"entry {entry_id} posts {total}"
    for row in PointsBalance.objects.all():
        posted = PointsPosting.objects.filter(account="user", user_id=row.user_id).aggregate(
            total=Sum("amount")
        )["total"]
        lots = PointsLot.objects.filter(user_id=row.user_id).aggregate(total=Sum("remaining"))
        assert row.balance >= 0
        assert row.balance == (posted or 0) == (lots["total"] or 0), row.user_id
