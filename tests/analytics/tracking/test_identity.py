"""Identity merge: when a visitor signs in, their anonymous events and visits of the last
ANALYTICS_IDENTITY_MERGE_DAYS become the user's — once, on the first page after sign-in."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client

from circlemart.analytics.contracts import EventRecord
from circlemart.analytics.models import Event, TrackedSession
from circlemart.analytics.services import events_record
from circlemart.analytics.tracking import services
from circlemart.analytics.tracking.consent import Choice, stored_choice
from circlemart.analytics.tracking.middleware import ANONYMOUS_COOKIE
from circlemart.analytics.tracking.sources import SourceInfo
from circlemart.core import clock
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

VISITOR = "d" * 32


def _view(anonymous_id: str, *, days_ago: float = 0, user_id: int | None = None) -> None:
    events_record(
        [
            EventRecord(
                name="product_view",
                origin="client",
                occurred_at=clock.now() - timedelta(days=days_ago),
                event_id=uuid.uuid4(),
                anonymous_id=anonymous_id,
                user_id=user_id,
                object_id="3",
            )
        ],
        historical=True,
    )


def test_recent_anonymous_events_and_visits_become_the_users() -> None:
    _view(VISITOR)
    _view(VISITOR, days_ago=3)
    _view(VISITOR, days_ago=45)  # older than ANALYTICS_IDENTITY_MERGE_DAYS
    _view("someone-else-entirely-000000000")
    _view(VISITOR, user_id=77)  # already someone's: never rewritten
    services.session_start(
        anonymous_id=VISITOR, user_id=None, now=clock.now(), source=SourceInfo(source="direct")
    )

    claimed = services.identity_merge(anonymous_id=VISITOR, user_id=5)

    assert claimed == 2
    assert sorted(
        Event.objects.values_list("anonymous_id", "user_id"), key=lambda row: str(row)
    ) == sorted(
        [
            (VISITOR, 5),
            (VISITOR, 5),
            (VISITOR, None),
            ("someone-else-entirely-000000000", None),
            (VISITOR, 77),
        ],
        key=lambda row: str(row),
    )
    assert list(TrackedSession.objects.values_list("user_id", flat=True)) == [5]


def test_an_empty_anonymous_id_claims_nothing() -> None:
    _view("")

    assert services.identity_merge(anonymous_id="", user_id=5) == 0
    assert Event.objects.get().user_id is None


def test_signing_in_links_the_browser_and_adopts_its_answer(client: Client) -> None:
    user = UserFactory(email="lin@example.com")
    client.cookies["cm_consent"] = "1"
    client.get("/")  # the visitor gets an anonymous id and a visit
    anonymous_id = client.cookies[ANONYMOUS_COOKIE].value
    _view(anonymous_id)

    client.post("/accounts/login/", {"email": "lin@example.com", "password": PASSWORD})
    client.get("/")

    assert list(Event.objects.values_list("user_id", flat=True)) == [user.pk]
    assert list(TrackedSession.objects.values_list("user_id", flat=True)) == [user.pk]
    assert stored_choice(user_id=user.pk) is Choice.ALLOWED


def test_the_merge_runs_once_per_sign_in(client: Client) -> None:
    user = UserFactory()
    client.cookies["cm_consent"] = "1"
    client.get("/")
    client.force_login(user)
    client.get("/hello")
    client.get("/")  # merges
    _view(client.cookies[ANONYMOUS_COOKIE].value)  # a later anonymous row (e.g. from a race)

    client.get("/")  # the session remembers the merge: nothing claimed again

    assert Event.objects.get().user_id is None
