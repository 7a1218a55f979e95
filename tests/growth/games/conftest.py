"""Fixtures of the games tests: games with prize pools built the way the back office saves
them, and a clock set to a moment in GROWTH_TIME_ZONE (Asia/Shanghai, UTC+8)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from circlemart.core import clock
from circlemart.growth.games.contracts import GameKind, PrizeKind
from circlemart.growth.games.models import Game, GamePrize

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    def set_now(moment: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    return set_now


def make_game(
    slug: str = "wheel", *, prizes: list[dict[str, Any]] | None = None, **fields: Any
) -> Game:
    values: dict[str, Any] = {
        "name": "幸运大转盘",
        "name_en": "Lucky wheel",
        "kind": GameKind.WHEEL,
        "budget": 10_000,
        "free_chances_per_day": 1,
    }
    values.update(fields)
    game = Game(slug=slug, **values)
    game.full_clean()
    game.save()
    for position, prize in enumerate(prizes or []):
        make_prize(game, position=position, **prize)
    return game


def make_prize(game: Game, **fields: Any) -> GamePrize:
    values: dict[str, Any] = {"name": "10 积分", "kind": PrizeKind.POINTS, "points": 10}
    values.update(fields)
    prize = GamePrize(game=game, **values)
    prize.full_clean()
    prize.save()
    return prize


def points_prize(points: int, *, weight: int = 1, stock: int | None = None) -> dict[str, Any]:
    return {
        "name": f"{points} 积分",
        "name_en": f"{points} points",
        "kind": PrizeKind.POINTS,
        "points": points,
        "weight": weight,
        "stock": stock,
    }


def nothing(weight: int = 1) -> dict[str, Any]:
    return {"name": "谢谢参与", "name_en": "Thanks", "kind": PrizeKind.NONE, "weight": weight}


class Fixed(random.Random):
    """A generator whose draws always land on one ticket (the first of the pool: 0)."""

    def __init__(self, ticket: int = 0) -> None:
        super().__init__(0)
        self.ticket = ticket

    def randrange(self, *args: Any, **kwargs: Any) -> int:  # type: ignore[override]
        return self.ticket
