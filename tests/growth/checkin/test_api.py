"""Check-in and task-centre API over HTTP: calendar, check-in, make-up (every bad date a 4xx
naming `date`, nothing written), tasks with progress, claims (409 when not claimable)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from circlemart.growth.checkin import services as checkin_services
from circlemart.growth.checkin.models import CheckIn, MakeUpCardMovement
from circlemart.growth.models import RewardGrant
from circlemart.growth.tasks_centre import services as task_services
from circlemart.growth.tasks_centre.contracts import TaskEvent
from tests.accounts.factories import UserFactory
from tests.growth.checkin.conftest import local

pytestmark = pytest.mark.django_db
BASE = "/api/v1/growth"
Clock = Callable[[datetime], None]


def bearer(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user).access_token}"}


def post(client: Client, path: str, body: object = None, **extra: Any) -> Any:
    return client.post(path, json.dumps(body or {}), content_type="application/json", **extra)


def test_signing_in_is_required(api_client: Client) -> None:
    assert api_client.get(f"{BASE}/checkin").status_code == 401
    assert post(api_client, f"{BASE}/checkin").status_code == 401
    assert post(api_client, f"{BASE}/checkin/make-up", {"date": "2025-05-01"}).status_code == 401
    assert api_client.get(f"{BASE}/tasks").status_code == 401
    assert post(api_client, f"{BASE}/tasks/x/claim").status_code == 401
    assert CheckIn.objects.count() == 0


def test_check_in_then_read_the_calendar(api_client: Client, at: Clock, ladder: list) -> None:
    user = UserFactory()
    at(local(2025, 5, 4, 23, 59, 59))
    answer = post(api_client, f"{BASE}/checkin", **bearer(user))
    assert answer.status_code == 201
    assert answer.json() == {
        "day": "2025-05-04",
        "streak": 1,
        "is_make_up": False,
        "points": 5,
        "coupon_template_id": None,
        "make_up_cards_earned": 0,
        "make_up_cards": 0,
    }
    again = post(api_client, f"{BASE}/checkin", **bearer(user))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_checked_in"
    assert CheckIn.objects.count() == 1
    found = api_client.get(f"{BASE}/checkin", **bearer(user)).json()
    assert (found["today"], found["month"], found["streak"], found["checked_in_today"]) == (
        "2025-05-04",
        "2025-05-01",
        1,
        True,
    )
    assert (found["next_streak_day"], found["next_reward"]["points"]) == (2, 5)
    assert [d["day"] for d in found["days"] if d["is_checked"]] == ["2025-05-04"]
    assert len(found["ladder"]) == 7
    april = api_client.get(f"{BASE}/checkin?month=2025-04", **bearer(user)).json()
    assert (april["month"], len(april["days"])) == ("2025-04-01", 30)
    for bad in ("2025-13", "May", "2025-4"):
        refused = api_client.get(f"{BASE}/checkin?month={bad}", **bearer(user))
        assert refused.status_code == 400
        assert refused.json()["error"]["field"] == "month"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"date": "2025-05-11"}, 400, "date_in_future"),
        ({"date": "2025-05-10"}, 400, "date_is_today"),
        ({"date": "2025-04-30"}, 400, "date_outside_window"),
        ({"date": "2025-05-02"}, 409, "already_checked_in"),
        ({"date": "2025-05-31x"}, None, None),
        ({"date": 5}, None, None),
        ({}, None, None),
    ],
)
def test_bad_make_up_dates_name_the_field_and_write_nothing(
    api_client: Client, at: Clock, body: dict, status: int | None, code: str | None
) -> None:
    user = UserFactory()
    at(local(2025, 5, 2, 9, 0))
    checkin_services.checkin_today(user_id=user.pk)
    checkin_services.make_up_cards_grant(
        user_id=user.pk, count=1, reason="operator", idempotency_key="gift"
    )
    at(local(2025, 5, 10, 9, 0))
    answer = post(api_client, f"{BASE}/checkin/make-up", body, **bearer(user))
    error = answer.json()["error"]
    assert error["field"] == "date"
    if status is None:  # malformed: the schema refuses it
        assert answer.status_code == 400
    else:
        assert (answer.status_code, error["code"]) == (status, code)
    assert CheckIn.objects.count() == 1
    assert MakeUpCardMovement.objects.count() == 1


def test_make_up_without_a_card_is_refused_on_the_date(api_client: Client, at: Clock) -> None:
    user = UserFactory()
    at(local(2025, 5, 10, 9, 0))
    answer = post(api_client, f"{BASE}/checkin/make-up", {"date": "2025-05-03"}, **bearer(user))
    assert answer.status_code == 409
    assert answer.json()["error"] == {
        "code": "no_make_up_card",
        "message": "You have no make-up card.",
        "field": "date",
    }
    assert CheckIn.objects.count() == 0


def test_make_up_fills_the_day(api_client: Client, at: Clock) -> None:
    user = UserFactory()
    checkin_services.make_up_cards_grant(
        user_id=user.pk, count=1, reason="operator", idempotency_key="gift"
    )
    at(local(2025, 5, 10, 9, 0))
    answer = post(api_client, f"{BASE}/checkin/make-up", {"date": "2025-05-09"}, **bearer(user))
    assert answer.status_code == 201
    body = answer.json()
    assert (body["day"], body["streak"], body["is_make_up"], body["make_up_cards"]) == (
        "2025-05-09",
        1,
        True,
        0,
    )


def test_tasks_and_claims(api_client: Client, tasks: dict) -> None:
    user = UserFactory()
    listing = api_client.get(f"{BASE}/tasks", **bearer(user)).json()
    assert [t["code"] for t in listing["newcomer"]] == ["follow_3", "profile", "first_order"]
    follow = listing["newcomer"][0]
    assert (follow["progress"], follow["target"], follow["may_claim"], follow["points"]) == (
        0,
        3,
        False,
        50,
    )
    refused = post(api_client, f"{BASE}/tasks/follow_3/claim", **bearer(user))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "task_not_completed"
    assert refused.json()["error"]["field"] == "task"
    for person in range(3):
        task_services.task_event_record(
            user_id=user.pk,
            event=TaskEvent.USER_FOLLOWED,
            object_key=f"user:{person}",
            day=local(2025, 5, 1).date(),
        )
    claimed = post(api_client, f"{BASE}/tasks/follow_3/claim", **bearer(user))
    assert claimed.status_code == 201
    assert claimed.json() == {
        "code": "follow_3",
        "period": "",
        "points": 50,
        "coupon_template_id": None,
        "make_up_cards": 0,
    }
    again = post(api_client, f"{BASE}/tasks/follow_3/claim", **bearer(user))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "task_already_claimed")
    missing = post(api_client, f"{BASE}/tasks/nope/claim", **bearer(user))
    assert (missing.status_code, missing.json()["error"]["field"]) == (404, "task")
    assert RewardGrant.objects.filter(user=user).count() == 1
