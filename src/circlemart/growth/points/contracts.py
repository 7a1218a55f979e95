"""The points ledger's vocabulary: accounts, entry kinds, and the read models that cross it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Account(StrEnum):
    """Every posting moves points between two of these. A user's account holds their balance;
    the others are the system's side of each kind of movement."""

    USER = "user"
    ISSUED = "issued"  # earned points come from here (its balance goes negative)
    SPENT = "spent"  # points used at checkout or in the points mall
    EXPIRED = "expired"
    REVERSED = "reversed"  # earnings taken back (an order refunded after points were earned)


class EntryKind(StrEnum):
    EARN = "earn"  # issued → user
    SPEND = "spend"  # user → spent
    RETURN = "return"  # spent → user (an order using points cancelled or refunded)
    EXPIRE = "expire"  # user → expired
    REVERSE = "reverse"  # user → reversed (earned points taken back)


@dataclass(frozen=True)
class PointsEntryView:
    id: int
    kind: EntryKind
    reason: str
    reference: str
    amount: int  # signed, as the user sees it: + earned/returned, − spent/expired/reversed
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class PointsBalanceView:
    user_id: int
    balance: int
    expiring_soon: int  # points in lots that expire within POINTS_EXPIRY_WARNING_DAYS
    next_expiry: datetime | None
