"""Reads of the games: live games with their prize slots, a player's chances today, their
results (their own only), and the live counters of the back office."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.pagination import paginate
from circlemart.core.text import localized
from circlemart.growth.calendar import growth_day
from circlemart.growth.games.contracts import (
    Chances,
    ChanceSource,
    GameCard,
    GameDetail,
    GameKind,
    GameStats,
    PlayResult,
    PrizeKind,
    PrizeStats,
    PrizeView,
    ResultPage,
)
from circlemart.growth.games.models import Game, GameChanceWallet, GameDay, GamePrize, GameSpin


def today(moment: datetime | None = None) -> date:
    """The calendar day in GROWTH_TIME_ZONE: daily chances renew at its midnight."""
    return growth_day(moment or clock.now())


def _live(now: datetime) -> QuerySet[Game]:
    return (
        Game.objects.filter(is_active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    )


def _card(game: Game) -> GameCard:
    return GameCard(
        id=game.pk,
        slug=game.slug,
        name=localized(game.name, game.name_en),
        kind=GameKind(game.kind),
        description=game.description,
        ends_at=game.ends_at,
    )


def live_games() -> list[GameCard]:
    return [_card(game) for game in _live(clock.now()).order_by("position", "id")]


def chances(*, user_id: int, game: Game, day: date | None = None) -> Chances:
    day = day or today()
    used = (
        GameDay.objects.filter(user_id=user_id, game=game, day=day)
        .values_list("free_used", "bought")
        .first()
    )
    free_used, bought = used or (0, 0)
    extra = (
        GameChanceWallet.objects.filter(user_id=user_id, game=game)
        .values_list("extra", flat=True)
        .first()
    )
    for_sale = game.chance_price > 0
    return Chances(
        free_left=max(0, game.free_chances_per_day - free_used),
        extra=int(extra or 0),
        bought_today=bought,
        buy_price=game.chance_price if for_sale else 0,
        buy_left_today=max(0, game.bought_chances_per_day - bought) if for_sale else 0,
    )


def _prize_view(prize: GamePrize) -> PrizeView:
    return PrizeView(
        id=prize.pk,
        name=localized(prize.name, prize.name_en),
        kind=PrizeKind(prize.kind),
        points=prize.points,
        position=prize.position,
    )


def live_game(slug: str) -> Game | None:
    return _live(clock.now()).filter(slug=slug).first()


def game_detail(*, slug: str, viewer_id: int | None) -> GameDetail | None:
    """A live game, its slots in wheel order, and the viewer's chances (None: no such live
    game)."""
    game = live_game(slug)
    if game is None:
        return None
    prizes = list(GamePrize.objects.filter(game=game).order_by("position", "id"))
    return GameDetail(
        game=_card(game),
        prizes=[_prize_view(prize) for prize in prizes],
        chances=chances(user_id=viewer_id, game=game) if viewer_id is not None else None,
    )


def result_of(spin: GameSpin, *, was_new: bool = False) -> PlayResult:
    prize = spin.prize
    return PlayResult(
        id=spin.pk,
        game_slug=spin.game.slug,
        game_kind=GameKind(spin.game.kind),
        prize_id=spin.prize_id,
        position=prize.position if prize is not None else None,
        prize_name=localized(prize.name, prize.name_en)
        if prize is not None
        else _("No prize this time"),
        kind=PrizeKind(spin.kind),
        points=spin.points,
        user_coupon_id=spin.user_coupon_id,
        chance=ChanceSource(spin.chance),
        day=spin.day,
        played_at=spin.created_at,
        was_new=was_new,
    )


def my_results(
    *,
    user_id: int,
    slug: str | None = None,
    wins_only: bool = False,
    cursor: str | None = None,
    limit: int = 20,
) -> ResultPage:
    """The player's plays, newest first (all games, or one)."""
    query = GameSpin.objects.filter(user_id=user_id).select_related("game", "prize")
    if slug:
        query = query.filter(game__slug=slug)
    if wins_only:
        query = query.exclude(kind=PrizeKind.NONE)
    page = paginate(query, ordering=("-created_at", "-id"), cursor=cursor, limit=limit)
    return ResultPage(items=[result_of(spin) for spin in page.items], next_cursor=page.next_cursor)


def game_stats(game_id: int) -> GameStats | None:
    """Live counters: plays today and in all, wins today, budget used, each prize's stock."""
    game = Game.objects.filter(pk=game_id).first()
    if game is None:
        return None
    day = today()
    counts = GameSpin.objects.filter(game=game).aggregate(
        total=Count("id"),
        today=Count("id", filter=Q(day=day)),
        wins_today=Count("id", filter=Q(day=day) & ~Q(kind=PrizeKind.NONE)),
    )
    prizes = GamePrize.objects.filter(game=game).order_by("position", "id")
    return GameStats(
        game_id=game.pk,
        name=game.name,
        plays_today=counts["today"],
        plays_total=counts["total"],
        wins_today=counts["wins_today"],
        budget=game.budget,
        budget_used=game.budget_used,
        prizes=[
            PrizeStats(
                prize_id=prize.pk,
                name=prize.name,
                kind=PrizeKind(prize.kind),
                won=prize.won_count,
                stock=prize.stock,
                left=None if prize.stock is None else prize.stock - prize.won_count,
            )
            for prize in prizes
        ],
    )


def plays_today_by_game(game_ids: list[int]) -> dict[int, int]:
    rows = (
        GameSpin.objects.filter(game_id__in=game_ids, day=today())
        .values("game_id")
        .annotate(plays=Count("id"))
    )
    return {row["game_id"]: row["plays"] for row in rows}
