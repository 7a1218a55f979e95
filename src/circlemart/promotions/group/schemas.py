"""Request and response shapes of the group-buy API; the answers are derived from the contracts
(core.contract_schemas)."""

from __future__ import annotations

from ninja import Field, Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema
from circlemart.promotions.group.contracts import (
    GroupDealView,
    GroupMemberView,
    GroupOrderRef,
    GroupView,
)


class GroupOrderIn(InputSchema):
    quantity: int = Field(1, ge=1, le=9999)
    address_id: int | None = None


@derived_from(GroupOrderRef)
class GroupOrderOut(Schema):
    share_url: str  # the group's page, to send to friends


@derived_from(GroupDealView)
class GroupDealOut(Schema): ...


@derived_from(GroupMemberView)
class GroupMemberOut(Schema): ...


@derived_from(GroupView, nested={GroupMemberView: GroupMemberOut})
class GroupOut(Schema):
    share_url: str  # the group's page, to send to friends


class GroupDealListOut(Schema):
    items: list[GroupDealOut]


class GroupDealDetailOut(Schema):
    deal: GroupDealOut
    open_groups: list[GroupOut]


class GroupListOut(Schema):
    items: list[GroupOut]
