"""Dashboard fixtures: staff in each role and a known set of daily metrics."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from circlemart.accounts.contracts import Role
from circlemart.accounts.models import User
from circlemart.analytics.models import DailyMetric
from tests.accounts.factories import UserFactory

END = date(2026, 3, 10)


def staff(role: Role) -> User:
    user = UserFactory(is_staff=True)
    user.groups.set([Group.objects.get(name=role.value)])
    return User.objects.get(pk=user.pk)


def client_of(user: User | None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["django_language"] = language
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def analyst() -> User:
    return staff(Role.ANALYST)


@pytest.fixture
def analyst_client(analyst: User) -> Client:
    return client_of(analyst)


def put(
    day: date, metric: str, value: float, dimension: str = "", dimension_value: str = ""
) -> None:
    DailyMetric.objects.create(
        day=day,
        metric=metric,
        dimension=dimension,
        dimension_value=dimension_value,
        value=value,
        computed_at=timezone.now(),
    )


@pytest.fixture
def known_metrics() -> None:
    """Two 3-day periods (2026-03-02..04 and 03-05..07 — the dashboard asks for the latter)."""
    first = date(2026, 3, 2)
    for offset in range(6):
        day = first + timedelta(days=offset)
        put(day, "gmv", 10000 * (offset + 1))  # minor units: ¥100, ¥200 … ¥600
        put(day, "orders_placed", offset + 1)
        put(day, "dau", 10 + offset)
        put(day, "sessions", 100)
        put(day, "converted_sessions", 5 + offset)
        put(day, "conversion_rate", (5 + offset) / 100)
        put(day, "sessions", 60, "channel", "search")
        put(day, "sessions", 40, "channel", "direct")
        put(day, "converted_sessions", 3, "channel", "search")
        put(day, "converted_sessions", 2 + offset, "channel", "direct")
        put(day, "conversion_rate", 3 / 60, "channel", "search")
        put(day, "conversion_rate", (2 + offset) / 40, "channel", "direct")
