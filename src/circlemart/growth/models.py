"""Tables of growth. Each mechanism keeps its tables in its own sub-package; they are imported
here so Django finds them. The reward grant is shared: every reward any mechanism pays."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from circlemart.growth.checkin.models import (  # noqa: F401
    CheckIn,
    CheckinAccount,
    MakeUpCardMovement,
    StreakRewardRule,
)
from circlemart.growth.contracts import RewardKind
from circlemart.growth.distribution.models import (  # noqa: F401
    Commission,
    CommissionAccount,
    CommissionEntry,
    CommissionOrder,
    CommissionRate,
    DistributionBinding,
    Distributor,
    DistributorLevel,
    PromotionLink,
    Withdrawal,
)
from circlemart.growth.games.models import (  # noqa: F401
    Game,
    GameChanceGrant,
    GameChanceWallet,
    GameDay,
    GamePrize,
    GameSpin,
)
from circlemart.growth.invites.models import (  # noqa: F401
    FissionCompletion,
    FissionTask,
    Invite,
    InviteCode,
    InviteMilestone,
    InviteReward,
    InviteRewardRule,
)
from circlemart.growth.levels.models import (  # noqa: F401
    BadgeAward,
    BadgeProgress,
    BadgeProgressStep,
    BadgeRule,
    GrowthAccount,
    GrowthValueEntry,
    Level,
    LevelChange,
)
from circlemart.growth.mall.models import MallHolding, MallItem, MallRedemption  # noqa: F401
from circlemart.growth.points.models import (  # noqa: F401
    PointsBalance,
    PointsDebt,
    PointsEarnRule,
    PointsEntry,
    PointsLot,
    PointsLotUse,
    PointsOrderEarning,
    PointsPosting,
)
from circlemart.growth.tasks_centre.models import TaskDefinition, TaskProgress, TaskStep  # noqa: F401


class RewardGrant(models.Model):
    """One reward paid to one user, once per idempotency key (an invite milestone, a task, a
    check-in streak, a game prize): the points entry or the coupon it created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(
        _("kind"), max_length=8, choices=[(k.value, k.value) for k in RewardKind]
    )
    points = models.PositiveIntegerField(_("points"), default=0)
    coupon_template_id = models.BigIntegerField(_("coupon template"), null=True, blank=True)
    user_coupon_id = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=32)  # invite_registered, checkin, task…
    reference = models.CharField(_("reference"), max_length=64, blank=True, default="")
    idempotency_key = models.CharField(max_length=128, unique=True)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        indexes = [models.Index(fields=["user", "-created_at"], name="reward_grant_user")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=RewardKind.POINTS) & Q(points__gt=0))
                | (Q(kind=RewardKind.COUPON) & Q(coupon_template_id__isnull=False)),
                name="reward_grant_has_payload",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason} → user {self.user_id}"
