"""Demo invites: chains with friends at first_order and one held for review; idempotent."""

from __future__ import annotations

import random

import pytest

from circlemart.growth.invites.contracts import Milestone, Review
from circlemart.growth.invites.models import Invite, InviteMilestone, InviteRewardRule
from circlemart.growth.invites.seed import seed_invites
from circlemart.growth.invites.selectors import referral_tree
from circlemart.growth.models import RewardGrant
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_demo_seed_builds_chains_once() -> None:
    root = UserFactory(nickname="小明 Shopper")
    shoppers = [UserFactory().pk for _ in range(12)]

    summary = seed_invites(rng=random.Random(7), user_ids=shoppers, progress=False)
    counts = (
        Invite.objects.count(),
        InviteMilestone.objects.count(),
        RewardGrant.objects.count(),
        InviteRewardRule.objects.count(),
    )
    again = seed_invites(rng=random.Random(7), user_ids=shoppers, progress=False)

    assert (summary, again) == ("10 invites", "0 invites")
    assert counts[0] == 10
    assert (
        Invite.objects.count(),
        InviteMilestone.objects.count(),
        RewardGrant.objects.count(),
        InviteRewardRule.objects.count(),
    ) == counts
    assert Invite.objects.filter(inviter=root).count() == 6
    assert InviteMilestone.objects.filter(milestone=Milestone.FIRST_ORDER).count() == 5
    held = InviteMilestone.objects.get(review=Review.HELD)
    assert [reason["code"] for reason in held.reasons] == ["shared_device"]
    tree = referral_tree(root.pk, depth=3)
    assert tree.milestone_counts == {"registered": 10, "first_order": 5}
    assert [child.user_id for child in tree.root.children][:2] == shoppers[:2]
