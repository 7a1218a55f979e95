"""Game services: a play takes one chance, draws, takes stock and budget and pays the prize in
one transaction; refusals write nothing; stock, budget and chances never go past their
limits; daily chances renew at midnight in GROWTH_TIME_ZONE."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from circlemart.core.errors import Conflict, NotFound, ValidationFailed
from circlemart.growth.contracts import RewardKind
from circlemart.growth.games import selectors, services
from circlemart.growth.games.contracts import ChanceSource, GameKind, PrizeKind
from circlemart.growth.games.models import (
    Game,
    GameChanceGrant,
    GameChanceWallet,
    GameDay,
    GamePrize,
    GameSpin,
)
from circlemart.growth.models import RewardGrant
from circlemart.growth.points import selectors as points_selectors
from circlemart.growth.points import services as points_services
from circlemart.promotions.coupons.models import UserCoupon
from tests.accounts.factories import UserFactory
from tests.growth.games.conftest import Fixed, local, make_game, nothing, points_prize
from tests.growth.test_rewards import assert_ledger_balances
from tests.promotions.conftest import template

pytestmark = pytest.mark.django_db


def _nothing_written(user_id: int, *, spins: int = 0, grants: int = 0) -> None:
    assert GameSpin.objects.filter(user_id=user_id).count() == spins
    assert RewardGrant.objects.filter(user_id=user_id).count() == grants


def test_a_play_uses_the_free_chance_and_pays_the_prize_once() -> None:
    user = UserFactory()
    game = make_game(prizes=[points_prize(30), nothing()])
    result = services.game_play(user_id=user.pk, slug="wheel", idempotency_key="k1", rng=Fixed(0))
    assert (result.kind, result.points, result.chance, result.was_new) == (
        PrizeKind.POINTS,
        30,
        ChanceSource.FREE,
        True,
    )
    assert result.position == 0
    assert result.is_win
    assert points_selectors.points_balance(user.pk) == 30
    prize = GamePrize.objects.get(game=game, kind=PrizeKind.POINTS)
    game.refresh_from_db()
    assert (prize.won_count, game.budget_used) == (1, 30)
    grant = RewardGrant.objects.get(user=user)
    assert (grant.kind, grant.points, grant.reason) == (RewardKind.POINTS, 30, "game_prize")
    assert GameDay.objects.get(user=user, game=game).free_used == 1
    assert_ledger_balances()


def test_the_same_key_answers_the_first_play_without_a_second_chance() -> None:
    user = UserFactory()
    make_game(prizes=[points_prize(30)], free_chances_per_day=3)
    first = services.game_play(user_id=user.pk, slug="wheel", idempotency_key="k", rng=Fixed(0))
    again = services.game_play(user_id=user.pk, slug="wheel", idempotency_key="k", rng=Fixed(0))
    assert (again.id, again.was_new) == (first.id, False)
    assert GameSpin.objects.count() == 1
    assert GameDay.objects.get(user=user).free_used == 1
    assert points_selectors.points_balance(user.pk) == 30


def test_without_chances_a_play_is_refused_and_writes_nothing() -> None:
    user = UserFactory()
    game = make_game(prizes=[points_prize(30)])
    services.game_play(user_id=user.pk, slug="wheel", idempotency_key="a", rng=Fixed(0))
    with pytest.raises(Conflict) as refused:
        services.game_play(user_id=user.pk, slug="wheel", idempotency_key="b", rng=Fixed(0))
    assert (refused.value.code, refused.value.field) == ("no_chances", "chances")
    assert refused.value.message == "No chances left today. Come back tomorrow or earn more."
    _nothing_written(user.pk, spins=1, grants=1)
    assert GameDay.objects.get(user=user, game=game).free_used == 1
    game.refresh_from_db()
    assert game.budget_used == 30
    assert points_selectors.points_balance(user.pk) == 30


def test_extra_chances_are_used_after_the_free_ones_and_never_go_below_zero() -> None:
    user = UserFactory()
    game = make_game(prizes=[nothing()])
    ref = services.game_chances_grant(
        user_id=user.pk, slug="wheel", count=2, reason="task", idempotency_key="task:1"
    )
    again = services.game_chances_grant(
        user_id=user.pk, slug="wheel", count=2, reason="task", idempotency_key="task:1"
    )
    assert (ref.count, ref.was_new, again.was_new) == (2, True, False)
    sources = [
        services.game_play(user_id=user.pk, slug="wheel", idempotency_key=f"p{i}").chance
        for i in range(3)
    ]
    assert sources == [ChanceSource.FREE, ChanceSource.EXTRA, ChanceSource.EXTRA]
    with pytest.raises(Conflict):
        services.game_play(user_id=user.pk, slug="wheel", idempotency_key="p3")
    assert GameChanceWallet.objects.get(user=user, game=game).extra == 0
    assert GameSpin.objects.filter(user=user).count() == 3


@pytest.mark.parametrize("count", [0, -1, 101, True])
def test_granting_a_bad_number_of_chances_is_refused(count: int) -> None:
    user = UserFactory()
    make_game()
    with pytest.raises(ValidationFailed) as refused:
        services.game_chances_grant(
            user_id=user.pk, slug="wheel", count=count, reason="task", idempotency_key="x"
        )
    assert (refused.value.code, refused.value.field) == ("invalid_count", "count")
    assert not GameChanceGrant.objects.exists()
    assert not GameChanceWallet.objects.exists()


def test_an_out_of_stock_prize_falls_back_to_no_prize() -> None:
    user, other = UserFactory(), UserFactory()
    game = make_game(prizes=[points_prize(50, stock=1), nothing(weight=0)])
    services.game_play(user_id=user.pk, slug="wheel", idempotency_key="a", rng=Fixed(0))
    second = services.game_play(user_id=other.pk, slug="wheel", idempotency_key="a", rng=Fixed(0))
    assert (second.kind, second.points, second.is_win) == (PrizeKind.NONE, 0, False)
    assert second.prize_name == "Thanks"  # the wheel stops on the "none" slot
    prize = GamePrize.objects.get(game=game, kind=PrizeKind.POINTS)
    game.refresh_from_db()
    assert (prize.won_count, prize.stock, game.budget_used) == (1, 1, 50)
    assert points_selectors.points_balance(other.pk) == 0
    spin = GameSpin.objects.get(user=other)
    assert (spin.drawn_prize_id, spin.value) == (prize.pk, 0)


def test_a_prize_beyond_the_budget_falls_back_and_keeps_its_stock() -> None:
    user = UserFactory()
    game = make_game(budget=40, prizes=[points_prize(50, stock=5)])
    result = services.game_play(user_id=user.pk, slug="wheel", idempotency_key="a", rng=Fixed(0))
    assert (result.kind, result.prize_id, result.prize_name) == (
        PrizeKind.NONE,
        None,
        "No prize this time",
    )
    prize = GamePrize.objects.get(game=game)
    game.refresh_from_db()
    assert (prize.won_count, game.budget_used) == (0, 0)  # the stock taken was rolled back
    _nothing_written(user.pk, spins=1, grants=0)


def test_a_coupon_prize_lands_in_my_coupons() -> None:
    user = UserFactory()
    coupon = template(is_public=False, total_quantity=10)
    game = make_game(
        prizes=[{"name": "券", "kind": PrizeKind.COUPON, "coupon_template": coupon, "value": 200}]
    )
    result = services.game_play(user_id=user.pk, slug="wheel", idempotency_key="a", rng=Fixed(0))
    owned = UserCoupon.objects.get(owner=user)
    assert (result.kind, result.user_coupon_id, owned.template_id) == (
        PrizeKind.COUPON,
        owned.pk,
        coupon.pk,
    )
    game.refresh_from_db()
    assert game.budget_used == 200


def test_a_coupon_that_cannot_be_given_rolls_its_prize_back() -> None:
    user = UserFactory()
    coupon = template(is_public=False, total_quantity=1)
    game = make_game(
        prizes=[
            {"name": "券", "kind": PrizeKind.COUPON, "coupon_template": coupon, "value": 200},
        ]
    )
    UserCoupon.objects.create(
        template=coupon,
        owner=UserFactory(),
        claim_number=1,
        claim_limit=1,
        status="available",
        valid_from=coupon.valid_until - timedelta(days=30),
        valid_until=coupon.valid_until,
        claimed_at=coupon.valid_until - timedelta(days=30),
    )
    type(coupon).objects.filter(pk=coupon.pk).update(claimed_count=1)
    result = services.game_play(user_id=user.pk, slug="wheel", idempotency_key="a", rng=Fixed(0))
    assert result.kind == PrizeKind.NONE
    prize = GamePrize.objects.get(game=game)
    game.refresh_from_db()
    assert (prize.won_count, game.budget_used) == (0, 0)
    assert not UserCoupon.objects.filter(owner=user).exists()
    _nothing_written(user.pk, spins=1, grants=0)


def test_draws_follow_the_weights_and_a_zero_weight_is_never_drawn() -> None:
    game = make_game(
        prizes=[points_prize(1, weight=3), nothing(weight=1), points_prize(2, weight=0)]
    )
    prizes = list(GamePrize.objects.filter(game=game).order_by("position"))
    rng = random.Random(7)
    drawn = Counter(services.draw(prizes, rng).pk for _ in range(4000))  # type: ignore[union-attr]
    assert set(drawn) == {prizes[0].pk, prizes[1].pk}
    assert 0.70 < drawn[prizes[0].pk] / 4000 < 0.80
    assert services.draw([], rng) is None


def test_buying_a_chance_spends_points_up_to_the_daily_limit() -> None:
    user = UserFactory()
    points_services.points_earn(user_id=user.pk, amount=100, reason="test", idempotency_key="e")
    game = make_game(chance_price=20, bought_chances_per_day=2, prizes=[nothing()])
    first = services.game_chance_buy(user_id=user.pk, slug="wheel", idempotency_key="b1")
    repeat = services.game_chance_buy(user_id=user.pk, slug="wheel", idempotency_key="b1")
    services.game_chance_buy(user_id=user.pk, slug="wheel", idempotency_key="b2")
    with pytest.raises(Conflict) as refused:
        services.game_chance_buy(user_id=user.pk, slug="wheel", idempotency_key="b3")
    assert (refused.value.code, refused.value.field) == ("chance_buy_limit_reached", "chances")
    assert (first.points_spent, first.was_new, repeat.was_new) == (20, True, False)
    assert points_selectors.points_balance(user.pk) == 60
    assert GameChanceWallet.objects.get(user=user).extra == 2
    assert GameDay.objects.get(user=user, game=game).bought == 2
    chances = selectors.chances(user_id=user.pk, game=game)
    assert (chances.free_left, chances.extra, chances.total, chances.may_buy) == (1, 2, 3, False)
    assert_ledger_balances()


def test_a_short_balance_buys_nothing_and_writes_nothing() -> None:
    user = UserFactory()
    points_services.points_earn(user_id=user.pk, amount=10, reason="test", idempotency_key="e")
    game = make_game(chance_price=20, bought_chances_per_day=2)
    with pytest.raises(Conflict) as refused:
        services.game_chance_buy(user_id=user.pk, slug="wheel", idempotency_key="b")
    assert (refused.value.code, refused.value.field) == ("insufficient_points", "points")
    assert points_selectors.points_balance(user.pk) == 10
    assert not GameChanceGrant.objects.exists()
    assert not GameChanceWallet.objects.exists()
    assert not GameDay.objects.filter(user=user, game=game).exists()


def test_chances_not_for_sale_are_refused() -> None:
    user = UserFactory()
    make_game()
    with pytest.raises(Conflict) as refused:
        services.game_chance_buy(user_id=user.pk, slug="wheel", idempotency_key="b")
    assert refused.value.code == "chances_not_for_sale"


def test_games_that_are_not_live_are_refused(at: Callable[[datetime], None]) -> None:
    user = UserFactory()
    at(local(2025, 5, 3, 12, 0, 0))
    make_game("later", starts_at=local(2025, 5, 4, 0, 0, 0))
    make_game("over", ends_at=local(2025, 5, 3, 11, 0, 0))
    make_game("off", is_active=False)
    for slug, error, code in (
        ("later", Conflict, "game_not_started"),
        ("over", Conflict, "game_ended"),
        ("off", NotFound, "game_not_found"),
        ("nope", NotFound, "game_not_found"),
    ):
        with pytest.raises(error) as refused:
            services.game_play(user_id=user.pk, slug=slug, idempotency_key="k")
        assert (refused.value.code, refused.value.field) == (code, "slug")
    assert not GameSpin.objects.exists()
    assert not GameDay.objects.exists()


def test_the_free_chance_renews_at_midnight_in_the_growth_time_zone(
    at: Callable[[datetime], None],
) -> None:
    user = UserFactory()
    make_game(prizes=[nothing()])
    at(local(2025, 5, 3, 23, 59, 59))
    late = services.game_play(user_id=user.pk, slug="wheel", idempotency_key="a")
    with pytest.raises(Conflict):
        services.game_play(user_id=user.pk, slug="wheel", idempotency_key="b")
    at(local(2025, 5, 4, 0, 0, 0))
    next_day = services.game_play(user_id=user.pk, slug="wheel", idempotency_key="c")
    assert (str(late.day), str(next_day.day)) == ("2025-05-03", "2025-05-04")
    assert next_day.chance == ChanceSource.FREE


def test_my_results_are_my_own_newest_first() -> None:
    user, other = UserFactory(), UserFactory()
    make_game(prizes=[points_prize(5)], free_chances_per_day=2)
    make_game("card", kind=GameKind.SCRATCH, prizes=[nothing()])
    services.game_play(user_id=user.pk, slug="wheel", idempotency_key="1")
    services.game_play(user_id=user.pk, slug="card", idempotency_key="2")
    services.game_play(user_id=other.pk, slug="wheel", idempotency_key="1")
    page = selectors.my_results(user_id=user.pk)
    assert [(r.game_slug, r.kind) for r in page.items] == [
        ("card", PrizeKind.NONE),
        ("wheel", PrizeKind.POINTS),
    ]
    wins = selectors.my_results(user_id=user.pk, wins_only=True)
    assert [r.game_slug for r in wins.items] == ["wheel"]


def test_live_counters_match_the_plays() -> None:
    users = [UserFactory() for _ in range(3)]
    game = make_game(prizes=[points_prize(10, stock=2), nothing(weight=0)])
    for user in users:
        services.game_play(user_id=user.pk, slug="wheel", idempotency_key="k", rng=Fixed(0))
    stats = selectors.game_stats(game.pk)
    assert stats is not None
    assert (stats.plays_today, stats.plays_total, stats.wins_today) == (3, 3, 2)
    assert (stats.budget_used, stats.budget_left) == (20, 9980)
    assert [(p.won, p.stock, p.left) for p in stats.prizes] == [(2, 2, 0), (0, None, None)]


def test_the_database_refuses_a_budget_or_stock_overrun() -> None:
    from django.db import IntegrityError, transaction

    game = make_game(budget=10, prizes=[points_prize(10, stock=1)])
    with pytest.raises(IntegrityError), transaction.atomic():
        Game.objects.filter(pk=game.pk).update(budget_used=11)
    with pytest.raises(IntegrityError), transaction.atomic():
        GamePrize.objects.filter(game=game).update(won_count=2)
