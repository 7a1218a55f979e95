"""Invites under real concurrency (PostgreSQL, threads): one binding per account, one
first_order per invite, one decision per held milestone, an exact daily velocity cap, and
every reward paid once."""

from __future__ import annotations

from typing import Any

import pytest

from circlemart.core.errors import Conflict
from circlemart.growth.invites import services
from circlemart.growth.invites.contracts import BoundVia, Milestone, Review, RewardState
from circlemart.growth.invites.models import Invite, InviteMilestone, InviteReward
from circlemart.growth.models import RewardGrant
from circlemart.growth.points import selectors as points_selectors
from tests.accounts.test_races import run_together
from tests.growth.invites.conftest import member, newcomer, points_rule
from tests.growth.invites.test_services import staff_reviewer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_bindings_of_one_account_make_one_invite() -> None:
    points_rule(Milestone.REGISTERED, inviter=10, invitee=100)
    inviters = [member() for _ in range(20)]
    codes = [services.invite_code_ensure(user_id=user.pk).code for user in inviters]
    invitee = newcomer()

    results = run_together(
        20,
        lambda i: services.invite_bind(invitee_id=invitee.pk, code=codes[i], via=BoundVia.APP),
    )

    refused = [result for result in results if isinstance(result, Exception)]
    assert len(refused) == 19
    assert all(
        isinstance(result, Conflict) and result.code == "already_bound" for result in refused
    )
    invite = Invite.objects.get()
    assert InviteMilestone.objects.count() == 1
    assert RewardGrant.objects.count() == 2
    assert points_selectors.points_balance(invitee.pk) == 100
    assert points_selectors.points_balance(invite.inviter_id) == 10


def test_twenty_deliveries_of_first_orders_reach_the_milestone_once() -> None:
    points_rule(Milestone.FIRST_ORDER, inviter=300, invitee=100)
    inviter, invitee = member(), newcomer()
    services.invite_bind(
        invitee_id=invitee.pk,
        code=services.invite_code_ensure(user_id=inviter.pk).code,
        via=BoundVia.APP,
    )

    results = run_together(
        20,
        lambda i: services.invite_first_order_reach(
            buyer_id=invitee.pk, order_number=f"O-{i}", kept_amount=100
        ),
    )

    assert [result for result in results if isinstance(result, Exception)] == []
    assert sum(1 for result in results if result is True) == 1
    assert InviteMilestone.objects.filter(milestone=Milestone.FIRST_ORDER).count() == 1
    assert points_selectors.points_balance(inviter.pk) == 300
    assert points_selectors.points_balance(invitee.pk) == 100


def test_parallel_reviews_of_a_held_milestone_decide_once(settings: Any) -> None:
    settings.INVITE_DAILY_CAP = 1
    points_rule(Milestone.REGISTERED, invitee=100)
    inviter = member()
    code = services.invite_code_ensure(user_id=inviter.pk).code
    services.invite_bind(invitee_id=newcomer().pk, code=code, via=BoundVia.APP)
    held_friend = newcomer()
    services.invite_bind(invitee_id=held_friend.pk, code=code, via=BoundVia.APP)
    held = InviteMilestone.objects.get(review=Review.HELD)
    operator = staff_reviewer()

    results = run_together(
        10,
        lambda i: services.invite_milestone_review(
            actor_id=operator.pk, milestone_id=held.pk, approve=i % 2 == 0
        ),
    )

    decided = [result for result in results if not isinstance(result, Exception)]
    assert len(decided) == 1
    assert all(
        isinstance(result, Conflict) and result.code == "not_held"
        for result in results
        if isinstance(result, Exception)
    )
    final = InviteMilestone.objects.get(pk=held.pk).review
    state = InviteReward.objects.get(milestone=held).state
    expected = (
        (Review.APPROVED, RewardState.PAID, 100)
        if final == Review.APPROVED
        else (Review.REJECTED, RewardState.REFUSED, 0)
    )
    assert (final, state, points_selectors.points_balance(held_friend.pk)) == expected


def test_the_daily_cap_is_exact_when_friends_sign_up_together(settings: Any) -> None:
    settings.INVITE_DAILY_CAP = 10
    points_rule(Milestone.REGISTERED, inviter=10)
    inviter = member()
    code = services.invite_code_ensure(user_id=inviter.pk).code
    friends = [newcomer() for _ in range(14)]

    results = run_together(
        14,
        lambda i: services.invite_bind(invitee_id=friends[i].pk, code=code, via=BoundVia.APP),
    )

    assert [result for result in results if isinstance(result, Exception)] == []
    reviews = list(InviteMilestone.objects.values_list("review", flat=True))
    assert (reviews.count(Review.CLEAR), reviews.count(Review.HELD)) == (10, 4)
    assert points_selectors.points_balance(inviter.pk) == 100
