"""Back office of invites: operators edit reward rules and fission tasks (validated), review
held milestones with their reasons (approve pays, reject refuses), read invites and codes
without editing them, and open the referral tree. Shoppers see none of it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from circlemart.accounts.contracts import Role
from circlemart.accounts.services import role_grant
from circlemart.growth.invites.contracts import Milestone, Review, RewardState
from circlemart.growth.invites.models import (
    Invite,
    InviteMilestone,
    InviteReward,
    InviteRewardRule,
)
from circlemart.growth.points import selectors as points_selectors
from tests.accounts.factories import UserFactory
from tests.growth.invites.conftest import bind, member, newcomer, points_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator() -> Client:
    admin = UserFactory(is_superuser=True, is_staff=True)
    admin.groups.add(Group.objects.get(name=Role.ADMIN.value))
    user = UserFactory()
    role_grant(actor=admin, user=user, role=Role.OPERATOR)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_operators_set_reward_rules_and_incomplete_ones_are_refused(operator: Client) -> None:
    url = "/admin/growth/inviterewardrule/add/"
    assert operator.get(url).status_code == 200
    missing = operator.post(
        url,
        {"milestone": "registered", "inviter_kind": "points", "inviter_points": "0",
         "invitee_kind": "none", "invitee_points": "0"},
    )  # fmt: skip
    assert missing.status_code == 200
    assert "A points reward needs a positive amount." in missing.content.decode()
    negative = operator.post(
        url,
        {"milestone": "registered", "inviter_kind": "points", "inviter_points": "-5",
         "invitee_kind": "none", "invitee_points": "0"},
    )  # fmt: skip
    assert negative.status_code == 200
    assert InviteRewardRule.objects.count() == 0
    good = operator.post(
        url,
        {"milestone": "registered", "inviter_kind": "none", "inviter_points": "0",
         "invitee_kind": "points", "invitee_points": "100"},
    )  # fmt: skip
    assert good.status_code == 302
    assert list(
        InviteRewardRule.objects.values_list("milestone", "inviter_kind", "invitee_points")
    ) == [("registered", "none", 100)]


def test_operators_add_fission_tasks_and_zero_friends_is_refused(operator: Client) -> None:
    url = "/admin/growth/fissiontask/add/"
    data = {"title": "3 friends", "required_friends": "0", "reward_kind": "points",
            "reward_points": "500", "is_active": "on", "starts_at_0": "2026-01-01",
            "starts_at_1": "00:00:00"}  # fmt: skip
    refused = operator.post(url, data)
    assert refused.status_code == 200
    assert operator.post(url, {**data, "required_friends": "3"}).status_code == 302


def test_held_milestones_show_reasons_and_approval_pays(operator: Client, settings: object) -> None:
    settings.INVITE_DAILY_CAP = 1  # type: ignore[attr-defined]
    points_rule(Milestone.REGISTERED, invitee=100)
    inviter = member()
    bind(inviter, newcomer())
    held_friend = newcomer()
    bind(inviter, held_friend)
    held = InviteMilestone.objects.get(review=Review.HELD)

    listing = operator.get("/admin/growth/invitemilestone/?review__exact=held").content.decode()
    assert "velocity" in listing
    detail = operator.get(f"/admin/growth/invitemilestone/{held.pk}/change/").content.decode()
    assert "The inviter brought more than 1 invitees that day." in detail

    response = operator.post(
        "/admin/growth/invitemilestone/",
        {"action": "approve", "_selected_action": [str(held.pk)]},
    )
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.review == Review.APPROVED
    assert InviteReward.objects.get(milestone=held).state == RewardState.PAID
    assert points_selectors.points_balance(held_friend.pk) == 100


def test_rejection_refuses_and_is_recorded(operator: Client, settings: object) -> None:
    settings.INVITE_DAILY_CAP = 1  # type: ignore[attr-defined]
    points_rule(Milestone.REGISTERED, invitee=100)
    inviter = member()
    bind(inviter, newcomer())
    bind(inviter, newcomer())
    held = InviteMilestone.objects.get(review=Review.HELD)
    operator.post(
        "/admin/growth/invitemilestone/", {"action": "reject", "_selected_action": [str(held.pk)]}
    )
    held.refresh_from_db()
    assert held.review == Review.REJECTED
    assert held.reviewed_by_id is not None
    assert InviteReward.objects.get(milestone=held).state == RewardState.REFUSED


def test_invites_are_read_only(operator: Client) -> None:
    bind(member(), newcomer())
    invite = Invite.objects.get()
    assert operator.get("/admin/growth/invite/").status_code == 200
    assert operator.get("/admin/growth/invite/add/").status_code == 403
    page = operator.get(f"/admin/growth/invite/{invite.pk}/change/")
    assert page.status_code == 200
    assert 'name="inviter"' not in page.content.decode()


def test_the_referral_tree_shows_upline_downline_and_counts(operator: Client) -> None:
    points_rule(Milestone.REGISTERED, invitee=10)
    top = member(days_ago=3, nickname="Top")
    middle = member(days_ago=0.05, nickname="Mid")
    leaf_a = member(days_ago=0.02, nickname="LeafA")
    leaf_b = member(days_ago=0.01, nickname="LeafB")
    bind(top, middle)
    bind(middle, leaf_a)
    bind(middle, leaf_b)

    html = operator.get(f"/admin/growth/invite/tree/{middle.pk}/").content.decode()

    assert "Top (#" in html  # upline
    nodes = re.findall(r'data-testid="tree-node" data-user="(\d+)"', html)
    assert nodes == [str(middle.pk), str(leaf_a.pk), str(leaf_b.pk)]
    assert re.search(r'data-testid="tree-count-registered">2<', html)
    assert re.search(r'data-testid="tree-count-first_order">0<', html)


def test_shoppers_cannot_open_the_back_office_pages() -> None:
    client = Client()
    client.force_login(UserFactory())
    for url in ("/admin/growth/invite/", "/admin/growth/invite/tree/1/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
