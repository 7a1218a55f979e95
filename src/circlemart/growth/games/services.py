"""Writes of the games: a play (spin the wheel, scratch a card), buying an extra chance with
points, and extra chances a task gives.

A play is one transaction: take a chance (today's free ones first, then extra ones — each a
conditional UPDATE, so a chance never goes below zero), draw a prize by weight, then in a
savepoint take the prize's stock and the game's budget (conditional UPDATEs; the database's
CHECK constraints are the last word) and pay it with `growth.rewards.reward_grant`. When the
stock or the budget refuses, or the coupon cannot be given, the savepoint rolls back and the
play falls back to "no prize" (the odds of the other prizes never change because one ran
out). The play is recorded once per idempotency key: a repeat returns the first result."""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from circlemart.growth import rewards
from circlemart.growth.contracts import Reward, RewardKind
from circlemart.growth.games import errors
from circlemart.growth.games.contracts import (
    ChanceGrantRef,
    ChanceSource,
    PlayResult,
    PrizeKind,
)
from circlemart.growth.games.models import (
    Game,
    GameChanceGrant,
    GameChanceWallet,
    GameDay,
    GamePrize,
    GameSpin,
)
from circlemart.growth.games.selectors import result_of, today
from circlemart.growth.points import services as points_services

# Draws in production come from the operating system's generator; tests pass their own.
_SYSTEM_RANDOM = secrets.SystemRandom()
MAX_GRANTED_CHANCES = 100


def _live_game(slug: str) -> Game:
    game = Game.objects.filter(slug=slug, is_active=True).first()
    if game is None:
        raise NotFound(_("This game does not exist."), code=errors.GAME_NOT_FOUND, field="slug")
    now = clock.now()
    if game.starts_at is not None and game.starts_at > now:
        raise Conflict(
            _("This game has not started yet."), code=errors.GAME_NOT_STARTED, field="slug"
        )
    if game.ends_at is not None and game.ends_at <= now:
        raise Conflict(_("This game has ended."), code=errors.GAME_ENDED, field="slug")
    return game


def _scoped_key(kind: str, user_id: int, idempotency_key: str) -> str:
    if not idempotency_key or len(idempotency_key) > 128:
        raise ValidationFailed(
            _("An idempotency key of 1–128 characters is required."),
            code="invalid_idempotency_key",
            field="idempotency_key",
        )
    return f"{kind}:{user_id}:{idempotency_key}"


def _game_day(*, user_id: int, game: Game, day: date) -> None:
    GameDay.objects.get_or_create(user_id=user_id, game=game, day=day)


def _take_chance(*, user_id: int, game: Game, day: date) -> ChanceSource:
    """One chance, free before extra; 409 no_chances when both are used up."""
    _game_day(user_id=user_id, game=game, day=day)
    free = GameDay.objects.filter(
        user_id=user_id, game=game, day=day, free_used__lt=game.free_chances_per_day
    ).update(free_used=F("free_used") + 1)
    if free:
        return ChanceSource.FREE
    extra = GameChanceWallet.objects.filter(user_id=user_id, game=game, extra__gt=0).update(
        extra=F("extra") - 1
    )
    if extra:
        return ChanceSource.EXTRA
    raise Conflict(
        _("No chances left today. Come back tomorrow or earn more."),
        code=errors.NO_CHANCES,
        field="chances",
    )


def draw(prizes: Sequence[GamePrize], rng: random.Random) -> GamePrize | None:
    """A prize by weight (out-of-stock ones keep their weight: drawing one falls back to no
    prize, so running out never raises the odds of the rest). None: nothing to draw."""
    total = sum(prize.weight for prize in prizes)
    if total <= 0:
        return None
    ticket = rng.randrange(total)
    for prize in prizes:
        if ticket < prize.weight:
            return prize
        ticket -= prize.weight
    raise AssertionError("the ticket is always below the total weight")


class _Refused(Exception):
    """The prize's stock or the game's budget said no: roll the savepoint back."""


def _take_stock(prize: GamePrize) -> bool:
    rows = GamePrize.objects.filter(pk=prize.pk)
    if prize.stock is not None:
        rows = rows.filter(won_count__lt=F("stock"))
    return bool(rows.update(won_count=F("won_count") + 1))


