"""The notifications API through HTTP."""

from __future__ import annotations

import json

import pytest

from circlemart.accounts.services import token_pair_issue
from circlemart.notifications.contracts import BACK_OFFICE_KINDS, NotificationKind
from circlemart.notifications.models import Notification
from circlemart.notifications.schemas import PreferencesIn
from circlemart.social.events import NoteLiked, UserFollowed
from tests.accounts.factories import UserFactory
from tests.notifications.helpers import deliver

pytestmark = pytest.mark.django_db


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_pair_issue(user=user).access_token}"}


def test_everything_needs_a_signed_in_caller(api_client):
    for path in ("/api/v1/notifications", "/api/v1/notifications/unread-count"):
        response = api_client.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


def test_list_walks_with_a_cursor_newest_activity_first(api_client):
    author = UserFactory()
    fans = [UserFactory(nickname=f"n{index}") for index in range(5)]
    deliver(
        *(
            NoteLiked(note_id=index + 1, note_author_id=author.pk, actor_id=fan.pk)
            for index, fan in enumerate(fans)
        )
    )
    headers = bearer(author)
    first = api_client.get("/api/v1/notifications?limit=3", headers=headers).json()
    assert [item["target_id"] for item in first["items"]] == [5, 4, 3]
    assert first["items"][0]["sentence"] == "n4 liked your note"
    assert first["items"][0]["latest_actors"][0]["nickname"] == "n4"
    second = api_client.get(
        f"/api/v1/notifications?limit=3&cursor={first['next_cursor']}", headers=headers
    ).json()
    assert [item["target_id"] for item in second["items"]] == [2, 1]
    assert second["next_cursor"] is None


def test_bad_cursor_and_limit_are_400_naming_the_field(api_client):
    headers = bearer(UserFactory())
    bad_cursor = api_client.get("/api/v1/notifications?cursor=nope", headers=headers)
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["error"]["field"] == "cursor"
    bad_limit = api_client.get("/api/v1/notifications?limit=1000", headers=headers)
    assert bad_limit.status_code == 400
    assert bad_limit.json()["error"]["field"] == "limit"


def test_unread_count_mark_one_and_mark_all(api_client):
    author, stranger = UserFactory(), UserFactory()
    fan = UserFactory()
    deliver(
        NoteLiked(note_id=1, note_author_id=author.pk, actor_id=fan.pk),
        UserFollowed(follower_id=fan.pk, followee_id=author.pk),
    )
    headers = bearer(author)
    assert api_client.get("/api/v1/notifications/unread-count", headers=headers).json() == {
        "unread": 2
    }
    target = Notification.objects.get(kind="follow")
    assert (
        api_client.post(f"/api/v1/notifications/{target.pk}/read", headers=headers).status_code
        == 204
    )
    assert api_client.get("/api/v1/notifications/unread-count", headers=headers).json() == {
        "unread": 1
    }
    someone_elses = api_client.post(
        f"/api/v1/notifications/{target.pk}/read", headers=bearer(stranger)
    )
    assert someone_elses.status_code == 404
    assert someone_elses.json()["error"]["field"] == "notification_id"
    assert api_client.post("/api/v1/notifications/99999/read", headers=headers).status_code == 404
    assert api_client.post("/api/v1/notifications/read-all", headers=headers).json() == {
        "marked": 1
    }
    assert api_client.get("/api/v1/notifications/unread-count", headers=headers).json() == {
        "unread": 0
    }


def test_preferences_read_and_update(api_client):
    user = UserFactory()
    headers = bearer(user)
    listed = api_client.get("/api/v1/notifications/preferences", headers=headers).json()
    # A shopper has every kind but the back-office ones (growth goals).
    assert [item["kind"] for item in listed] == [
        kind.value for kind in NotificationKind if kind not in BACK_OFFICE_KINDS
    ]
    assert listed[1] == {"kind": "note_like", "label": "Likes on my notes", "is_enabled": True}
    changed = api_client.patch(
        "/api/v1/notifications/preferences",
        json.dumps({"note_like": False}),
        content_type="application/json",
        headers=headers,
    ).json()
    assert {item["kind"]: item["is_enabled"] for item in changed}["note_like"] is False
    assert sum(1 for item in changed if not item["is_enabled"]) == 1


@pytest.mark.parametrize(
    ("body", "field"), [({"bogus": True}, "bogus"), ({"follow": "maybe"}, "follow")]
)
def test_bad_preferences_are_400_naming_the_field(api_client, body, field):
    user = UserFactory()
    response = api_client.patch(
        "/api/v1/notifications/preferences",
        json.dumps(body),
        content_type="application/json",
        headers=bearer(user),
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert not user.notification_preferences.exists()


def test_the_preferences_schema_names_every_kind():
    assert set(PreferencesIn.model_fields) == {kind.value for kind in NotificationKind}
