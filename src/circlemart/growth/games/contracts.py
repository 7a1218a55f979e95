"""What crosses the games boundary: the kinds of games and prizes, and the read models the
pages, the API and the back office show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class GameKind(StrEnum):
    WHEEL = "wheel"  # 大转盘
    SCRATCH = "scratch"  # 刮刮乐


class PrizeKind(StrEnum):
    NONE = "none"  # "thanks for playing": the slot that pays nothing
    POINTS = "points"
    COUPON = "coupon"


class ChanceSource(StrEnum):
    """Which chance a play used: today's free ones first, then extra ones (earned or bought)."""

    FREE = "free"
    EXTRA = "extra"


@dataclass(frozen=True)
class PrizeView:
    id: int
    name: str
    kind: PrizeKind
    points: int
    position: int


@dataclass(frozen=True)
class GameCard:
    id: int
    slug: str
    name: str
    kind: GameKind
    description: str
    ends_at: datetime | None


@dataclass(frozen=True)
class Chances:
    """A player's chances in one game today (GROWTH_TIME_ZONE calendar day)."""

    free_left: int
    extra: int
    bought_today: int
    buy_price: int  # points per extra chance; 0: chances are not for sale
    buy_left_today: int

    @property
    def total(self) -> int:
        return self.free_left + self.extra

    @property
    def may_buy(self) -> bool:
        return self.buy_price > 0 and self.buy_left_today > 0


@dataclass(frozen=True)
class GameDetail:
    game: GameCard
    prizes: list[PrizeView]
    chances: Chances | None  # None for a visitor


@dataclass(frozen=True)
class PlayResult:
    """One play as the player sees it. `prize_id`/`position` say where the wheel stops (the
    server decided before any animation); `was_new` is False for a repeated request."""

    id: int
    game_slug: str
    game_kind: GameKind
    prize_id: int | None
    position: int | None
    prize_name: str
    kind: PrizeKind
    points: int
    user_coupon_id: int | None
    chance: ChanceSource
    day: date
    played_at: datetime
    was_new: bool

    @property
    def is_win(self) -> bool:
        return self.kind != PrizeKind.NONE


@dataclass(frozen=True)
class ResultPage:
    items: list[PlayResult]
    next_cursor: str | None


@dataclass(frozen=True)
class ChanceGrantRef:
    id: int
    game_slug: str
    count: int
    points_spent: int
    was_new: bool


@dataclass(frozen=True)
class PrizeStats:
    prize_id: int
    name: str
    kind: PrizeKind
    won: int
    stock: int | None  # None: unlimited
    left: int | None


@dataclass(frozen=True)
class GameStats:
    """Live counters for the back office."""

    game_id: int
    name: str
    plays_today: int
    plays_total: int
    wins_today: int
    budget: int
    budget_used: int
    prizes: list[PrizeStats]

    @property
    def budget_left(self) -> int:
        return self.budget - self.budget_used
