"""The rewards centre: every mechanism reachable from one page, each with its figure; the
profile ("Me") leads there; growth news in the inbox leads to the right page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from circlemart.growth.checkin import services as checkin_services
from circlemart.growth.points import services as points_services
from circlemart.notifications import selectors as notification_selectors
from circlemart.notifications import services as notification_services
from circlemart.notifications.contracts import NotificationKind, TargetType
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db
HUB = "/growth/"


def signed_in(user: object) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_strangers_are_sent_to_sign_in() -> None:
    response = Client().get(HUB)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_hub_shows_points_level_checkin_and_links_to_every_mechanism() -> None:
    user = UserFactory()
    points_services.points_earn(user_id=user.pk, amount=120, reason="campaign", idempotency_key="k")
    client = signed_in(user)
    page = client.get(HUB).content.decode()
    assert re.search(r'data-testid="hub-points-balance">120<', page)
    assert 'data-testid="hub-checkin-button"' in page
    for path in (
        "/growth/mall/",
        "/growth/points/",
        "/growth/level/",
        "/growth/check-in/",
        "/growth/tasks/",
        "/growth/games/",
        "/growth/invites/",
        "/growth/distribution/",
        "/promotions/me/",
    ):
        assert f'href="{path}"' in page, path
        assert client.get(path).status_code == 200, path
    assert "0 badges" in page


def test_after_checking_in_the_hub_says_so_instead_of_offering_the_button() -> None:
    user = UserFactory()
    checkin_services.checkin_today(user_id=user.pk)
    page = signed_in(user).get(HUB).content.decode()
    assert 'data-testid="hub-checkin-button"' not in page
    assert "Checked in today" in page
    assert "1-day streak" in page


def test_every_page_of_a_signed_in_shopper_leads_to_the_rewards_centre() -> None:
    home = signed_in(UserFactory()).get("/").content.decode()
    assert re.search(r'<a href="/growth/" data-testid="nav-rewards">Rewards</a>', home)
    assert 'data-testid="nav-rewards"' not in Client().get("/").content.decode()


def test_the_profile_leads_to_the_rewards_centre() -> None:
    page = signed_in(UserFactory()).get("/accounts/profile/").content.decode()
    assert 'href="/growth/"' in page
    assert 'data-testid="to-rewards"' in page


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        (NotificationKind.POINTS_EXPIRING, "/growth/points/"),
        (NotificationKind.REWARD_GRANTED, "/growth/"),
        (NotificationKind.COMMISSION_SETTLED, "/growth/distribution/"),
        (NotificationKind.WITHDRAWAL_FAILED, "/growth/distribution/"),
        (NotificationKind.LEVEL_CHANGED, "/growth/level/"),
        (NotificationKind.BADGE_AWARDED, "/growth/level/"),
    ],
)
def test_growth_news_in_the_inbox_leads_to_its_page(kind: NotificationKind, path: str) -> None:
    user = UserFactory()
    assert notification_services.notification_record(
        recipient_id=user.pk,
        kind=kind,
        target_type=TargetType.GROWTH,
        target_id=7,
        actor_id=user.pk,
        about_self=True,
        excerpt="120",
    )
    (item,) = notification_selectors.inbox_page(user_id=user.pk, cursor=None, limit=5).items
    assert item.url == path
    assert item.sentence
