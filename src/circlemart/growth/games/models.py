"""Tables of the games (lucky wheel, scratch card): a game and its prize pool, each player's
chances, and every play.

The pool's limits are counters the database guards: a prize's `won_count` never passes its
`stock`, a game's `budget_used` never passes its `budget` (CHECK constraints, moved only by
conditional UPDATEs in services). The budget is counted in points-equivalent: a points prize
costs its points, a coupon prize what the operator says it is worth in points."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from circlemart.growth.games.contracts import ChanceSource, GameKind, PrizeKind

# Slugs that name pages beside the games (/growth/games/my-prizes/).
RESERVED_SLUGS = frozenset({"my-prizes", "me"})


class Game(models.Model):
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True, default="")
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=[(k.value, k.value) for k in GameKind])
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    is_active = models.BooleanField(_("live"), default=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    free_chances_per_day = models.PositiveSmallIntegerField(_("free chances a day"), default=1)
    chance_price = models.PositiveIntegerField(
        _("points per extra chance"), default=0, help_text=_("0: extra chances are not sold.")
    )
    bought_chances_per_day = models.PositiveSmallIntegerField(
        _("chances a player may buy a day"), default=0
    )
    budget = models.PositiveBigIntegerField(
        _("budget (points-equivalent)"),
        help_text=_(
            "What all prizes together may cost: points prizes their points, coupon "
            "prizes their stated worth."
        ),
    )
    budget_used = models.BigIntegerField(_("budget used"), default=0, editable=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    # Counters moved only by services' conditional UPDATEs: the back office never writes them.
    COUNTERS = ("budget_used",)

    class Meta:
        verbose_name = _("game")
        verbose_name_plural = _("games")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_used__gte=0) & Q(budget_used__lte=F("budget")),
                name="game_budget_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": _("This slug names a page: choose another.")})
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must come after the start.")})
        if self.pk and self.budget is not None:
            used = Game.objects.filter(pk=self.pk).values_list("budget_used", flat=True).first()
            if used is not None and self.budget < used:
                raise ValidationError(
                    {"budget": _("Already %(used)d of the budget is used.") % {"used": used}}
                )


class GamePrize(models.Model):
    """One slot of the pool. Drawn with probability weight / sum of weights; a "none" slot is
    the chance to win nothing."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="prizes")
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=40, blank=True, default="")
    kind = models.CharField(
        _("kind"), max_length=8, choices=[(k.value, k.value) for k in PrizeKind]
    )
    points = models.PositiveIntegerField(_("points"), default=0)
    coupon_template = models.ForeignKey(
        "promotions.CouponTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("coupon"),
    )
    value = models.PositiveIntegerField(
        _("worth (points-equivalent)"),
        default=0,
        help_text=_("What one win costs the budget. Points prizes: their points."),
    )
    weight = models.PositiveIntegerField(_("weight"), default=1)
    stock = models.PositiveIntegerField(
        _("stock"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    won_count = models.PositiveIntegerField(_("won"), default=0, editable=False)
    position = models.PositiveSmallIntegerField(_("slot"), default=0)

    COUNTERS = ("won_count",)

    class Meta:
        verbose_name = _("prize")
        verbose_name_plural = _("prizes")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(won_count__lte=F("stock")),
                name="game_prize_within_stock",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=PrizeKind.NONE)
                    & Q(points=0)
                    & Q(value=0)
                    & Q(coupon_template__isnull=True)
                )
                | (
                    Q(kind=PrizeKind.POINTS)
                    & Q(points__gt=0)
                    & Q(value=F("points"))
                    & Q(coupon_template__isnull=True)
                )
                | (Q(kind=PrizeKind.COUPON) & Q(points=0) & Q(coupon_template__isnull=False)),
                name="game_prize_payload_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == PrizeKind.POINTS:
            if not self.points:
                raise ValidationError({"points": _("A points prize needs its points.")})
            self.value = self.points
            self.coupon_template = None
        elif self.kind == PrizeKind.COUPON:
            if self.coupon_template_id is None:
                raise ValidationError({"coupon_template": _("Choose the coupon to give.")})
            self.points = 0
        else:
            self.points = self.value = 0
            self.coupon_template = None
        if self.pk and self.stock is not None:
            won = GamePrize.objects.filter(pk=self.pk).values_list("won_count", flat=True).first()
            if won is not None and self.stock < won:
                raise ValidationError(
                    {"stock": _("Already %(won)d of this prize were won.") % {"won": won}}
                )


class GameDay(models.Model):
    """A player's use of one game on one calendar day: free chances used, chances bought."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    free_used = models.PositiveSmallIntegerField(default=0)
    bought = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "game", "day"], name="game_day_once"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} · {self.day}"


class GameChanceWallet(models.Model):
    """Extra chances a player holds in one game (earned by tasks or bought); never negative."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="+")
    extra = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "game"], name="game_chance_wallet_once"),
            models.CheckConstraint(condition=Q(extra__gte=0), name="game_chances_not_negative"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id}: {self.extra}"


class GameChanceGrant(models.Model):
    """Extra chances given once per idempotency key: bought with points, or a task's reward."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    game = models.ForeignKey(Game, on_delete=models.PROTECT, related_name="+")
    count = models.PositiveSmallIntegerField(_("chances"))
    reason = models.CharField(_("reason"), max_length=32)  # bought, task…
    points_spent = models.PositiveIntegerField(_("points spent"), default=0)
    points_entry_id = models.BigIntegerField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=160, unique=True)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("chance grant")
        verbose_name_plural = _("chance grants")
        constraints = [
            models.CheckConstraint(condition=Q(count__gt=0), name="game_chance_grant_positive"),
        ]

    def __str__(self) -> str:
        return f"+{self.count} ({self.reason})"


class GameSpin(models.Model):
    """One play (a wheel spin or a scratched card) and what it paid, written once per key in
    the same transaction as the chance it used, the stock and budget it took and the reward."""

    game = models.ForeignKey(Game, on_delete=models.PROTECT, related_name="spins")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The slot the wheel stops on (None: a drawn prize was out of stock or budget and the
    # play fell back to "no prize" without a "none" slot to show).
    prize = models.ForeignKey(
        GamePrize, on_delete=models.PROTECT, null=True, blank=True, related_name="spins"
    )
    drawn_prize = models.ForeignKey(
        GamePrize, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(
        _("kind"), max_length=8, choices=[(k.value, k.value) for k in PrizeKind]
    )
    prize_name = models.CharField(_("prize"), max_length=40)
    points = models.PositiveIntegerField(_("points"), default=0)
    value = models.PositiveIntegerField(_("worth"), default=0)
    coupon_template_id = models.BigIntegerField(null=True, blank=True)
    user_coupon_id = models.BigIntegerField(null=True, blank=True)
    reward_grant_id = models.BigIntegerField(null=True, blank=True)
    chance = models.CharField(
        _("chance"), max_length=8, choices=[(c.value, c.value) for c in ChanceSource]
    )
    day = models.DateField(_("day"))
    idempotency_key = models.CharField(max_length=160, unique=True)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("play")
        verbose_name_plural = _("plays")
        indexes = [
            models.Index(fields=["game", "day"], name="game_spin_game_day"),
            models.Index(fields=["user", "-created_at", "-id"], name="game_spin_user"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=PrizeKind.NONE) & Q(value=0) & Q(points=0)
                | ~Q(kind=PrizeKind.NONE),
                name="game_spin_none_costs_nothing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.game_id} · user {self.user_id} · {self.prize_name}"
