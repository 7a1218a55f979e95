"""Reads of invites, scoped to the viewer: my code and summary, my invitees (masked names,
milestones, the state of my rewards), fission progress, the landing page's inviter and
newcomer reward, and the referral tree for operators."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from circlemart.accounts import selectors as account_selectors
from circlemart.core import clock
from circlemart.core.crypto import mask_nickname
from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.core.pagination import paginate
from circlemart.growth.invites import errors
from circlemart.growth.invites.contracts import (
    CODE_ALPHABET,
    FissionProgress,
    InvitedFriend,
    InviterView,
    InviteSummary,
    Milestone,
    Review,
    RewardChoice,
    RewardState,
    RewardView,
    Side,
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


def normalize_code(raw: str | None) -> str:
    code = (raw or "").strip().upper()
    if not code:
        raise ValidationFailed(_("Enter an invite code."), code="required", field="code")
    if len(code) > 12 or any(char not in CODE_ALPHABET for char in code):
        raise NotFound(
            _("This invite code does not exist."), code=errors.CODE_UNKNOWN, field="code"
        )
    return code


def live_invite_code(raw_code: str | None) -> InviteCode:
    """The code's row when its owner is an active account; otherwise a 404 naming `code` (a
    deleted or disabled inviter's code invites nobody)."""
    row = InviteCode.objects.filter(code=normalize_code(raw_code)).first()
    if row is None or not account_selectors.user_is_active(row.user_id):
        raise NotFound(
            _("This invite code does not exist."), code=errors.CODE_UNKNOWN, field="code"
        )
    return row


def may_still_bind(user_id: int) -> bool:
    """Whether this account is new enough, and not yet bound, to join through an invite."""
    joined = account_selectors.user_joined_at(user_id)
    if joined is None or inviter_of(user_id) is not None:
        return False
    return (clock.now() - joined).total_seconds() < settings.INVITE_BIND_WINDOW_HOURS * 3600


def _reward_view(kind: str, points: int, coupon_name: str) -> RewardView | None:
    if kind == RewardChoice.POINTS and points > 0:
        return RewardView(kind=kind, points=points, coupon_name="")
    if kind == RewardChoice.COUPON and coupon_name:
        return RewardView(kind=kind, points=0, coupon_name=coupon_name)
    return None


def newcomer_rewards() -> tuple[RewardView, ...]:
    """What an invitee gets, in milestone order (sign-up first)."""
    rules = {
        rule.milestone: rule
        for rule in InviteRewardRule.objects.select_related("invitee_coupon").only(
            "milestone", "invitee_kind", "invitee_points", "invitee_coupon__name"
        )
    }
    found: list[RewardView] = []
    for milestone in Milestone.values:
        rule = rules.get(milestone)
        if rule is None:
            continue
        coupon = rule.invitee_coupon.name if rule.invitee_coupon else ""
        view = _reward_view(rule.invitee_kind, rule.invitee_points, coupon)
        if view is not None:
            found.append(view)
    return tuple(found)


def inviter_view(code: InviteCode) -> InviterView:
    card = account_selectors.user_cards([code.user_id]).get(code.user_id)
    return InviterView(
        user_id=code.user_id,
        nickname=card.nickname if card else "",
        avatar_url=card.avatar_url if card else "",
        code=code.code,
        newcomer_rewards=newcomer_rewards(),
    )


def _fission_progress(user_id: int) -> tuple[FissionProgress, ...]:
    now = clock.now()
    tasks = list(
        FissionTask.objects.filter(
            Q(is_active=True) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        )
        .filter(starts_at__lte=now)
        .select_related("reward_coupon")
        .order_by("required_friends", "pk")
    )
    done = set(
        FissionCompletion.objects.filter(user_id=user_id, task__in=tasks).values_list(
            "task_id", flat=True
        )
    )
    reached = list(
        InviteMilestone.objects.filter(
            invite__inviter_id=user_id,
            milestone=Milestone.FIRST_ORDER,
            review__in=[Review.CLEAR, Review.APPROVED],
        ).values_list("reached_at", flat=True)
    )
    found: list[FissionProgress] = []
    for task in tasks:
        friends = sum(
            1
            for at in reached
            if at >= task.starts_at and (task.ends_at is None or at < task.ends_at)
        )
        coupon = task.reward_coupon.name if task.reward_coupon else ""
        reward = _reward_view(task.reward_kind, task.reward_points, coupon)
        if reward is None:
            continue
        found.append(
            FissionProgress(
                task_id=task.pk,
                title=task.title,
                required_friends=task.required_friends,
                friends=min(friends, task.required_friends),
                reward=reward,
                is_done=task.pk in done,
                ends_at=task.ends_at,
            )
        )
    return tuple(found)


def invite_summary(user_id: int) -> InviteSummary:
    invites = Invite.objects.filter(inviter_id=user_id)
    bought = InviteMilestone.objects.filter(
        invite__inviter_id=user_id, milestone=Milestone.FIRST_ORDER
    ).count()
    mine = InviteReward.objects.filter(user_id=user_id, side=Side.INVITER)
    totals = mine.aggregate(
        points=Sum("points", filter=Q(state=RewardState.PAID, kind=RewardChoice.POINTS)),
        coupons=Count("pk", filter=Q(state=RewardState.PAID, kind=RewardChoice.COUPON)),
        held=Count("pk", filter=Q(state=RewardState.HELD)),
    )
    return InviteSummary(
        invited=invites.count(),
        bought=bought,
        points_earned=totals["points"] or 0,
        coupons_earned=totals["coupons"] or 0,
        rewards_held=totals["held"] or 0,
        fission=_fission_progress(user_id),
    )


