"""Demo data of growth: each mechanism seeds its own part, in an order where later parts can
use earlier ones (points before the points mall, distributors before their commission)."""

from __future__ import annotations

import random

from circlemart.accounts import selectors as account_selectors
from circlemart.growth.checkin.models import CheckIn
from circlemart.growth.checkin.seed import seed_checkin
from circlemart.growth.distribution.models import Distributor
from circlemart.growth.distribution.seed import seed_distribution
from circlemart.growth.games.models import GameSpin
from circlemart.growth.games.seed import seed_games
from circlemart.growth.invites.models import Invite
from circlemart.growth.invites.seed import DEMO_SHOPPER, seed_invites
from circlemart.growth.levels.models import BadgeAward, GrowthAccount
from circlemart.growth.levels.seed import seed_levels
from circlemart.growth.mall.models import MallRedemption
from circlemart.growth.points.models import PointsEntry
from circlemart.growth.points.seed import seed_points

SEED_ORDER = ("points", "levels", "checkin", "invites", "distribution", "games")


def seed_growth(*, rng: random.Random, user_ids: list[int], progress: bool = True) -> str:
    """Returns a short summary of what the demo world holds (totals, so a second run that adds
    nothing prints the same line)."""
    # Each mechanism draws from its own generator, so what one of them skips on a second run
    # never shifts another's draws (same --seed, same world).
    streams = {name: random.Random(rng.getrandbits(32)) for name in SEED_ORDER}
    # The demo shopper (the login the README gives) comes first: their rewards centre is the
    # one a newcomer opens, so it has points, a level, a streak and tasks under way.
    shopper = account_selectors.user_ids_by_nicknames([DEMO_SHOPPER])
    user_ids = shopper + [user_id for user_id in user_ids if user_id not in shopper]
    seed_points(rng=streams["points"], user_ids=user_ids, progress=progress)
    seed_levels(rng=streams["levels"], user_ids=user_ids, progress=progress)
    seed_checkin(rng=streams["checkin"], user_ids=user_ids, progress=progress)
    seed_invites(rng=streams["invites"], user_ids=user_ids, progress=progress)
    seed_distribution(rng=streams["distribution"], user_ids=user_ids, progress=progress)
    # games last: the points mall and game prizes use the points and coupons seeded before
    seed_games(rng=streams["games"], user_ids=user_ids, progress=progress)
    return (
        f"growth: {PointsEntry.objects.count()} points entries, "
        f"{GrowthAccount.objects.filter(level__isnull=False).count()} members with a level, "
        f"{BadgeAward.objects.count()} badges, {CheckIn.objects.count()} check-ins, "
        f"{Invite.objects.count()} invites, {Distributor.objects.count()} distributors, "
        f"{GameSpin.objects.count()} game plays, {MallRedemption.objects.count()} redemptions"
    )
