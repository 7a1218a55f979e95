"""What crosses the growth boundary: rewards (what invites, tasks, check-ins and games pay)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RewardKind(StrEnum):
    POINTS = "points"
    COUPON = "coupon"


@dataclass(frozen=True)
class Reward:
    """A reward a rule pays: `points` points, or one coupon of template `coupon_template_id`."""

    kind: RewardKind
    points: int = 0
    coupon_template_id: int | None = None

    def __post_init__(self) -> None:
        if self.kind == RewardKind.POINTS and self.points <= 0:
            raise ValueError("a points reward needs a positive amount")
        if self.kind == RewardKind.COUPON and not self.coupon_template_id:
            raise ValueError("a coupon reward needs a coupon template")


@dataclass(frozen=True)
class RewardPaid:
    """What a grant did: the points entry or the user coupon it created (None when already
    paid under this idempotency key)."""

    kind: RewardKind
    points: int
    user_coupon_id: int | None
    was_new: bool
