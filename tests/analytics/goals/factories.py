"""Helpers of growth-goal tests: daily metric rows and back-office users."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import Group
from django.utils import timezone

from circlemart.accounts import services as account_services
from circlemart.accounts.contracts import Role
from circlemart.accounts.models import User
from circlemart.analytics.models import DailyMetric
from circlemart.core import clock
from tests.accounts.factories import UserFactory


def today() -> date:
    return timezone.localdate(clock.now())


def days_ago(count: int) -> date:
    return today() - timedelta(days=count)


def daily(metric: str, values: list[float], *, last_day: date | None = None) -> None:
    """Store `values` as the metric's overall daily values, the last one on `last_day`
    (yesterday by default)."""
    last_day = last_day or days_ago(1)
    first = last_day - timedelta(days=len(values) - 1)
    DailyMetric.objects.bulk_create(
        [
            DailyMetric(
                day=first + timedelta(days=offset),
                metric=metric,
                value=value,
                computed_at=clock.now(),
            )
            for offset, value in enumerate(values)
        ]
    )


def staff(role: Role) -> User:
    admin = User.objects.filter(is_superuser=True).first() or UserFactory(
        is_superuser=True, is_staff=True
    )
    admin.groups.add(Group.objects.get(name=Role.ADMIN.value))
    user = UserFactory()
    account_services.role_grant(actor=admin, user=user, role=role)
    return User.objects.get(pk=user.pk)
