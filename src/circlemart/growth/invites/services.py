"""Writes of invites and fission: personal codes, binding an invitee to an inviter, milestones
(registered, first kept order) with the risk check before any reward, operators' reviews of
held milestones, and fission tasks paid once.

Row locks: a milestone's review changes only through a conditional UPDATE on its current
state; rewards and fission completions are unique per key, and growth.rewards pays once per
key, so a redelivered event or a double click pays nothing twice."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from circlemart.accounts import selectors as account_selectors
from circlemart.core import clock
from circlemart.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from circlemart.growth.contracts import Reward, RewardKind
from circlemart.growth.invites import errors
from circlemart.growth.invites.contracts import (
    CODE_ALPHABET,
    BindSignals,
    BoundVia,
    InviteBound,
    InviteContext,
    Milestone,
    Review,
    RewardChoice,
    RewardState,
    RiskDecision,
    RiskReason,
    Side,
    Touch,
)
from circlemart.growth.invites.models import (
    FissionCompletion,
    FissionTask,
    Invite,
    InviteCode,
    InviteMilestone,
    InviteReward,
    InviteRewardRule,
)
from circlemart.growth.invites.risk import invite_risk_check
from circlemart.growth.invites.selectors import live_invite_code
from circlemart.growth.rewards import reward_grant
from circlemart.notifications import services as notification_services
from circlemart.notifications.contracts import NotificationKind, TargetType

logger = logging.getLogger(__name__)

CODE_LENGTH = 8  # 31⁸ ≈ 8.5·10¹¹ codes: guessing a live one is hopeless at any sane rate
MAX_UPLINE_DEPTH = 50
REVIEW_PERMISSION = "growth.change_invitemilestone"


# --- Codes ------------------------------------------------------------------------------------


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def invite_code_ensure(*, user_id: int) -> InviteCode:
    """The user's invite code, created on first use (a racing creator wins quietly)."""
    existing = InviteCode.objects.filter(user_id=user_id).first()
    if existing is not None:
        return existing
    if not account_selectors.user_is_active(user_id):
        raise NotFound(_("This account does not exist."), field="user_id")
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return InviteCode.objects.create(
                    user_id=user_id, code=_new_code(), created_at=clock.now()
                )
        except IntegrityError:
            existing = InviteCode.objects.filter(user_id=user_id).first()
            if existing is not None:
                return existing
            # else: the code itself collided; draw another
    raise Conflict(_("Please try again."), code="busy", field="code")


def invite_code_seen(*, user_id: int, ip_digest: str, browser: str) -> InviteCode:
    """The inviter opened their invite page here: remember where (keyed digests), for the rule
    that catches an inviter signing "friends" up on their own phone or network."""
    code = invite_code_ensure(user_id=user_id)
    now = clock.now()
    InviteCode.objects.filter(pk=code.pk).update(
        seen_ip_digest=ip_digest[:64], seen_browser=browser[:32], seen_at=now
    )
    code.seen_ip_digest, code.seen_browser, code.seen_at = ip_digest[:64], browser[:32], now
    return code


def invite_link_opened(*, raw_code: str, viewer_id: int | None) -> InviteCode:
    """A visitor opened an invite link: the code must be live and not the viewer's own. Counts
    the visit; the caller remembers the touch (a cookie) until sign-up."""
    code = live_invite_code(raw_code)
    if viewer_id is not None and viewer_id == code.user_id:
        raise ValidationFailed(
            _("This is your own invite link: share it with friends."),
            code=errors.SELF_INVITE,
            field="code",
        )
    InviteCode.objects.filter(pk=code.pk).update(visit_count=F("visit_count") + 1)
    return code


# --- Binding ----------------------------------------------------------------------------------


def _upline_ids(user_id: int) -> list[int]:
    """The user's inviter, their inviter, … (stops at MAX_UPLINE_DEPTH)."""
    chain: list[int] = []
    current = user_id
    for _level in range(MAX_UPLINE_DEPTH):
        inviter = (
            Invite.objects.filter(invitee_id=current).values_list("inviter_id", flat=True).first()
        )
        if inviter is None or inviter in chain:
            break
        chain.append(inviter)
        current = inviter
    return chain


