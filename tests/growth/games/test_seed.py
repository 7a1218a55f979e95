"""Demo games and mall: a wheel and a scratch card live with pools, mall items (coupons from
the demo campaigns, a gift), plays today; a second run adds nothing."""

from __future__ import annotations

import random

import pytest

from circlemart.growth.games.models import Game, GamePrize, GameSpin
from circlemart.growth.games.seed import seed_games
from circlemart.growth.mall.models import MallItem, MallRedemption
from circlemart.growth.points import services as points_services
from circlemart.promotions.coupons.contracts import CouponKind
from tests.accounts.factories import AddressFactory, UserFactory
from tests.promotions.conftest import template

pytestmark = pytest.mark.django_db


def test_the_demo_games_and_mall_seed_once() -> None:
    template(kind=CouponKind.PERCENT, amount=0, percent=10, name_en="10% off")
    template(kind=CouponKind.FREE_SHIPPING, amount=0, name_en="Free shipping")
    template(kind=CouponKind.THRESHOLD, amount=3000, min_spend=19900, name_en="¥30 off ¥199")
    users = [UserFactory() for _ in range(12)]
    for user in users:
        AddressFactory(user=user)
        points_services.points_earn(
            user_id=user.pk, amount=2000, reason="test", idempotency_key=f"seed:{user.pk}"
        )
    ids = [user.pk for user in users]
    summary = seed_games(rng=random.Random(3), user_ids=ids, progress=False)
    assert sorted(Game.objects.values_list("slug", "kind")) == [
        ("lucky-wheel", "wheel"),
        ("scratch-card", "scratch"),
    ]
    assert GamePrize.objects.filter(kind="coupon").count() == 2
    assert sorted(MallItem.objects.values_list("kind", flat=True)) == [
        "coupon",
        "coupon",
        "product",
    ]
    plays = GameSpin.objects.count()
    assert plays == 24  # every demo shopper played both games today
    assert summary.startswith("2 games, 24 plays, 3 mall items")
    redemptions = MallRedemption.objects.count()
    assert redemptions > 0
    again = seed_games(rng=random.Random(3), user_ids=ids, progress=False)
    assert (GameSpin.objects.count(), MallRedemption.objects.count()) == (plays, redemptions)
    assert again.startswith("2 games, 0 plays, 3 mall items, 0 redemptions")
