"""What crosses the distribution boundary: statuses and the read models pages and the API use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# Commission is paid to at most two tiers: the buyer's distributor (1) and the one who
# recruited that distributor (2). Never a third: see docs/growth/distribution.md.
TIERS = (1, 2)
MAX_TIER = 2
FULL_RATE = 10_000  # rates are basis points: 10 000 = 100 %


class DistributorStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class LinkTarget(StrEnum):
    PRODUCT = "product"
    CATEGORY = "category"
    SHOP = "shop"


class RateScope(StrEnum):
    PRODUCT = "product"
    CATEGORY = "category"
    DEFAULT = "default"


class CommissionStatus(StrEnum):
    FROZEN = "frozen"  # the order is paid; its after-sales window is still open
    SETTLED = "settled"  # the kept part moved to the withdrawable balance


class WithdrawalStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"  # an operator said yes; the payout is on its way
    PAID = "paid"
    FAILED = "failed"  # the provider refused: the amount went back to the balance
    REJECTED = "rejected"  # an operator said no: the amount went back to the balance


class EntryKind(StrEnum):
    FREEZE = "freeze"  # commission recorded on a paid order (→ frozen)
    REVERSE = "reverse"  # a refund took back part of it (frozen or settled ↓)
    SETTLE = "settle"  # after-sales closed: the kept part frozen → settled
    WITHDRAW = "withdraw"  # settled → withdrawing
    PAYOUT = "payout"  # withdrawing → withdrawn
    RETURN = "return"  # a failed or rejected withdrawal: withdrawing → settled


@dataclass(frozen=True)
class BalanceView:
    frozen: int
    settled: int  # withdrawable (negative: a refund after settlement, netted against later)
    withdrawing: int
    withdrawn: int
    currency: str


@dataclass(frozen=True)
class DistributorView:
    id: int
    user_id: int
    status: DistributorStatus
    code: str
    level_name: str
    upline_id: int | None
    applied_at: datetime
    reviewed_at: datetime | None
    review_note: str
    downline_count: int


@dataclass(frozen=True)
class LinkView:
    id: int
    target: LinkTarget
    target_id: int
    title: str
    token: str
    path: str  # /growth/d/<token>/
    visits: int
    created_at: datetime


@dataclass(frozen=True)
class CommissionView:
    id: int
    order_number: str
    buyer: str  # masked
    product_id: int
    tier: int
    base_amount: int
    rate_bp: int
    amount: int
    reversed_amount: int
    status: CommissionStatus
    currency: str
    created_at: datetime
    settled_at: datetime | None


@dataclass(frozen=True)
class CommissionPage:
    items: list[CommissionView]
    next_cursor: str | None


@dataclass(frozen=True)
class WithdrawalView:
    id: int
    amount: int
    currency: str
    status: WithdrawalStatus
    requested_at: datetime
    paid_at: datetime | None
    failure_reason: str


@dataclass(frozen=True)
class StatementRow:
    at: datetime
    distributor_id: int
    kind: EntryKind
    reference: str
    frozen: int
    settled: int
    withdrawing: int
    withdrawn: int
