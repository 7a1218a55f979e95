"""Consent: opt-in by default (PIPL) — nothing optional is kept until the subject accepts,
and nothing after they decline; strictly necessary server events are kept either way."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from circlemart.analytics.contracts import EventRecord
from circlemart.analytics.models import TrackingConsent
from circlemart.analytics.tracking.consent import (
    Choice,
    consent_record,
    stored_choice,
    tracking_allowed,
)
from circlemart.analytics.tracking.server_events import consented
from circlemart.core import clock
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_nobody_decided_means_not_allowed_by_default() -> None:
    assert tracking_allowed(user_id=1, anonymous_id="a" * 32) is False


def test_opt_out_mode_allows_the_undecided_but_not_the_declined(settings: Any) -> None:
    settings.ANALYTICS_CONSENT_REQUIRED = False
    consent_record(allowed=False, user_id=2)

    assert tracking_allowed(user_id=1) is True
    assert tracking_allowed(user_id=2) is False


def test_a_user_answer_wins_over_the_visitor_answer() -> None:
    consent_record(allowed=True, anonymous_id="v" * 32)
    consent_record(allowed=False, user_id=5)

    assert tracking_allowed(user_id=5, anonymous_id="v" * 32) is False
    assert tracking_allowed(user_id=None, anonymous_id="v" * 32) is True
    assert tracking_allowed(user_id=6, anonymous_id="v" * 32) is True


def test_the_latest_answer_wins_and_is_kept_once() -> None:
    consent_record(allowed=True, user_id=5)
    consent_record(allowed=False, user_id=5)

    assert stored_choice(user_id=5) is Choice.DECLINED
    assert TrackingConsent.objects.filter(user_id=5).count() == 1


def test_a_signed_in_answer_is_stored_for_the_user(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)

    client.post("/tracking/consent", {"choice": "decline"})

    assert stored_choice(user_id=user.pk) is Choice.DECLINED
    assert tracking_allowed(user_id=user.pk) is False


def _server(name: str, user_id: int) -> EventRecord:
    return EventRecord(name=name, occurred_at=clock.now(), user_id=user_id, object_id="1")


def test_server_events_of_a_declined_user_keep_only_the_necessary() -> None:
    consent_record(allowed=False, user_id=9)
    consent_record(allowed=True, user_id=10)
    records = [
        _server("user_followed", 9),
        _server("order_paid", 9),
        _server("user_followed", 10),
    ]

    kept = consented(records)

    assert [(record.name, record.user_id) for record in kept] == [
        ("order_paid", 9),
        ("user_followed", 10),
    ]
