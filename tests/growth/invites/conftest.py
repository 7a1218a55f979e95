"""Fixtures for invites: accounts with a sign-up time, reward rules as operators save them,
and an invite bound the way the landing page binds it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from circlemart.accounts.models import User
from circlemart.core import clock
from circlemart.growth.invites import services
from circlemart.growth.invites.contracts import BindSignals, BoundVia, InviteBound, RewardChoice
from circlemart.growth.invites.models import FissionTask, InviteRewardRule
from tests.accounts.factories import UserFactory


def member(*, days_ago: float = 30, **fields: Any) -> User:
    """An account that signed up `days_ago` days ago."""
    return UserFactory(date_joined=clock.now() - timedelta(days=days_ago), **fields)


def newcomer(**fields: Any) -> User:
    """An account that signed up a minute ago."""
    return UserFactory(date_joined=clock.now() - timedelta(minutes=1), **fields)


def rule(milestone: str, **fields: Any) -> InviteRewardRule:
    row = InviteRewardRule(milestone=milestone, **fields)
    row.full_clean()
    row.save()
    return row


def points_rule(milestone: str, *, inviter: int = 0, invitee: int = 0) -> InviteRewardRule:
    return rule(
        milestone,
        inviter_kind=RewardChoice.POINTS if inviter else RewardChoice.NONE,
        inviter_points=inviter,
        invitee_kind=RewardChoice.POINTS if invitee else RewardChoice.NONE,
        invitee_points=invitee,
    )


def fission_task(*, friends: int = 2, points: int = 500, **fields: Any) -> FissionTask:
    values: dict[str, Any] = {
        "title": f"{friends} friends who buy",
        "required_friends": friends,
        "reward_kind": RewardChoice.POINTS,
        "reward_points": points,
        "starts_at": clock.now() - timedelta(days=1),
    }
    values.update(fields)
    task = FissionTask(**values)
    task.full_clean()
    task.save()
    return task


def bind(
    inviter: User,
    invitee: User,
    *,
    signals: BindSignals | None = None,
    via: BoundVia = BoundVia.WEB,
) -> InviteBound:
    code = services.invite_code_ensure(user_id=inviter.pk)
    return services.invite_bind(
        invitee_id=invitee.pk, code=code.code, via=via, signals=signals or BindSignals()
    )
