"""Error codes of distribution (stable strings clients may switch on)."""

from __future__ import annotations

NOT_A_DISTRIBUTOR = "not_a_distributor"
ALREADY_APPLIED = "already_applied"
NOT_PENDING = "not_pending"
UPLINE_LOOP = "upline_loop"
UPLINE_UNKNOWN = "upline_unknown"
TIER_NOT_ALLOWED = "tier_not_allowed"
INVALID_RATE = "invalid_rate"
INVALID_TARGET = "invalid_target"
BELOW_MINIMUM = "below_minimum"
INSUFFICIENT_BALANCE = "insufficient_balance"
WITHDRAWAL_NOT_OPEN = "withdrawal_not_open"
LINK_INVALID = "link_invalid"
