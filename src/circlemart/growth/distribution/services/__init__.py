"""Writes of distribution, one module per use (distributors, links and bindings, rates,
commissions, withdrawals); import them from here."""

from __future__ import annotations

from circlemart.growth.distribution.services.commissions import (
    commission_order_record,
    commission_settle,
    commissions_freeze,
    commissions_mark_due,
    commissions_reverse,
    commissions_settle_due,
)
from circlemart.growth.distribution.services.distributors import (
    distributor_apply,
    distributor_level_set,
    distributor_review,
    distributor_upline_check,
    distributor_upline_set,
)
from circlemart.growth.distribution.services.links import (
    binding_record,
    link_create,
    link_id_from_token,
    link_open,
    link_token,
)
from circlemart.growth.distribution.services.rates import (
    check_rate,
    check_tier,
    commission_rate_delete,
    commission_rate_set,
)
from circlemart.growth.distribution.services.withdrawals import (
    withdrawal_pay,
    withdrawal_request,
    withdrawal_review,
    withdrawals_pay_approved,
)

__all__ = [
    "binding_record",
    "check_rate",
    "check_tier",
    "commission_order_record",
    "commission_rate_delete",
    "commission_rate_set",
    "commission_settle",
    "commissions_freeze",
    "commissions_mark_due",
    "commissions_reverse",
    "commissions_settle_due",
    "distributor_apply",
    "distributor_level_set",
    "distributor_review",
    "distributor_upline_check",
    "distributor_upline_set",
    "link_create",
    "link_id_from_token",
    "link_open",
    "link_token",
    "withdrawal_pay",
    "withdrawal_request",
    "withdrawal_review",
    "withdrawals_pay_approved",
]
