"""Request and response shapes of the invites API; answers are derived from the contracts."""

from __future__ import annotations

from ninja import Field, Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema
from circlemart.growth.invites.contracts import (
    FissionProgress,
    InviteBound,
    InvitedFriend,
    InviteSummary,
    RewardView,
)


@derived_from(RewardView)
class RewardOut(Schema): ...


@derived_from(FissionProgress, nested={RewardView: RewardOut})
class FissionProgressOut(Schema): ...


@derived_from(InviteSummary, nested={FissionProgress: FissionProgressOut})
class InviteSummaryOut(Schema): ...


class MyInviteOut(Schema):
    """My code, the link to share (with ?ch=link), the QR poster and my summary."""

    code: str
    link: str
    poster_url: str
    newcomer_rewards: list[RewardOut]
    summary: InviteSummaryOut


@derived_from(InvitedFriend)
class InvitedFriendOut(Schema): ...


class InvitedFriendPageOut(Schema):
    items: list[InvitedFriendOut]
    next_cursor: str | None


class BindIn(InputSchema):
    code: str = Field(..., max_length=32, description="The inviter's invite code.")


@derived_from(InviteBound, exclude=("inviter_id",))
class InviteBoundOut(Schema): ...