def _take_budget(game: Game, value: int) -> bool:
    if value == 0:
        return True
    return bool(
        Game.objects.filter(pk=game.pk, budget_used__lte=F("budget") - value).update(
            budget_used=F("budget_used") + value
        )
    )


def _reward(prize: GamePrize) -> Reward:
    if prize.kind == PrizeKind.POINTS:
        return Reward(kind=RewardKind.POINTS, points=prize.points)
    return Reward(kind=RewardKind.COUPON, coupon_template_id=prize.coupon_template_id)


def _record(
    *,
    game: Game,
    user_id: int,
    prize: GamePrize | None,
    drawn: GamePrize | None,
    chance: ChanceSource,
    day: date,
    key: str,
) -> GameSpin:
    won = prize is not None and prize.kind != PrizeKind.NONE
    return GameSpin.objects.create(
        game=game,
        user_id=user_id,
        prize=prize,
        drawn_prize=drawn,
        kind=prize.kind if prize is not None else PrizeKind.NONE,
        prize_name=prize.name if prize is not None else "",
        points=prize.points if won and prize is not None else 0,
        value=prize.value if won and prize is not None else 0,
        coupon_template_id=prize.coupon_template_id if won and prize is not None else None,
        chance=chance,
        day=day,
        idempotency_key=key,
        created_at=clock.now(),
    )


def _pay(
    *, game: Game, user_id: int, prize: GamePrize, chance: ChanceSource, day: date, key: str
) -> GameSpin | None:
    """Take the prize's stock and budget and pay it, all or nothing (a savepoint)."""
    try:
        with transaction.atomic():
            if not _take_stock(prize) or not _take_budget(game, prize.value):
                raise _Refused
            spin = _record(
                game=game,
                user_id=user_id,
                prize=prize,
                drawn=prize,
                chance=chance,
                day=day,
                key=key,
            )
            paid = rewards.reward_grant(
                user_id=user_id,
                reward=_reward(prize),
                reason="game_prize",
                idempotency_key=f"game-spin:{spin.pk}",
                reference=f"game:{game.slug}",
            )
            GameSpin.objects.filter(pk=spin.pk).update(user_coupon_id=paid.user_coupon_id)
            spin.user_coupon_id = paid.user_coupon_id
    except _Refused:
        return None
    except DomainError as refusal:
        if refusal.status not in (404, 409):
            raise
        return None  # the coupon could not be given (sold out, withdrawn): no prize
    return spin


def _no_prize_slot(prizes: Sequence[GamePrize]) -> GamePrize | None:
    return next((prize for prize in prizes if prize.kind == PrizeKind.NONE), None)


def _spin_by_key(key: str) -> GameSpin | None:
    return GameSpin.objects.select_related("game", "prize").filter(idempotency_key=key).first()


def game_play(
    *, user_id: int, slug: str, idempotency_key: str, rng: random.Random | None = None
) -> PlayResult:
    """Play `slug` once (spin or scratch): the server decides the prize before any animation.
    Refusals write nothing: 404 game_not_found, 409 game_not_started / game_ended /
    no_chances. A repeated key answers the first play (was_new=False)."""
    key = _scoped_key("play", user_id, idempotency_key)
    existing = _spin_by_key(key)
    if existing is not None:
        return result_of(existing, was_new=False)
    game = _live_game(slug)
    day = today()
    try:
        with transaction.atomic():
            chance = _take_chance(user_id=user_id, game=game, day=day)
            prizes = list(GamePrize.objects.filter(game=game).order_by("position", "id"))
            drawn = draw(prizes, rng or _SYSTEM_RANDOM)
            spin = None
            if drawn is not None and drawn.kind != PrizeKind.NONE:
                spin = _pay(
                    game=game, user_id=user_id, prize=drawn, chance=chance, day=day, key=key
                )
            if spin is None:
                shown = drawn if drawn is not None and drawn.kind == PrizeKind.NONE else None
                spin = _record(
                    game=game,
                    user_id=user_id,
                    prize=shown or _no_prize_slot(prizes),
                    drawn=drawn,
                    chance=chance,
                    day=day,
                    key=key,
                )
    except IntegrityError:
        # A copy of this request with the same key won the unique index: answer its play.
        existing = _spin_by_key(key)
        if existing is None:
            raise
        return result_of(existing, was_new=False)
    spin.game = game
    return result_of(spin, was_new=True)


