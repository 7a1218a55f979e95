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


class EarnRuleCode(StrEnum):
    """What points are earned for; each has one rule operators tune in the back office."""

    ORDER_PAID_PER_YUAN = "order_paid_per_yuan"  # points per yuan kept after after-sales
    REVIEW_WITH_PHOTOS = "review_with_photos"
    CHECKIN = "checkin"
    TASK = "task"
    INVITE = "invite"
    CAMPAIGN = "campaign"


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
    label: str  # the reason as the user reads it ("Order", "Used at checkout", "Expired"…)
    order_number: str  # the order it is about, "" when none


@dataclass(frozen=True)
class PointsBalanceView:
    user_id: int
    balance: int
    expiring_soon: int  # points in lots that expire within POINTS_EXPIRY_WARNING_DAYS
    next_expiry: datetime | None


@dataclass(frozen=True)
class PointsSummaryView:
    """The points page's head: balance, points on their way (paid orders whose after-sales
    window is still open) and points expiring within POINTS_EXPIRY_WARNING_DAYS."""

    balance: int
    pending: int
    pending_orders: int
    expiring_soon: int
    next_expiry: datetime | None
    owed: int  # taken back from a refund but not yet covered: the next earnings pay it first


@dataclass(frozen=True)
class CheckoutPoints:
    """What the checkout page offers: the balance, the most this order can use and what it
    takes off, and what the quote actually used (0 when the shopper did not ask)."""

    balance: int
    max_points: int
    max_amount: int
    used_points: int
    used_amount: int
