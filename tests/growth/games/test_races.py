"""Games under real concurrency (PostgreSQL, threads): a pool with budget B never pays more
than B across 1,000 plays, no prize beyond its stock, counters equal the records; chances never
go below zero; one key plays once."""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum

from circlemart.core.errors import Conflict
from circlemart.growth.games import services
from circlemart.growth.games.contracts import PrizeKind
from circlemart.growth.games.models import Game, GameChanceWallet, GamePrize, GameSpin
from circlemart.growth.models import RewardGrant
from circlemart.growth.points.models import PointsBalance
from tests.accounts.factories import UserFactory
from tests.accounts.test_races import run_together
from tests.growth.games.conftest import make_game, nothing, points_prize

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16
PLAYS_PER_THREAD = 63  # 16 × 63 = 1,008 plays
BUDGET = 3_000


def run_queue(threads: int, tasks: list[Callable[[], Any]]) -> list[Any]:
    """`threads` workers started together drain `tasks`; results in task order (PostgreSQL
    here allows 100 connections, shared with other test runs, so a hundred requests go
    through a smaller pool that still keeps them all in flight at once)."""
    work: queue.Queue[int] = queue.Queue()
    for index in range(len(tasks)):
        work.put(index)
    results: list[Any] = [None] * len(tasks)
    barrier = threading.Barrier(threads)

    def runner() -> None:
        try:
            barrier.wait()
            while True:
                try:
                    index = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    results[index] = tasks[index]()
                except Exception as exc:  # kept for the assertion
                    results[index] = exc
        finally:
            connection.close()

    workers = [threading.Thread(target=runner) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    return results


def test_a_thousand_parallel_plays_never_pay_more_than_the_budget() -> None:
    game = make_game(
        budget=BUDGET,
        free_chances_per_day=1,
        prizes=[
            points_prize(10, weight=5),
            points_prize(50, weight=3, stock=25),
            points_prize(200, weight=1, stock=6),
            nothing(weight=1),
        ],
    )
    players = [UserFactory() for _ in range(THREADS)]
    for player in players:
        services.game_chances_grant(
            user_id=player.pk,
            slug="wheel",
            count=PLAYS_PER_THREAD - 1,
            reason="test",
            idempotency_key=f"race:{player.pk}",
        )

    def play_all(index: int) -> list[Any]:
        answers: list[Any] = []
        for turn in range(PLAYS_PER_THREAD):
            try:
                answers.append(
                    services.game_play(
                        user_id=players[index].pk, slug="wheel", idempotency_key=f"t{turn}"
                    )
                )
            except Exception as exc:  # kept for the assertion
                answers.append(exc)
        return answers

    results = [answer for batch in run_together(THREADS, play_all) for answer in batch]
    assert len(results) == THREADS * PLAYS_PER_THREAD == 1008
    assert [r for r in results if isinstance(r, Exception)] == []
    game.refresh_from_db()
    paid = GameSpin.objects.filter(game=game).aggregate(value=Sum("value"), points=Sum("points"))
    assert paid["value"] == game.budget_used <= BUDGET
    assert game.budget_used > BUDGET - 200  # the pool ran dry: the budget did the refusing
    won = Counter(
        GameSpin.objects.filter(game=game)
        .exclude(kind=PrizeKind.NONE)
        .values_list("prize_id", flat=True)
    )
    for prize in GamePrize.objects.filter(game=game):
        assert prize.won_count == won.get(prize.pk, 0)
        assert prize.stock is None or 0 <= prize.won_count <= prize.stock
    assert GameSpin.objects.filter(game=game).count() == 1008
    granted = RewardGrant.objects.filter(reason="game_prize").aggregate(points=Sum("points"))
    balances = PointsBalance.objects.filter(user__in=players).aggregate(total=Sum("balance"))
    assert granted["points"] == paid["points"] == balances["total"]
    assert set(GameChanceWallet.objects.values_list("extra", flat=True)) == {0}


def test_parallel_plays_never_take_a_chance_below_zero() -> None:
    player = UserFactory()
    make_game(prizes=[nothing()])
    services.game_chances_grant(
        user_id=player.pk, slug="wheel", count=10, reason="test", idempotency_key="ten"
    )
    results = run_together(
        30, lambda i: services.game_play(user_id=player.pk, slug="wheel", idempotency_key=f"p{i}")
    )
    refused = [r for r in results if isinstance(r, Conflict)]
    played = [r for r in results if not isinstance(r, Exception)]
    assert (len(played), len(refused)) == (11, 19)  # one free chance and ten extra
    assert {r.code for r in refused} == {"no_chances"}
    assert GameChanceWallet.objects.get(user=player).extra == 0
    assert GameSpin.objects.filter(user=player).count() == 11


def test_twenty_copies_of_one_play_play_once() -> None:
    player = UserFactory()
    game = make_game(prizes=[points_prize(40)], free_chances_per_day=5)
    results = run_together(
        20, lambda _i: services.game_play(user_id=player.pk, slug="wheel", idempotency_key="one")
    )
    assert [r for r in results if isinstance(r, Exception)] == []
    assert len({r.id for r in results}) == 1
    assert sum(1 for r in results if r.was_new) == 1
    game.refresh_from_db()
    assert (GameSpin.objects.count(), game.budget_used) == (1, 40)
    assert PointsBalance.objects.get(user=player).balance == 40
    assert Game.objects.get(pk=game.pk).budget_used == 40
