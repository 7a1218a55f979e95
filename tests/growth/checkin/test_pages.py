"""Check-in and task-centre pages through the Django client: the calendar, today's button
(htmx swaps the panel; without htmx a redirect with a message), make-up, tasks and claims."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from django.test import Client

from circlemart.growth.checkin import services as checkin_services
from circlemart.growth.checkin.models import CheckIn
from circlemart.growth.models import RewardGrant
from circlemart.growth.tasks_centre import services as task_services
from circlemart.growth.tasks_centre.contracts import TaskEvent
from tests.accounts.factories import UserFactory
from tests.growth.checkin.conftest import local

pytestmark = pytest.mark.django_db
Clock = Callable[[datetime], None]
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shopper() -> tuple[Client, int]:
    user = UserFactory()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client, user.pk


def test_visitors_are_sent_to_sign_in() -> None:
    client = Client()
    for path in ("/growth/check-in/", "/growth/tasks/"):
        answer = client.get(path)
        assert answer.status_code == 302
        assert answer["Location"].startswith("/accounts/login/")
    assert client.post("/growth/check-in/today/").status_code == 302
    assert CheckIn.objects.count() == 0


def test_the_calendar_page_and_checking_in_with_htmx(
    shopper: tuple[Client, int], at: Clock, ladder: list
) -> None:
    client, user_id = shopper
    at(local(2025, 5, 4, 9, 0))
    page = client.get("/growth/check-in/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="checkin-button"' in html
    assert 'data-testid="day-2025-05-31"' in html
    assert "Today:" in html
    assert "+5 points" in html
    assert 'href="/static/growth/checkin.css"' in html
    done = client.post("/growth/check-in/today/", **HTMX)
    assert done.status_code == 200
    partial = done.content.decode()
    assert "<html" not in partial
    assert 'data-testid="checked-in-today"' in partial
    assert "Checked in! Streak: 1 day." in partial
    assert "+5 points." in partial
    assert '<strong data-testid="points-balance">5</strong>' in partial
    assert 'data-testid="day-2025-05-04" data-checked="true"' in partial
    again = client.post("/growth/check-in/today/", **HTMX)
    assert again.status_code == 409
    assert "You have already checked in on this day." in again.content.decode()
    assert CheckIn.objects.filter(user_id=user_id).count() == 1
    assert RewardGrant.objects.filter(user_id=user_id).count() == 1


def test_checking_in_without_htmx_redirects_with_a_message(
    shopper: tuple[Client, int], at: Clock
) -> None:
    client, _user_id = shopper
    at(local(2025, 5, 4, 9, 0))
    answer = client.post("/growth/check-in/today/", follow=True)
    assert answer.redirect_chain == [("/growth/check-in/", 302)]
    assert "Checked in! Streak: 1 day." in answer.content.decode()


def test_make_up_from_the_calendar(shopper: tuple[Client, int], at: Clock) -> None:
    client, user_id = shopper
    checkin_services.make_up_cards_grant(
        user_id=user_id, count=1, reason="operator", idempotency_key="gift"
    )
    at(local(2025, 5, 4, 9, 0))
    html = client.get("/growth/check-in/").content.decode()
    assert 'data-testid="make-up-2025-05-03"' in html
    assert 'data-testid="make-up-2025-05-04"' not in html  # today: check in instead
    filled = client.post("/growth/check-in/make-up/", {"date": "2025-05-03"}, **HTMX)
    assert filled.status_code == 200
    assert "2025-05-03 filled with a make-up card. Streak: 1 day." in filled.content.decode()
    refused = client.post("/growth/check-in/make-up/", {"date": "garbage"}, **HTMX)
    assert refused.status_code == 400
    assert "Choose a day of the calendar." in refused.content.decode()
    no_card = client.post("/growth/check-in/make-up/", {"date": "2025-05-02"}, **HTMX)
    assert no_card.status_code == 409
    assert "You have no make-up card." in no_card.content.decode()
    assert list(CheckIn.objects.values_list("day", "is_make_up")) == [
        (local(2025, 5, 3).date(), True)
    ]


def test_the_task_centre_and_a_claim(shopper: tuple[Client, int], tasks: dict) -> None:
    client, user_id = shopper
    page = client.get("/growth/tasks/").content.decode()
    assert "Newcomer tasks" in page
    assert "Daily tasks" in page
    assert "Weekly tasks" in page
    assert 'data-testid="task-follow_3"' in page
    refused = client.post("/growth/tasks/follow_3/claim/", **HTMX)
    assert refused.status_code == 409
    assert "Finish the task first." in refused.content.decode()
    for person in range(3):
        task_services.task_event_record(
            user_id=user_id,
            event=TaskEvent.USER_FOLLOWED,
            object_key=f"user:{person}",
            day=local(2025, 5, 1).date(),
        )
    page = client.get("/growth/tasks/").content.decode()
    assert "3/3" in page
    assert 'data-testid="claim"' in page
    claimed = client.post("/growth/tasks/follow_3/claim/", **HTMX)
    assert claimed.status_code == 200
    body = claimed.content.decode()
    assert "Reward claimed!" in body
    assert 'data-testid="claimed"' in body
    assert RewardGrant.objects.filter(user_id=user_id, reason="task").count() == 1
    assert client.post("/growth/tasks/nope/claim/", **HTMX).status_code == 404
