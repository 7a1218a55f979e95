"""The "My level" page through the Django client (progress, benefits, badges, history, the
birthday form) and the badges on a social profile page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from circlemart.growth.levels import services
from circlemart.growth.levels.contracts import BadgeCounter
from circlemart.growth.levels.models import BadgeRule, GrowthAccount, Level
from tests.accounts.factories import UserFactory
from tests.growth.levels.conftest import local

pytestmark = pytest.mark.django_db
URL = "/growth/level/"


def signed_in(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def text_of(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    assert match, testid
    return re.sub(r"\s+", " ", match[1]).strip()


def test_visitors_are_sent_to_sign_in() -> None:
    answer = Client().get(URL)
    assert answer.status_code == 302
    assert "/accounts/login/" in answer["Location"]


def test_the_page_shows_level_progress_benefits_badges_and_history(
    levels: dict[str, Level],
    badges: dict[str, BadgeRule],
    django_assert_max_num_queries: Any,
) -> None:
    user = UserFactory()
    services.growth_value_for_order(buyer_id=user.pk, order_number="A1", kept_amount=125_000)
    services.badge_progress_step(
        user_id=user.pk, counter=BadgeCounter.ORDERS_PAID, idempotency_key="A1"
    )
    client = signed_in(user)
    with django_assert_max_num_queries(14):
        answer = client.get(URL)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert text_of(html, "level-name") == "Silver"
    assert text_of(html, "growth-value") == "1250"
    assert 'value="50"' in html  # the progress bar
    assert text_of(html, "level-next") == "750 more growth value to Gold"
    assert 'data-testid="badge-first-order"' in html
    assert 'data-testid="locked-shopper-10"' in html
    assert "Orders paid: 1 / 10" in html
    benefits = re.search(r'data-testid="benefits-gold">(.*?)</ul>', html, re.S)
    assert benefits is not None
    assert "Member prices" in benefits[1]
    assert "Free shipping" in benefits[1]
    assert "Points ×1.25" in benefits[1]
    assert "Birthday coupon" in benefits[1]
    assert "Order kept" in html
    assert "+1250" in html
    assert 'data-testid="birthday-form"' in html
    assert "level-grace" not in html


def test_the_birthday_form_saves_once(
    levels: dict[str, Level], at: Callable[[datetime], None]
) -> None:
    at(local(2025, 5, 3, 12))
    user = UserFactory()
    client = signed_in(user)
    saved = client.post(URL, {"birthday": "1990-05-03"})
    assert (saved.status_code, saved["Location"]) == (302, URL)
    page = client.get(URL).content.decode()
    assert "Your birthday: 05-03." in page
    assert 'data-testid="birthday-form"' not in page
    again = client.post(URL, {"birthday": "1991-01-01"})
    assert again.status_code == 400
    assert "Your birthday is already set; it cannot be changed." in again.content.decode()
    assert str(GrowthAccount.objects.get(user=user).birthday) == "1990-05-03"


def test_a_bad_birthday_shows_the_error_and_writes_nothing(
    levels: dict[str, Level], at: Callable[[datetime], None]
) -> None:
    at(local(2025, 5, 3, 12))
    client = signed_in(UserFactory())
    future = client.post(URL, {"birthday": "2030-01-01"})
    assert future.status_code == 400
    assert "Enter your real birthday: not in the future, not before 1900." in (
        future.content.decode()
    )
    assert client.post(URL, {"birthday": "not a date"}).status_code == 400
    assert not GrowthAccount.objects.exists()


def test_the_profile_page_shows_public_badges(badges: dict[str, BadgeRule]) -> None:
    person = UserFactory()
    BadgeRule.objects.filter(code="first-note").update(is_public=False)
    services.badge_progress_step(
        user_id=person.pk, counter=BadgeCounter.ORDERS_PAID, idempotency_key="A1"
    )
    services.badge_progress_step(
        user_id=person.pk, counter=BadgeCounter.NOTES, idempotency_key="n1"
    )
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/u/{person.pk}/").content.decode()
    assert text_of(html, "profile-badge-first-order") == "🛍️ First order"
    assert "profile-badge-first-note" not in html
    nobody = UserFactory()
    assert 'data-testid="profile-badges"' not in Client().get(f"/u/{nobody.pk}/").content.decode()
