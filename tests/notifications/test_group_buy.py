"""Group-buy news in the inbox: the leader hears of friends joining (grouped), and every paid
member — the leader included — hears that the group is complete or failed and refunded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from circlemart.notifications import selectors
from circlemart.notifications.models import Notification
from circlemart.promotions.events import GroupFailed, GroupJoined, GroupSucceeded
from tests.accounts.factories import UserFactory
from tests.notifications.helpers import deliver, group_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_the_leader_hears_of_friends_joining_in_one_group() -> None:
    leader, first, second = UserFactory(), UserFactory(nickname="Bo"), UserFactory(nickname="Cy")
    deliver(
        GroupJoined(group_id=7, leader_id=leader.pk, member_id=first.pk, size=3, paid_count=2),
        GroupJoined(group_id=7, leader_id=leader.pk, member_id=second.pk, size=3, paid_count=3),
    )
    row = group_of(leader.pk, "group_joined")
    (view,) = selectors.inbox_page(user_id=leader.pk, cursor=None, limit=10).items
    assert view.id == row.pk
    assert view.sentence == "Cy and 1 other joined your group"
    assert view.url == "/promotions/groups/7/"


def test_every_paid_member_hears_the_outcome_the_leader_too() -> None:
    leader, member = UserFactory(), UserFactory()
    deliver(
        GroupSucceeded(group_id=8, leader_id=leader.pk, size=2, member_ids=[leader.pk, member.pk]),
        GroupFailed(group_id=9, leader_id=leader.pk, size=3, member_ids=[leader.pk]),
    )
    assert Notification.objects.filter(kind="group_succeeded").count() == 2
    sentences = [
        view.sentence
        for view in selectors.inbox_page(user_id=leader.pk, cursor=None, limit=10).items
    ]
    assert sorted(sentences) == [
        "Your group did not fill up in time: your money is on its way back",
        "Your group is complete: your order ships soon",
    ]
    (member_view,) = selectors.inbox_page(user_id=member.pk, cursor=None, limit=10).items
    assert member_view.url == "/promotions/groups/8/"