@dataclass(frozen=True)
class InvitedFriendsPage:
    items: list[InvitedFriend]
    next_cursor: str | None


def my_invitees(*, user_id: int, cursor: str | None, limit: int) -> InvitedFriendsPage:
    """The user's invitees, newest first: masked names, milestones reached, and the state of
    the user's own (inviter's) reward at each milestone. Three queries a page."""
    page = paginate(
        Invite.objects.filter(inviter_id=user_id),
        ordering=("-bound_at", "-id"),
        cursor=cursor,
        limit=limit,
    )
    invite_ids = [invite.pk for invite in page.items]
    reached: dict[int, list[str]] = defaultdict(list)
    states: dict[int, dict[str, str]] = defaultdict(dict)
    for invite_id, milestone in (
        InviteMilestone.objects.filter(invite_id__in=invite_ids)
        .order_by("reached_at", "pk")
        .values_list("invite_id", "milestone")
    ):
        reached[invite_id].append(milestone)
    for invite_id, milestone, state in InviteReward.objects.filter(
        milestone__invite_id__in=invite_ids, side=Side.INVITER
    ).values_list("milestone__invite_id", "milestone__milestone", "state"):
        states[invite_id][milestone] = state
    cards = account_selectors.user_cards([invite.invitee_id for invite in page.items])
    friends = [
        InvitedFriend(
            invite_id=invite.pk,
            masked_name=mask_nickname(cards[invite.invitee_id].nickname)
            if invite.invitee_id in cards
            else "***",
            bound_at=invite.bound_at,
            milestones=tuple(reached[invite.pk]),
            reward_states=dict(states[invite.pk]),
        )
        for invite in page.items
    ]
    return InvitedFriendsPage(items=friends, next_cursor=page.next_cursor)


def inviter_of(user_id: int) -> int | None:
    return Invite.objects.filter(invitee_id=user_id).values_list("inviter_id", flat=True).first()


# --- Referral tree (back office) --------------------------------------------------------------


@dataclass
class TreeNode:
    user_id: int
    nickname: str
    bound_at: datetime | None
    milestones: dict[str, str]  # milestone → review
    invitee_count: int
    children: list[TreeNode] = field(default_factory=list)


@dataclass(frozen=True)
class ReferralTree:
    user_id: int
    upline: tuple[tuple[int, str], ...]  # nearest inviter first
    root: TreeNode
    milestone_counts: dict[str, int]  # across the whole downline shown
    truncated: bool


MAX_TREE_NODES = 500


def referral_tree(user_id: int, *, depth: int = 3) -> ReferralTree:
    """A user's upline (their inviter, theirs…) and downline `depth` levels deep (at most
    MAX_TREE_NODES), with each invitee's milestones: one query per level."""
    upline_ids: list[int] = []
    current = user_id
    while len(upline_ids) < 10:
        inviter = inviter_of(current)
        if inviter is None or inviter in upline_ids or inviter == user_id:
            break
        upline_ids.append(inviter)
        current = inviter
    nodes: dict[int, TreeNode] = {}
    root = TreeNode(user_id=user_id, nickname="", bound_at=None, milestones={}, invitee_count=0)
    nodes[user_id] = root
    frontier = [user_id]
    truncated = False
    counts: dict[str, int] = defaultdict(int)
    for _level in range(max(depth, 0)):
        if not frontier:
            break
        invites = list(
            Invite.objects.filter(inviter_id__in=frontier).order_by("bound_at", "pk")[
                : MAX_TREE_NODES + 1
            ]
        )
        if len(nodes) + len(invites) > MAX_TREE_NODES:
            truncated = True
            invites = invites[: max(MAX_TREE_NODES - len(nodes), 0)]
        reviews: dict[int, dict[str, str]] = defaultdict(dict)
        for invite_id, milestone, review in InviteMilestone.objects.filter(
            invite__in=invites
        ).values_list("invite_id", "milestone", "review"):
            reviews[invite_id][milestone] = review
            counts[milestone] += 1
        frontier = []
        for invite in invites:
            if invite.invitee_id in nodes:
                continue
            node = TreeNode(
                user_id=invite.invitee_id,
                nickname="",
                bound_at=invite.bound_at,
                milestones=reviews[invite.pk],
                invitee_count=0,
            )
            nodes[invite.invitee_id] = node
            parent = nodes[invite.inviter_id]
            parent.children.append(node)
            frontier.append(invite.invitee_id)
        if truncated:
            break
    totals = dict(
        Invite.objects.filter(inviter_id__in=list(nodes))
        .values_list("inviter_id")
        .annotate(total=Count("pk"))
        .values_list("inviter_id", "total")
    )
    names = _nicknames([*nodes, *upline_ids])
    for node in nodes.values():
        node.nickname = names.get(node.user_id, f"#{node.user_id}")
        node.invitee_count = totals.get(node.user_id, 0)
    return ReferralTree(
        user_id=user_id,
        upline=tuple((uid, names.get(uid, f"#{uid}")) for uid in upline_ids),
        root=root,
        milestone_counts=dict(counts),
        truncated=truncated,
    )


def _nicknames(user_ids: list[int]) -> dict[int, str]:
    return {uid: card.nickname for uid, card in account_selectors.user_cards(user_ids).items()}