@dataclass(frozen=True)
class _Attribution:
    first: Touch | None
    last: Touch | None


def _touch_fields(prefix: str, touch: Touch | None) -> dict[str, object]:
    if touch is None:
        return {}
    return {
        f"{prefix}_code": touch.code[:12],
        f"{prefix}_at": touch.at,
        f"{prefix}_channel": touch.channel[:32],
        f"{prefix}_utm": dict(touch.utm),
    }


def invite_bind(
    *,
    invitee_id: int,
    code: str,
    via: BoundVia,
    first_touch: Touch | None = None,
    last_touch: Touch | None = None,
    signals: BindSignals | None = None,
) -> InviteBound:
    """Bind a new account to the owner of `code`, once, within INVITE_BIND_WINDOW_HOURS of its
    sign-up, then reach the `registered` milestone (risk check, rewards). Refusals are 4xx
    naming `code` and write nothing: an unknown code or one of a disabled account, one's own
    code, an inviter who joined after the invitee (which also rules out loops A → B → A),
    an account already bound or too old."""
    inviter_code = live_invite_code(code)
    normalized = inviter_code.code
    inviter_id = inviter_code.user_id
    if inviter_id == invitee_id:
        raise ValidationFailed(
            _("You cannot use your own invite code."), code=errors.SELF_INVITE, field="code"
        )
    joined = account_selectors.user_joined_at(invitee_id)
    if joined is None:
        raise NotFound(_("This account does not exist."), field="invitee_id")
    now = clock.now()
    if now - joined > timedelta(hours=settings.INVITE_BIND_WINDOW_HOURS):
        raise Conflict(
            _("Invite codes can only be used within %(hours)d hours of signing up.")
            % {"hours": settings.INVITE_BIND_WINDOW_HOURS},
            code=errors.BIND_WINDOW_CLOSED,
            field="code",
        )
    inviter_joined = account_selectors.user_joined_at(inviter_id)
    if inviter_joined is None or inviter_joined >= joined or invitee_id in _upline_ids(inviter_id):
        raise ValidationFailed(
            _("This friend joined after you and cannot invite you."),
            code=errors.INVITE_LOOP,
            field="code",
        )
    if Invite.objects.filter(invitee_id=invitee_id).exists():
        raise Conflict(
            _("Your account is already linked to an inviter."),
            code=errors.ALREADY_BOUND,
            field="code",
        )
    signals = signals or BindSignals()
    try:
        with transaction.atomic():
            # One inviter's bindings run one after another (the lock of their code's row), so
            # the daily velocity count the risk check makes is exact under concurrency.
            InviteCode.objects.select_for_update().filter(pk=inviter_code.pk).values_list(
                "pk", flat=True
            ).first()
            invite = Invite.objects.create(
                inviter_id=inviter_id,
                invitee_id=invitee_id,
                code=normalized,
                bound_via=via.value,
                bound_at=now,
                signup_ip_digest=signals.ip_digest,
                signup_browser=signals.browser[:32],
                signup_device_owner_id=signals.device_owner_id,
                **_touch_fields("first_touch", first_touch),
                **_touch_fields("last_touch", last_touch),
            )
            milestone_reach(invite=invite, milestone=Milestone.REGISTERED, reference="")
    except IntegrityError as exc:
        raise Conflict(
            _("Your account is already linked to an inviter."),
            code=errors.ALREADY_BOUND,
            field="code",
        ) from exc
    cards = account_selectors.user_cards([inviter_id])
    return InviteBound(
        invite_id=invite.pk,
        inviter_id=inviter_id,
        inviter_name=cards[inviter_id].nickname if inviter_id in cards else "",
        bound_at=now,
    )


# --- Milestones and rewards -------------------------------------------------------------------


def _reward_of(kind: str, points: int, coupon_id: int | None) -> Reward | None:
    if kind == RewardChoice.POINTS and points > 0:
        return Reward(kind=RewardKind.POINTS, points=points)
    if kind == RewardChoice.COUPON and coupon_id:
        return Reward(kind=RewardKind.COUPON, coupon_template_id=coupon_id)
    return None


