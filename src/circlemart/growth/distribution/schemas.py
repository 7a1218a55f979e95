"""Bodies and answers of the distribution API; answers derived from the read models."""

from __future__ import annotations

from ninja import Field, Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema
from circlemart.growth.distribution.contracts import (
    BalanceView,
    CommissionPage,
    CommissionView,
    DistributorView,
    LinkView,
    WithdrawalView,
)


@derived_from(DistributorView)
class DistributorOut(Schema): ...


@derived_from(BalanceView)
class BalanceOut(Schema): ...


class MeOut(Schema):
    distributor: DistributorOut | None
    balance: BalanceOut | None
    min_withdrawal: int


@derived_from(LinkView)
class LinkOut(Schema): ...


class LinkListOut(Schema):
    items: list[LinkOut]


@derived_from(CommissionView)
class CommissionOut(Schema): ...


@derived_from(CommissionPage, nested={CommissionView: CommissionOut})
class CommissionPageOut(Schema): ...


@derived_from(WithdrawalView)
class WithdrawalOut(Schema): ...


class WithdrawalListOut(Schema):
    items: list[WithdrawalOut]


class ApplyIn(InputSchema):
    upline_code: str = Field("", max_length=16, description="Recruiter's distributor code")


class LinkIn(InputSchema):
    target: str = Field(..., max_length=16, description="product, category or shop")
    target_id: int = Field(0, ge=0, description="The product or category id (0 for the shop)")


class WithdrawalIn(InputSchema):
    amount: int = Field(..., description="Minor units (cents); at least the minimum")


class ReviewIn(InputSchema):
    approve: bool
    note: str = Field("", max_length=200)


class RateIn(InputSchema):
    # Tier and rate are checked by the service (not here) so that a third tier or a rate
    # out of range gets the same 400 with its code and field as everywhere else.
    scope: str = Field(..., max_length=16, description="product, category or default")
    target_id: int = Field(0, description="Product or category id; 0 for default")
    level_id: int | None = None
    tier: int = Field(..., description="1 (the seller) or 2 (their recruiter); nothing else")
    rate_bp: int = Field(..., description="Basis points: 0 … 10000 (100 %)")


class RateOut(Schema):
    id: int
    scope: str
    target_id: int
    level_id: int | None
    tier: int
    rate_bp: int


class UplineIn(InputSchema):
    upline_id: int | None = None
