"""Tables of invites and fission: personal codes, who invited whom (with first- and last-touch
attribution), each milestone an invitee reached with its risk review, the rewards it paid or
holds, the operators' reward rules and fission tasks."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from circlemart.growth.invites.contracts import Milestone, Review, RewardChoice, RewardState, Side


class InviteCode(models.Model):
    """A user's personal invite code (created on first use), with where the inviter was last
    seen (keyed digests) so that the risk rules can tell an inviter inviting themselves."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    code = models.CharField(_("code"), max_length=12, unique=True)
    created_at = models.DateTimeField(_("created"))
    visit_count = models.PositiveIntegerField(_("link visits"), default=0)
    seen_ip_digest = models.CharField(max_length=64, blank=True, default="")
    seen_browser = models.CharField(max_length=32, blank=True, default="")
    seen_at = models.DateTimeField(_("inviter last seen"), null=True, blank=True)

    class Meta:
        verbose_name = _("invite code")
        verbose_name_plural = _("invite codes")

    def __str__(self) -> str:
        return self.code


class Invite(models.Model):
    """One invitee bound to one inviter, once. Where the invitee came from: the first and the
    last invite link opened before sign-up (time, channel, utm), and sign-up signals (keyed
    digests) the risk rules compare."""

    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("inviter"),
    )
    invitee = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("invitee"),
    )
    code = models.CharField(_("code"), max_length=12)
    bound_via = models.CharField(_("bound via"), max_length=8)  # "web" (the link) or "app"
    bound_at = models.DateTimeField(_("bound"))
    first_touch_code = models.CharField(_("first link"), max_length=12, blank=True, default="")
    first_touch_at = models.DateTimeField(_("first link opened"), null=True, blank=True)
    first_touch_channel = models.CharField(max_length=32, blank=True, default="")
    first_touch_utm = models.JSONField(default=dict, blank=True)
    last_touch_code = models.CharField(_("last link"), max_length=12, blank=True, default="")
    last_touch_at = models.DateTimeField(_("last link opened"), null=True, blank=True)
    last_touch_channel = models.CharField(max_length=32, blank=True, default="")
    last_touch_utm = models.JSONField(default=dict, blank=True)
    signup_ip_digest = models.CharField(max_length=64, blank=True, default="")
    signup_browser = models.CharField(max_length=32, blank=True, default="")
    # The account this browser last signed in to before the invitee's sign-up (accounts'
    # login device cookie): the inviter's own phone is a ring signal.
    signup_device_owner_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("invite")
        verbose_name_plural = _("invites")
        indexes = [models.Index(fields=["inviter", "-bound_at"], name="invite_by_inviter")]
        constraints = [
            models.CheckConstraint(condition=~Q(inviter=F("invitee")), name="invite_not_self")
        ]

    def __str__(self) -> str:
        return f"{self.inviter_id} → {self.invitee_id}"


