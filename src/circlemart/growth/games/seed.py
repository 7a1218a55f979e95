"""Demo games: a lucky wheel and a scratch card live with their prize pools (points, a coupon
from the demo coupon campaigns, "thanks for playing"), today's plays by some shoppers, and the
points mall. Fixed keys and slugs: a second run adds nothing."""

from __future__ import annotations

import random

from circlemart.core.errors import DomainError
from circlemart.growth.games import services
from circlemart.growth.games.contracts import GameKind, PrizeKind
from circlemart.growth.games.models import Game, GamePrize
from circlemart.growth.mall.seed import seed_mall
from circlemart.promotions.coupons import selectors as coupon_selectors

# slug, name, English name, kind, description, budget, chance price, chances to buy a day
GAMES = (
    (
        "lucky-wheel",
        "幸运大转盘",
        "Lucky wheel",
        GameKind.WHEEL,
        "每天免费转一次，积分、优惠券等你拿",
        200_000,
        20,
        3,
    ),
    ("scratch-card", "刮刮乐", "Scratch card", GameKind.SCRATCH, "刮开就有惊喜", 50_000, 0, 0),
)
# name, English name, kind, points, coupon worth, weight, stock (None: unlimited)
PRIZES = {
    "lucky-wheel": (
        ("10 积分", "10 points", PrizeKind.POINTS, 10, 0, 30, None),
        ("谢谢参与", "Thanks for playing", PrizeKind.NONE, 0, 0, 30, None),
        ("50 积分", "50 points", PrizeKind.POINTS, 50, 0, 15, 500),
        ("9 折券", "10% off coupon", PrizeKind.COUPON, 0, 200, 10, 200),
        ("20 积分", "20 points", PrizeKind.POINTS, 20, 0, 20, None),
        ("500 积分", "500 points", PrizeKind.POINTS, 500, 0, 1, 10),
    ),
    "scratch-card": (
        ("谢谢参与", "Thanks for playing", PrizeKind.NONE, 0, 0, 50, None),
        ("5 积分", "5 points", PrizeKind.POINTS, 5, 0, 35, None),
        ("100 积分", "100 points", PrizeKind.POINTS, 100, 0, 5, 100),
        ("包邮券", "Free-shipping coupon", PrizeKind.COUPON, 0, 100, 10, 300),
    ),
}
COUPON_KINDS = {"9 折券": "percent", "包邮券": "free_shipping"}
PLAYERS = 30


def _templates() -> dict[str, int]:
    found: dict[str, int] = {}
    for coupon in coupon_selectors.claimable_coupons(viewer_id=None):
        found.setdefault(coupon.card.kind, coupon.card.template_id)
    return found


def _games() -> list[Game]:
    templates = _templates()
    games = []
    for position, (slug, name, name_en, kind, description, budget, price, buyable) in enumerate(
        GAMES
    ):
        game = Game.objects.filter(slug=slug).first()
        if game is None:
            game = Game.objects.create(
                slug=slug,
                name=name,
                name_en=name_en,
                kind=kind,
                description=description,
                budget=budget,
                chance_price=price,
                bought_chances_per_day=buyable,
                position=position,
            )
            slot = 0
            for prize_name, prize_en, prize_kind, points, worth, weight, stock in PRIZES[slug]:
                template_id = None
                if prize_kind == PrizeKind.COUPON:
                    template_id = templates.get(COUPON_KINDS[prize_name])
                    if template_id is None:
                        continue  # no demo coupon campaigns: a pool without coupons
                GamePrize.objects.create(
                    game=game,
                    name=prize_name,
                    name_en=prize_en,
                    kind=prize_kind,
                    points=points,
                    value=points or worth,
                    coupon_template_id=template_id,
                    weight=weight,
                    stock=stock,
                    position=slot,
                )
                slot += 1
        games.append(game)
    return games


def seed_games(*, rng: random.Random, user_ids: list[int], progress: bool = True) -> str:
    games = _games()
    # The mall draws from its own generator, so a second run (whose plays draw nothing)
    # picks the same shoppers and items and adds nothing.
    mall_rng = random.Random(rng.getrandbits(32))
    plays = 0
    for user_id in rng.sample(user_ids, k=min(PLAYERS, len(user_ids))):
        for game in games:
            try:
                result = services.game_play(
                    user_id=user_id, slug=game.slug, idempotency_key=f"seed-{game.slug}", rng=rng
                )
            except DomainError:
                continue  # today's chance already used by hand: nothing to add
            plays += int(result.was_new)
    mall = seed_mall(rng=mall_rng, user_ids=user_ids)
    return f"{len(games)} games, {plays} plays, {mall}"
