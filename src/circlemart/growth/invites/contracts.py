"""What crosses the invites boundary: milestones, reward states, the read models of the pages
and the API, and the anti-cheat extension point (`InviteRiskCheck`) the risk app will
implement with its scoring."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from django.db import models
from django.utils.translation import gettext_lazy as _

# Invite codes: upper-case letters and digits without look-alikes (0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class Milestone(models.TextChoices):
    REGISTERED = "registered", _("Signed up")
    # The first paid order whose after-sales window closed without a full refund.
    FIRST_ORDER = "first_order", _("First order kept")


class Side(models.TextChoices):
    INVITER = "inviter", _("Inviter")
    INVITEE = "invitee", _("Invitee")


class Review(models.TextChoices):
    CLEAR = "clear", _("Passed the checks")
    HELD = "held", _("Held for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class RewardState(models.TextChoices):
    PAID = "paid", _("Paid")
    HELD = "held", _("Held for review")
    REFUSED = "refused", _("Refused")


class RewardChoice(models.TextChoices):
    NONE = "none", _("Nothing")
    POINTS = "points", _("Points")
    COUPON = "coupon", _("Coupon")


class BoundVia(StrEnum):
    WEB = "web"  # the invite link, remembered through sign-up
    APP = "app"  # POST /api/v1/growth/invites/bind after sign-up


# --- Anti-cheat extension point ---------------------------------------------------------------


class RiskDecision(StrEnum):
    ALLOW = "allow"
    HOLD = "hold"


@dataclass(frozen=True)
class RiskReason:
    """Why a rule fired: a stable code (shared_phone, velocity…) and a line for operators."""

    code: str
    detail: str


@dataclass(frozen=True)
class RiskVerdict:
    decision: RiskDecision
    reasons: tuple[RiskReason, ...] = ()

    @classmethod
    def allow(cls) -> RiskVerdict:
        return cls(decision=RiskDecision.ALLOW)

    @classmethod
    def hold(cls, *reasons: RiskReason) -> RiskVerdict:
        return cls(decision=RiskDecision.HOLD, reasons=tuple(reasons))


@dataclass(frozen=True)
class InviteContext:
    """What is known when an invitee reaches a milestone. Digests are keyed hashes (the same
    value gives the same digest); an implementation reads any further signal it needs (contact
    digests through accounts.selectors.contact_signals, other invites through
    growth.invites.selectors)."""

    invite_id: int
    inviter_id: int
    invitee_id: int
    milestone: str
    bound_at: datetime
    signup_ip_digest: str
    signup_browser: str
    signup_device_owner_id: int | None


@runtime_checkable
class InviteRiskCheck(Protocol):
    """Decides, before any invite reward is paid, whether it is paid at once or held for an
    operator. Chosen by the INVITE_RISK_CHECK setting (a dotted path of a class whose
    instances take no arguments) and checked at start-up."""

    def assess(self, context: InviteContext) -> RiskVerdict: ...


# --- Read models ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Touch:
    """An invite link a visitor opened: which code, when, through which channel and utm tags."""

    code: str
    at: datetime
    channel: str = ""
    utm: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BindSignals:
    """What the sign-up request shows about the device (keyed digests, never the raw IP)."""

    ip_digest: str = ""
    browser: str = ""
    device_owner_id: int | None = None


@dataclass(frozen=True)
class RewardView:
    kind: str  # points or coupon
    points: int
    coupon_name: str


@dataclass(frozen=True)
class InviterView:
    """The inviter as the landing page shows them: public face and what a newcomer gets."""

    user_id: int
    nickname: str
    avatar_url: str
    code: str
    newcomer_rewards: tuple[RewardView, ...]


@dataclass(frozen=True)
class InvitedFriend:
    """One invitee on the inviter's page: a masked name, milestones reached and the state of
    the inviter's reward at each."""

    invite_id: int
    masked_name: str
    bound_at: datetime
    milestones: tuple[str, ...]
    reward_states: dict[str, str]  # milestone → paid / held / refused (inviter's side)


@dataclass(frozen=True)
class FissionProgress:
    task_id: int
    title: str
    required_friends: int
    friends: int
    reward: RewardView
    is_done: bool
    ends_at: datetime | None


@dataclass(frozen=True)
class InviteSummary:
    """The head of "my invites": how many friends joined and bought, what I earned as the
    inviter, what is held for review, and my fission tasks."""

    invited: int
    bought: int
    points_earned: int
    coupons_earned: int
    rewards_held: int
    fission: tuple[FissionProgress, ...] = ()


@dataclass(frozen=True)
class InviteBound:
    invite_id: int
    inviter_id: int
    inviter_name: str
    bound_at: datetime