class InviteMilestone(models.Model):
    """A milestone an invitee reached (registered, first kept order), once per invite, with
    the verdict of the risk check: clear (paid at once), or held with its reasons until an
    operator approves (paid) or rejects (refused)."""

    invite = models.ForeignKey(Invite, on_delete=models.CASCADE, related_name="milestones")
    milestone = models.CharField(_("milestone"), max_length=16, choices=Milestone.choices)
    reached_at = models.DateTimeField(_("reached"))
    reference = models.CharField(_("reference"), max_length=64, blank=True, default="")
    review = models.CharField(_("review"), max_length=10, choices=Review.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("invite milestone")
        verbose_name_plural = _("invite milestones")
        constraints = [
            models.UniqueConstraint(fields=["invite", "milestone"], name="invite_milestone_once")
        ]
        indexes = [models.Index(fields=["review", "reached_at"], name="invite_milestone_review")]

    def __str__(self) -> str:
        return f"{self.milestone} of invite {self.invite_id}"


class InviteReward(models.Model):
    """What one side earns at one milestone (a snapshot of the rule when it was reached): paid,
    held for review, or refused. Paid through growth.rewards under `grant_key`."""

    milestone = models.ForeignKey(InviteMilestone, on_delete=models.CASCADE, related_name="rewards")
    side = models.CharField(_("side"), max_length=8, choices=Side.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=8)  # growth.contracts.RewardKind
    points = models.PositiveIntegerField(_("points"), default=0)
    coupon_template_id = models.BigIntegerField(_("coupon template"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=RewardState.choices)
    grant_key = models.CharField(max_length=128, unique=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        verbose_name = _("invite reward")
        verbose_name_plural = _("invite rewards")
        constraints = [
            models.UniqueConstraint(fields=["milestone", "side"], name="invite_reward_once")
        ]

    def __str__(self) -> str:
        return f"{self.side} reward of {self.milestone}"


def _check_reward(prefix: str, kind: str, points: int, coupon_id: int | None) -> None:
    """Form-level twin of the check constraints, naming the field that is missing."""
    if kind == RewardChoice.POINTS and points <= 0:
        raise ValidationError({f"{prefix}_points": _("A points reward needs a positive amount.")})
    if kind == RewardChoice.COUPON and coupon_id is None:
        raise ValidationError({f"{prefix}_coupon": _("Choose the coupon to give.")})


def _reward_is_whole(prefix: str) -> Q:
    kind = f"{prefix}_kind"
    return (
        Q(**{kind: RewardChoice.NONE})
        | Q(**{kind: RewardChoice.POINTS, f"{prefix}_points__gt": 0})
        | Q(**{kind: RewardChoice.COUPON, f"{prefix}_coupon__isnull": False})
    )


class InviteRewardRule(models.Model):
    """What a milestone pays the inviter and the invitee (operators edit it). No rule, or
    "none", pays nothing: the registered milestone may pay the inviter nothing at all."""

    milestone = models.CharField(
        _("milestone"), max_length=16, choices=Milestone.choices, unique=True
    )
    inviter_kind = models.CharField(
        _("inviter reward"), max_length=8, choices=RewardChoice.choices, default=RewardChoice.NONE
    )
    inviter_points = models.PositiveIntegerField(_("inviter points"), default=0)
    inviter_coupon = models.ForeignKey(
        "promotions.CouponTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("inviter coupon"),
    )
    invitee_kind = models.CharField(
        _("invitee reward"), max_length=8, choices=RewardChoice.choices, default=RewardChoice.NONE
    )
    invitee_points = models.PositiveIntegerField(_("invitee points"), default=0)
    invitee_coupon = models.ForeignKey(
        "promotions.CouponTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invitee coupon"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("invite reward rule")
        verbose_name_plural = _("invite reward rules")
        constraints = [
            models.CheckConstraint(
                condition=_reward_is_whole("inviter"), name="invite_rule_inviter"
            ),
            models.CheckConstraint(
                condition=_reward_is_whole("invitee"), name="invite_rule_invitee"
            ),
        ]

    def __str__(self) -> str:
        return str(Milestone(self.milestone).label)

    def clean(self) -> None:
        _check_reward("inviter", self.inviter_kind, self.inviter_points, self.inviter_coupon_id)
        _check_reward("invitee", self.invitee_kind, self.invitee_points, self.invitee_coupon_id)


class FissionTask(models.Model):
    """ "N invited friends who buy → a reward": friends count when their first kept order
    passed the risk check (or an operator approved it) inside the task's dates. Paid once."""

    title = models.CharField(_("title"), max_length=60)
    required_friends = models.PositiveSmallIntegerField(_("friends who buy"))
    reward_kind = models.CharField(
        _("reward"),
        max_length=8,
        choices=[
            (RewardChoice.POINTS, RewardChoice.POINTS.label),
            (RewardChoice.COUPON, RewardChoice.COUPON.label),
        ],
    )
    reward_points = models.PositiveIntegerField(_("points"), default=0)
    reward_coupon = models.ForeignKey(
        "promotions.CouponTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("coupon"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)

    class Meta:
        verbose_name = _("fission task")
        verbose_name_plural = _("fission tasks")
        constraints = [
            models.CheckConstraint(
                condition=Q(required_friends__gte=1), name="fission_needs_a_friend"
            ),
            models.CheckConstraint(
                condition=_reward_is_whole("reward") & ~Q(reward_kind=RewardChoice.NONE),
                name="fission_reward",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="fission_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.reward_kind not in (RewardChoice.POINTS, RewardChoice.COUPON):
            raise ValidationError({"reward_kind": _("Choose points or a coupon.")})
        _check_reward("reward", self.reward_kind, self.reward_points, self.reward_coupon_id)
        if self.ends_at is not None and self.starts_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The task must end after it starts.")})


class FissionCompletion(models.Model):
    """A fission task a user completed: its reward paid once (growth.rewards under grant_key)."""

    task = models.ForeignKey(FissionTask, on_delete=models.PROTECT, related_name="completions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    completed_at = models.DateTimeField(_("completed"))
    grant_key = models.CharField(max_length=128, unique=True)

    class Meta:
        verbose_name = _("fission task completed")
        verbose_name_plural = _("fission tasks completed")
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="fission_once")]

    def __str__(self) -> str:
        return f"{self.task_id} by {self.user_id}"