def _rule_rewards(milestone: str) -> dict[Side, Reward]:
    rule = InviteRewardRule.objects.filter(milestone=milestone).first()
    if rule is None:
        return {}
    found: dict[Side, Reward] = {}
    inviter = _reward_of(rule.inviter_kind, rule.inviter_points, rule.inviter_coupon_id)
    invitee = _reward_of(rule.invitee_kind, rule.invitee_points, rule.invitee_coupon_id)
    if inviter is not None:
        found[Side.INVITER] = inviter
    if invitee is not None:
        found[Side.INVITEE] = invitee
    return found


def _context(invite: Invite, milestone: str) -> InviteContext:
    return InviteContext(
        invite_id=invite.pk,
        inviter_id=invite.inviter_id,
        invitee_id=invite.invitee_id,
        milestone=milestone,
        bound_at=invite.bound_at,
        signup_ip_digest=invite.signup_ip_digest,
        signup_browser=invite.signup_browser,
        signup_device_owner_id=invite.signup_device_owner_id,
    )


def _reasons_json(reasons: tuple[RiskReason, ...] | list[RiskReason]) -> list[dict[str, str]]:
    return [{"code": reason.code, "detail": reason.detail} for reason in reasons]


def milestone_reach(
    *, invite: Invite, milestone: str, reference: str = ""
) -> InviteMilestone | None:
    """Record the milestone once (None when it was already reached), ask the risk check, and
    pay both sides' rewards at once or hold them with the reasons. Inside a transaction."""
    verdict = invite_risk_check().assess(_context(invite, milestone))
    held = verdict.decision == RiskDecision.HOLD
    now = clock.now()
    try:
        with transaction.atomic():
            row = InviteMilestone.objects.create(
                invite=invite,
                milestone=milestone,
                reached_at=now,
                reference=reference[:64],
                review=Review.HELD if held else Review.CLEAR,
                reasons=_reasons_json(verdict.reasons),
            )
    except IntegrityError:
        return None  # reached before (a redelivered event, a second order)
    users = {Side.INVITER: invite.inviter_id, Side.INVITEE: invite.invitee_id}
    for side, reward in _rule_rewards(milestone).items():
        InviteReward.objects.create(
            milestone=row,
            side=side,
            user_id=users[side],
            kind=reward.kind.value,
            points=reward.points,
            coupon_template_id=reward.coupon_template_id,
            state=RewardState.HELD,
            grant_key=f"invite:{invite.pk}:{milestone}:{side}",
        )
    if not held:
        _pay_milestone(row)
    return row


def _pay_milestone(row: InviteMilestone) -> None:
    """Pay every held reward of a clear or approved milestone. A reward that cannot be given
    (its coupon sold out) puts the milestone on hold for an operator instead of failing the
    event: approving it later pays what is still owed."""
    for reward in list(row.rewards.filter(state=RewardState.HELD).order_by("pk")):
        grant = _reward_of(reward.kind, reward.points, reward.coupon_template_id)
        if grant is None:
            continue
        try:
            with transaction.atomic():
                reward_grant(
                    user_id=reward.user_id,
                    reward=grant,
                    reason=f"invite_{row.milestone}",
                    idempotency_key=reward.grant_key,
                    reference=str(row.invite_id),
                )
                InviteReward.objects.filter(pk=reward.pk).update(
                    state=RewardState.PAID, paid_at=clock.now()
                )
        except DomainError as refusal:
            logger.warning(
                "invite reward could not be paid; held for review",
                extra={"reward_id": reward.pk, "code": refusal.code},
            )
            reason = RiskReason(
                "reward_unavailable",
                _("The reward could not be given (%(message)s).") % {"message": refusal.message},
            )
            InviteMilestone.objects.filter(pk=row.pk).update(
                review=Review.HELD, reasons=[*row.reasons, *_reasons_json([reason])]
            )
            return
        notification_services.notification_record(
            recipient_id=reward.user_id,
            kind=NotificationKind.REWARD_GRANTED,
            target_type=TargetType.GROWTH,
            target_id=reward.pk,
            actor_id=reward.user_id,
            about_self=True,
            excerpt=_reward_excerpt(reward),
        )
    if row.milestone == Milestone.FIRST_ORDER:
        fission_check(user_id=row.invite.inviter_id)


