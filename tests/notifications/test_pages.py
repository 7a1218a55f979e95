"""The /inbox/ pages: grouped list, mark read, preferences, the badge, and inert markup."""

from __future__ import annotations

import pytest
from django.test import Client

from circlemart.notifications.models import Notification
from circlemart.social.events import NoteLiked
from tests.accounts.factories import UserFactory
from tests.html_page import visible_text
from tests.notifications.helpers import deliver

pytestmark = pytest.mark.django_db
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"
NAME_XSS = "<script>alert(1)</script>"  # nicknames are at most 30 characters


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_inbox_shows_the_grouped_sentence_and_escapes_names():
    author = UserFactory()
    fans = [UserFactory() for _ in range(12)] + [UserFactory(nickname=NAME_XSS)]
    deliver(*(NoteLiked(note_id=4, note_author_id=author.pk, actor_id=fan.pk) for fan in fans))
    response = signed_in(author).get("/inbox/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert f"{NAME_XSS} and 12 others liked your note" in visible_text(response)


def test_inbox_needs_sign_in():
    response = Client().get("/inbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_opening_a_notification_marks_it_read_and_goes_to_its_target():
    author, fan = UserFactory(), UserFactory()
    deliver(NoteLiked(note_id=4, note_author_id=author.pk, actor_id=fan.pk))
    row = Notification.objects.get()
    client = signed_in(author)
    response = client.post(f"/inbox/{row.pk}/read/", {"go": "/notes/4/"})
    assert response.status_code == 302
    assert response["Location"] == "/notes/4/"
    row.refresh_from_db()
    assert row.is_read is True
    away = client.post(f"/inbox/{row.pk}/read/", {"go": "https://evil.example/"})
    assert away["Location"] == "/inbox/"


def test_mark_all_read_and_the_badge():
    author, fan = UserFactory(), UserFactory()
    deliver(
        *(NoteLiked(note_id=note, note_author_id=author.pk, actor_id=fan.pk) for note in (1, 2))
    )
    client = signed_in(author)
    badge = client.get("/inbox/badge/")
    assert 'data-testid="unread-badge">2<' in badge.content.decode()
    assert badge["Cache-Control"] == "private, no-store"
    assert client.post("/inbox/read-all/").status_code == 302
    assert "unread-badge" not in client.get("/inbox/badge/").content.decode()
    assert "unread-badge" not in Client().get("/inbox/badge/").content.decode()


def test_preferences_page_turns_a_kind_off():
    user = UserFactory()
    client = signed_in(user)
    page = client.get("/inbox/preferences/")
    assert "Likes on my notes" in visible_text(page)
    on = dict.fromkeys(("follow", "comment", "reply", "mention", "comment_like"), "on")
    response = client.post("/inbox/preferences/", on)
    assert response.status_code == 302
    assert set(
        user.notification_preferences.filter(is_enabled=False).values_list("kind", flat=True)
    ) == {
        "note_like",
        "question_invite",
        "question_answer",
        "review_reply",
        "group_joined",
        "group_succeeded",
        "group_failed",
        "points_expiring",
        "reward_granted",
        "distributor_reviewed",
        "commission_settled",
        "withdrawal_paid",
        "withdrawal_failed",
        "level_changed",
        "badge_awarded",
        "order_paid",
        "order_shipped",
        "order_delivered",
        "order_cancelled",
        "order_refunded",
        "live_reminder",
        "live_started",
    }


def test_more_page_is_a_partial():
    author = UserFactory()
    deliver(
        *(
            NoteLiked(note_id=note, note_author_id=author.pk, actor_id=UserFactory().pk)
            for note in range(1, 26)
        )
    )
    client = signed_in(author)
    first = client.get("/inbox/").content.decode()
    assert first.count('data-testid="notification"') == 20
    assert 'data-testid="more"' in first
    bad = client.get("/inbox/more/?cursor=forged")
    assert bad.status_code == 400
