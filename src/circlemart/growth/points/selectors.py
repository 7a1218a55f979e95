"""Reads of the points ledger: a user's balance and history (their own only)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Min, Sum

from circlemart.core import clock
from circlemart.growth.points.contracts import EntryKind, PointsBalanceView
from circlemart.growth.points.models import PointsBalance, PointsLot

INCOMING = frozenset({EntryKind.EARN, EntryKind.RETURN})


def points_balance(user_id: int) -> int:
    row = PointsBalance.objects.filter(user_id=user_id).values_list("balance", flat=True).first()
    return int(row or 0)


def points_balance_view(user_id: int) -> PointsBalanceView:
    now = clock.now()
    soon = now + timedelta(days=settings.POINTS_EXPIRY_WARNING_DAYS)
    live = PointsLot.objects.filter(user_id=user_id, remaining__gt=0, expires_at__gt=now)
    expiring = live.filter(expires_at__lte=soon).aggregate(total=Sum("remaining"))["total"]
    next_expiry = live.aggregate(first=Min("expires_at"))["first"]
    return PointsBalanceView(
        user_id=user_id,
        balance=points_balance(user_id),
        expiring_soon=int(expiring or 0),
        next_expiry=next_expiry,
    )
