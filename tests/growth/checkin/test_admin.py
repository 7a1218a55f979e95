"""Back office: operators edit the streak ladder and task definitions (validated); check-ins,
cards and progress are read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from circlemart.accounts.contracts import Role
from circlemart.accounts.services import role_grant
from circlemart.growth.checkin.models import StreakRewardRule
from circlemart.growth.tasks_centre.models import TaskDefinition
from tests.accounts.factories import UserFactory

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


def test_operators_add_streak_rewards_and_bad_ones_are_refused(operator: Client) -> None:
    url = "/admin/growth/streakrewardrule/add/"
    assert operator.get(url).status_code == 200
    good = operator.post(
        url, {"streak_day": "7", "points": "30", "make_up_cards": "1", "is_active": "on"}
    )
    assert good.status_code == 302
    assert list(StreakRewardRule.objects.values_list("streak_day", "points", "make_up_cards")) == [
        (7, 30, 1)
    ]
    beyond = operator.post(url, {"streak_day": "8", "points": "5", "make_up_cards": "0"})
    assert beyond.status_code == 200
    assert "The streak cycle has 7 days." in beyond.content.decode()
    nothing = operator.post(url, {"streak_day": "3", "points": "0", "make_up_cards": "0"})
    assert "A streak reward pays points, a coupon or make-up cards." in nothing.content.decode()
    assert StreakRewardRule.objects.count() == 1


def test_operators_add_tasks(operator: Client) -> None:
    url = "/admin/growth/taskdefinition/add/"
    form = {
        "code": "follow_3",
        "kind": "newcomer",
        "title": "关注3位好友",
        "event": "user_followed",
        "target": "3",
        "points": "50",
        "make_up_cards": "0",
        "position": "0",
        "is_active": "on",
    }
    assert operator.post(url, form).status_code == 302
    zero = operator.post(url, {**form, "code": "zero", "target": "0"})
    assert zero.status_code == 200
    assert TaskDefinition.objects.count() == 1


@pytest.mark.parametrize(
    "model", ["checkin", "checkinaccount", "makeupcardmovement", "taskprogress"]
)
def test_records_are_read_only(operator: Client, model: str) -> None:
    assert operator.get(f"/admin/growth/{model}/").status_code == 200
    assert operator.get(f"/admin/growth/{model}/add/").status_code == 403


def test_shoppers_cannot_reach_the_back_office() -> None:
    client = Client()
    client.force_login(UserFactory())
    assert client.get("/admin/growth/streakrewardrule/").status_code == 302
