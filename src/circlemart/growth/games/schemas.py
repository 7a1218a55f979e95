"""Request and response shapes of the games API, derived from the contracts
(core.contract_schemas)."""

from __future__ import annotations

from ninja import Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.growth.games.contracts import (
    ChanceGrantRef,
    Chances,
    GameCard,
    GameDetail,
    PlayResult,
    PrizeView,
    ResultPage,
)


@derived_from(GameCard)
class GameCardOut(Schema): ...


class GameListOut(Schema):
    items: list[GameCardOut]


@derived_from(PrizeView)
class PrizeOut(Schema): ...


@derived_from(Chances)
class ChancesOut(Schema):
    total: int
    may_buy: bool


@derived_from(GameDetail, nested={GameCard: GameCardOut, PrizeView: PrizeOut, Chances: ChancesOut})
class GameDetailOut(Schema): ...


@derived_from(PlayResult)
class PlayResultOut(Schema):
    is_win: bool


@derived_from(ResultPage, nested={PlayResult: PlayResultOut})
class ResultPageOut(Schema): ...


@derived_from(ChanceGrantRef)
class ChanceGrantOut(Schema): ...