def _reward_excerpt(reward: InviteReward) -> str:
    if reward.kind == RewardKind.POINTS:
        return _("%(points)d points for inviting a friend") % {"points": reward.points}
    return _("A coupon for inviting a friend")


def invite_first_order_reach(*, buyer_id: int, order_number: str, kept_amount: int) -> bool:
    """An order's after-sales window closed: when the buyer was invited, kept something of it
    (paid and not fully refunded: `kept_amount` > 0) and no earlier order counted, reach
    `first_order`. True when the milestone was reached now."""
    if kept_amount <= 0:
        return False
    invite = Invite.objects.filter(invitee_id=buyer_id).first()
    if invite is None or invite.milestones.filter(milestone=Milestone.FIRST_ORDER).exists():
        return False
    with transaction.atomic():
        return (
            milestone_reach(invite=invite, milestone=Milestone.FIRST_ORDER, reference=order_number)
            is not None
        )


def invite_milestone_review(
    *, actor_id: int, milestone_id: int, approve: bool, note: str = ""
) -> InviteMilestone:
    """An operator decides a held milestone: approve pays its rewards, reject refuses them.
    Decided once: a second decision (or a racing one) is a 409 and changes nothing."""
    if not account_selectors.user_may(actor_id, REVIEW_PERMISSION):
        raise PermissionDenied(_("You may not review invite rewards."))
    with transaction.atomic():
        updated = InviteMilestone.objects.filter(pk=milestone_id, review=Review.HELD).update(
            review=Review.APPROVED if approve else Review.REJECTED,
            reviewed_by_id=actor_id,
            reviewed_at=clock.now(),
            review_note=(note or "")[:500],
        )
        row = InviteMilestone.objects.select_related("invite").filter(pk=milestone_id).first()
        if row is None:
            raise NotFound(_("This milestone does not exist."), field="milestone_id")
        if not updated:
            raise Conflict(
                _("This milestone is not waiting for a review."),
                code=errors.NOT_HELD,
                field="milestone_id",
            )
        if approve:
            _pay_milestone(row)
        else:
            row.rewards.filter(state=RewardState.HELD).update(state=RewardState.REFUSED)
    row.refresh_from_db()
    return row


# --- Fission ----------------------------------------------------------------------------------


def qualifying_friends(*, user_id: int, task: FissionTask) -> int:
    """Invitees of the user whose first kept order passed the check (or was approved) within
    the task's dates."""
    query = InviteMilestone.objects.filter(
        invite__inviter_id=user_id,
        milestone=Milestone.FIRST_ORDER,
        review__in=[Review.CLEAR, Review.APPROVED],
        reached_at__gte=task.starts_at,
    )
    if task.ends_at is not None:
        query = query.filter(reached_at__lt=task.ends_at)
    return query.count()


def fission_check(*, user_id: int) -> list[int]:
    """Pay every active fission task the user has now completed, once each. Returns the ids
    of the tasks completed now."""
    now = clock.now()
    done: list[int] = []
    tasks = FissionTask.objects.filter(is_active=True, starts_at__lte=now).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    for task in tasks.exclude(completions__user_id=user_id).order_by("pk"):
        if qualifying_friends(user_id=user_id, task=task) < task.required_friends:
            continue
        reward = _reward_of(task.reward_kind, task.reward_points, task.reward_coupon_id)
        if reward is None:
            continue
        key = f"fission:{task.pk}:{user_id}"
        try:
            with transaction.atomic():
                completion = FissionCompletion.objects.create(
                    task=task, user_id=user_id, completed_at=now, grant_key=key
                )
                reward_grant(
                    user_id=user_id,
                    reward=reward,
                    reason="invite_fission",
                    idempotency_key=key,
                    reference=str(task.pk),
                )
        except IntegrityError:
            continue  # completed by a concurrent delivery
        except DomainError as refusal:
            logger.warning(
                "fission reward could not be paid", extra={"task_id": task.pk, "code": refusal.code}
            )
            continue
        notification_services.notification_record(
            recipient_id=user_id,
            kind=NotificationKind.REWARD_GRANTED,
            target_type=TargetType.GROWTH,
            target_id=completion.pk,
            actor_id=user_id,
            about_self=True,
            excerpt=_("Task complete: %(title)s") % {"title": task.title},
        )
        done.append(task.pk)
    return done
