"""Demo invites: the reward rules (sign-up pays the newcomer only; the first kept order pays
both), a fission task, and invite chains among demo shoppers rooted at the demo login
shopper@demo.circlemart.test: some friends at first_order, one held for review (its browser
signed up another friend before), three levels deep for the referral tree. Invites already
present are skipped, so a second run adds nothing."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction

from circlemart.accounts import selectors as account_selectors
from circlemart.core import clock
from circlemart.core.crypto import lookup_digest
from circlemart.growth.invites import services
from circlemart.growth.invites.contracts import BoundVia, Milestone, RewardChoice
from circlemart.growth.invites.models import FissionTask, Invite, InviteRewardRule

DEMO_SHOPPER = "小明 Shopper"  # accounts.seed's shopper login: the root of the demo tree
# (inviter index, invitee index, channel, reached first_order) over [root, *shoppers]
CHAINS = [
    (0, 1, "poster", True),
    (0, 2, "link", True),
    (0, 3, "wechat", False),
    (0, 4, "link", True),
    (0, 5, "link", False),  # same browser as 6: 6 is held for review
    (0, 6, "link", False),
    (1, 7, "link", True),
    (1, 8, "poster", False),
    (7, 9, "link", False),
    (2, 10, "link", True),
]
SHARED_BROWSER = {5, 6}


def _rules() -> None:
    InviteRewardRule.objects.get_or_create(
        milestone=Milestone.REGISTERED,
        defaults={"invitee_kind": RewardChoice.POINTS, "invitee_points": 100},
    )
    InviteRewardRule.objects.get_or_create(
        milestone=Milestone.FIRST_ORDER,
        defaults={
            "inviter_kind": RewardChoice.POINTS,
            "inviter_points": 300,
            "invitee_kind": RewardChoice.POINTS,
            "invitee_points": 100,
        },
    )
    FissionTask.objects.get_or_create(
        title="邀请 5 位好友下单",
        defaults={
            "required_friends": 5,
            "reward_kind": RewardChoice.POINTS,
            "reward_points": 1000,
            "starts_at": clock.now() - timedelta(days=60),
        },
    )


def seed_invites(*, rng: random.Random, user_ids: list[int], progress: bool = True) -> str:
    _rules()
    root = account_selectors.user_ids_by_nicknames([DEMO_SHOPPER])
    people = [*root, *[uid for uid in user_ids if uid not in root]]
    if len(people) < 11:
        return "invites: skipped (too few users)"
    created = 0
    now = clock.now()
    for position, (inviter_index, invitee_index, channel, bought) in enumerate(CHAINS):
        inviter_id, invitee_id = people[inviter_index], people[invitee_index]
        code = services.invite_code_ensure(user_id=inviter_id).code
        if Invite.objects.filter(invitee_id=invitee_id).exists():
            continue
        bound_at = now - timedelta(days=20 - position, hours=rng.randint(0, 12))
        browser = "demo-shared" if invitee_index in SHARED_BROWSER else f"demo-{invitee_index}"
        with transaction.atomic():
            # Written directly rather than through invite_bind: demo accounts all signed up
            # at seeding time, and the chain needs bind times in the past.
            invite = Invite.objects.create(
                inviter_id=inviter_id,
                invitee_id=invitee_id,
                code=code,
                bound_via=BoundVia.WEB.value,
                bound_at=bound_at,
                first_touch_code=code,
                first_touch_at=bound_at - timedelta(hours=2),
                first_touch_channel=channel,
                last_touch_code=code,
                last_touch_at=bound_at - timedelta(minutes=5),
                last_touch_channel=channel,
                signup_ip_digest=lookup_digest(f"ip:demo-{invitee_index}"),
                signup_browser=browser,
            )
            services.milestone_reach(invite=invite, milestone=Milestone.REGISTERED)
            if bought:
                services.invite_first_order_reach(
                    buyer_id=invitee_id, order_number=f"DEMO-{invite.pk:06d}", kept_amount=9900
                )
        created += 1
    return f"{created} invites"
