"""Races on real PostgreSQL with real threads: invariants hold, every loser gets a clean 4xx."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from circlemart.accounts import services
from circlemart.accounts.models import Address, OneTimeCode, User
from circlemart.core.errors import DomainError
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
STRONG = "blue-Harbor-42-lantern"


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Start `count` threads that call `work(i)` at the same instant; collect the results."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def runner(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # keep the failure for the assertion, not the thread
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_simultaneous_registrations_with_one_email_make_one_account():
    def register(index: int) -> tuple[int, dict[str, Any]]:
        response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
            "/api/v1/auth/register",
            json.dumps({"email": "Race@Example.com", "password": STRONG, "nickname": f"r{index}"}),
            content_type="application/json",
            REMOTE_ADDR=f"10.0.0.{index + 1}",
        )
        return response.status_code, response.json()

    results = run_together(12, register)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 11
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] == "email_taken"
            assert body["error"]["field"] == "email"
    assert User.objects.filter(email="race@example.com").count() == 1


def test_one_code_signs_in_once_when_submitted_in_parallel(sent_sms):
    services.otp_request(phone="13800138000", ip="10.1.1.1")
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", sent_sms[-1][1]).group(1)

    def verify(index: int) -> Any:
        return services.user_login_with_otp(phone="13800138000", code=code, ip=f"10.2.0.{index}")

    results = run_together(8, verify)
    winners = [result for result in results if isinstance(result, tuple)]
    losers = [result for result in results if isinstance(result, DomainError)]
    assert len(winners) == 1
    assert len(losers) == 7
    assert {loser.code for loser in losers} == {"code_expired"}
    assert User.objects.count() == 1
    assert OneTimeCode.objects.filter(used_at__isnull=True).count() == 0


def test_parallel_default_addresses_leave_exactly_one_default():
    user = UserFactory()

    def add(index: int) -> Any:
        return services.address_create(
            user=user,
            data=services.AddressInput(
                recipient=f"收件人{index}",
                phone="13800138000",
                province="上海市",
                city="上海市",
                detail=f"南京东路 {index} 号",
                is_default=True,
            ),
        )

    results = run_together(10, add)
    assert not [result for result in results if isinstance(result, Exception)]
    assert Address.objects.filter(user=user).count() == 10
    assert Address.objects.filter(user=user, is_default=True).count() == 1


def test_parallel_guesses_from_one_client_get_exactly_the_limit_checked(settings):
    """Replaces the exact lock-out counter test: counting happens before the password check, so
    a burst of guesses from one address gets no more than the limit checked."""
    settings.LOGIN_STEP_UP_AFTER_FAILURES = 5
    user = UserFactory(email="target@example.com")

    def guess(index: int) -> Any:
        return services.user_authenticate_password(
            email=user.email, password=f"guess-{index}", ip="10.3.0.1"
        )

    results = run_together(20, guess)
    assert all(isinstance(result, DomainError) for result in results)
    codes = sorted(result.code for result in results)
    assert codes == ["challenge_required"] * 15 + ["invalid_credentials"] * 5
    owner = services.user_authenticate_password(email=user.email, password=PASSWORD, ip="10.3.0.2")
    assert owner.pk == user.pk