def _grant_ref(grant: GameChanceGrant, *, slug: str, was_new: bool) -> ChanceGrantRef:
    return ChanceGrantRef(
        id=grant.pk,
        game_slug=slug,
        count=grant.count,
        points_spent=grant.points_spent,
        was_new=was_new,
    )


def _add_extra(*, user_id: int, game: Game, count: int) -> None:
    GameChanceWallet.objects.get_or_create(user_id=user_id, game=game)
    GameChanceWallet.objects.filter(user_id=user_id, game=game).update(extra=F("extra") + count)


def game_chance_buy(*, user_id: int, slug: str, idempotency_key: str) -> ChanceGrantRef:
    """Buy one extra chance with points (`points_spend`), at most the game's daily number.
    Refusals write nothing: 409 chances_not_for_sale / chance_buy_limit_reached /
    insufficient_points. A repeated key answers the first purchase."""
    key = _scoped_key("buy", user_id, idempotency_key)
    existing = GameChanceGrant.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _grant_ref(existing, slug=slug, was_new=False)
    game = _live_game(slug)
    if game.chance_price <= 0 or game.bought_chances_per_day <= 0:
        raise Conflict(
            _("Extra chances are not sold in this game."),
            code=errors.CHANCES_NOT_FOR_SALE,
            field="slug",
        )
    day = today()
    try:
        with transaction.atomic():
            _game_day(user_id=user_id, game=game, day=day)
            bought = GameDay.objects.filter(
                user_id=user_id, game=game, day=day, bought__lt=game.bought_chances_per_day
            ).update(bought=F("bought") + 1)
            if not bought:
                raise Conflict(
                    _("You have bought all the chances allowed today."),
                    code=errors.BUY_LIMIT_REACHED,
                    field="chances",
                )
            entry = points_services.points_spend(
                user_id=user_id,
                amount=game.chance_price,
                reason="game_chance",
                reference=f"game:{game.slug}",
                idempotency_key=f"game-chance:{key}",
            )
            _add_extra(user_id=user_id, game=game, count=1)
            grant = GameChanceGrant.objects.create(
                user_id=user_id,
                game=game,
                count=1,
                reason="bought",
                points_spent=game.chance_price,
                points_entry_id=entry.pk,
                idempotency_key=key,
                created_at=clock.now(),
            )
    except IntegrityError:
        existing = GameChanceGrant.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return _grant_ref(existing, slug=slug, was_new=False)
    return _grant_ref(grant, slug=game.slug, was_new=True)


def game_chances_grant(
    *, user_id: int, slug: str, count: int, reason: str, idempotency_key: str
) -> ChanceGrantRef:
    """Give `count` extra chances (a task's reward, a campaign), once per key. The game must
    exist and be active; the chances keep until used."""
    if (
        isinstance(count, bool)
        or not isinstance(count, int)
        or not 0 < count <= MAX_GRANTED_CHANCES
    ):
        raise ValidationFailed(
            _("Chances must be a whole number from 1 to %(max)d.") % {"max": MAX_GRANTED_CHANCES},
            code=errors.INVALID_COUNT,
            field="count",
        )
    if not idempotency_key or len(idempotency_key) > 150:
        raise ValidationFailed(
            _("An idempotency key of 1–150 characters is required."),
            code="invalid_idempotency_key",
            field="idempotency_key",
        )
    key = f"grant:{idempotency_key}"
    existing = GameChanceGrant.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _grant_ref(existing, slug=slug, was_new=False)
    game = Game.objects.filter(slug=slug, is_active=True).first()
    if game is None:
        raise NotFound(_("This game does not exist."), code=errors.GAME_NOT_FOUND, field="slug")
    try:
        with transaction.atomic():
            grant = GameChanceGrant.objects.create(
                user_id=user_id,
                game=game,
                count=count,
                reason=reason[:32],
                idempotency_key=key,
                created_at=clock.now(),
            )
            _add_extra(user_id=user_id, game=game, count=count)
    except IntegrityError:
        existing = GameChanceGrant.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return _grant_ref(existing, slug=slug, was_new=False)
    return _grant_ref(grant, slug=game.slug, was_new=True)
