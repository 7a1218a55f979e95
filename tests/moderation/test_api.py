"""The moderation API through HTTP: reports for signed-in users, the queue for moderators."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, override_settings

from circlemart.accounts.models import User
from circlemart.core.models import OutboxEvent
from circlemart.moderation import services
from circlemart.moderation.contracts import ContentRef
from circlemart.moderation.models import Report, ReviewItem
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/moderation/reports"
QUEUE = "/api/v1/moderation/queue"


def post(client: Client, path: str, body: object, headers: dict[str, str]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def signed_in(client: Client, user: User) -> dict[str, str]:
    response = post(client, "/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, {})
    assert response.status_code == 200, response.content
    return {"Authorization": f"Bearer {response.json()['tokens']['access_token']}"}


@pytest.fixture
def author() -> User:
    return UserFactory()


@pytest.fixture
def note(notes: dict[int, ContentRef], author: User) -> int:
    notes[5] = ContentRef(author_id=author.pk, excerpt="加微信领红包")
    return 5


class TestReports:
    def test_report_a_note(self, api_client, note, author):
        reporter = UserFactory()
        response = post(
            api_client,
            REPORTS,
            {"content_type": "note", "content_id": note, "reason": "spam", "detail": "广告"},
            signed_in(api_client, reporter),
        )
        assert response.status_code == 201, response.content
        saved = Report.objects.get()
        assert response.json() == {"id": saved.pk}
        assert (saved.reporter_id, saved.author_id, saved.excerpt, saved.detail) == (
            reporter.pk,
            author.pk,
            "加微信领红包",
            "广告",
        )
        item = ReviewItem.objects.get()
        assert (item.content_type, item.content_id, item.report_count) == ("note", note, 1)

    def test_report_a_user_uses_the_accounts_source(self, api_client, author):
        reporter = UserFactory()
        response = post(
            api_client,
            REPORTS,
            {"content_type": "user", "content_id": author.pk, "reason": "abuse"},
            signed_in(api_client, reporter),
        )
        assert response.status_code == 201, response.content
        item = ReviewItem.objects.get()
        assert (item.author_id, item.excerpt) == (author.pk, author.nickname)

    def test_twice_is_409(self, api_client, note):
        headers = signed_in(api_client, UserFactory())
        body = {"content_type": "note", "content_id": note, "reason": "spam"}
        assert post(api_client, REPORTS, body, headers).status_code == 201
        response = post(api_client, REPORTS, {**body, "reason": "abuse"}, headers)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "already_reported"
        assert Report.objects.count() == 1

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"content_type": "product", "content_id": 5, "reason": "spam"}, "content_type"),
            ({"content_type": "note", "content_id": 5, "reason": "boring"}, "reason"),
            ({"content_type": "note", "content_id": 0, "reason": "spam"}, "content_id"),
            ({"content_type": "note", "content_id": "x", "reason": "spam"}, "content_id"),
            ({"content_type": "note", "reason": "spam"}, "content_id"),
            (
                {"content_type": "note", "content_id": 5, "reason": "spam", "detail": "x" * 1001},
                "detail",
            ),
        ],
    )
    def test_bad_input_is_400_naming_the_field(self, api_client, note, body, field):
        response = post(api_client, REPORTS, body, signed_in(api_client, UserFactory()))
        assert response.status_code == 400, response.content
        assert response.json()["error"]["field"] == field
        assert not Report.objects.exists()

    def test_missing_content_is_404(self, api_client, note):
        response = post(
            api_client,
            REPORTS,
            {"content_type": "note", "content_id": 999, "reason": "spam"},
            signed_in(api_client, UserFactory()),
        )
        assert response.status_code == 404
        assert response.json()["error"]["field"] == "content_id"
        # no source registered for circles yet: nothing to verify it against
        response = post(
            api_client,
            REPORTS,
            {"content_type": "circle", "content_id": 1, "reason": "spam"},
            signed_in(api_client, UserFactory()),
        )
        assert response.status_code == 404
        assert not Report.objects.exists()

    def test_own_content_is_400(self, api_client, note, author):
        response = post(
            api_client,
            REPORTS,
            {"content_type": "note", "content_id": note, "reason": "spam"},
            signed_in(api_client, author),
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "own_content"

    def test_anonymous_is_401(self, api_client, note):
        response = post(
            api_client, REPORTS, {"content_type": "note", "content_id": note, "reason": "spam"}, {}
        )
        assert response.status_code == 401
        assert not Report.objects.exists()

    @override_settings(MODERATION_REPORT_RATE_LIMIT=2)
    def test_rate_limited(self, api_client, notes, author):
        for content_id in (1, 2, 3):
            notes[content_id] = ContentRef(author_id=author.pk, excerpt="x")
        headers = signed_in(api_client, UserFactory())
        statuses = [
            post(
                api_client,
                REPORTS,
                {"content_type": "note", "content_id": content_id, "reason": "spam"},
                headers,
            ).status_code
            for content_id in (1, 2, 3)
        ]
        assert statuses == [201, 201, 429]
        assert Report.objects.count() == 2


class TestQueueApi:
    def test_moderator_sees_the_queue_in_order(self, api_client, moderator):
        low = services.review_submit(
            content_type="note", content_id=1, author_id=7, excerpt="a", reason="r"
        )
        high = services.review_submit(
            content_type="comment", content_id=2, author_id=7, excerpt="b", reason="r", priority=5
        )
        response = api_client.get(QUEUE, headers=signed_in(api_client, moderator))
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["total"] == 2
        assert [item["id"] for item in body["items"]] == [high, low]
        assert body["items"][0]["is_overdue"] is False
        assert body["items"][0]["due_at"]
        filtered = api_client.get(
            QUEUE, {"content_type": "note"}, headers=signed_in(api_client, moderator)
        )
        assert [item["id"] for item in filtered.json()["items"]] == [low]

    def test_bad_status_is_400(self, api_client, moderator):
        response = api_client.get(
            QUEUE, {"status": "pending"}, headers=signed_in(api_client, moderator)
        )
        assert response.status_code == 400
        assert response.json()["error"]["field"] == "status"

    def test_others_get_403(self, api_client):
        item_id = services.review_submit(
            content_type="note", content_id=1, author_id=7, excerpt="a", reason="r"
        )
        headers = signed_in(api_client, UserFactory(is_staff=True))
        assert api_client.get(QUEUE, headers=headers).status_code == 403
        response = post(api_client, f"{QUEUE}/{item_id}/decision", {"decision": "approve"}, headers)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "not_moderator"
        assert ReviewItem.objects.get(pk=item_id).status == "open"
        assert not OutboxEvent.objects.filter(aggregate_type="moderation_item").exists()

    def test_anonymous_gets_401(self, api_client):
        assert api_client.get(QUEUE).status_code == 401

    def test_moderator_rejects_with_a_reason(self, api_client, moderator):
        item_id = services.review_submit(
            content_type="note", content_id=3, author_id=7, excerpt="a", reason="r"
        )
        headers = signed_in(api_client, moderator)
        missing = post(api_client, f"{QUEUE}/{item_id}/decision", {"decision": "reject"}, headers)
        assert missing.status_code == 400
        assert missing.json()["error"]["field"] == "reason"
        response = post(
            api_client,
            f"{QUEUE}/{item_id}/decision",
            {"decision": "reject", "reason": "广告引流"},
            headers,
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["status"], body["decision_reason"], body["decided_by_id"]) == (
            "rejected",
            "广告引流",
            moderator.pk,
        )
        assert list(
            OutboxEvent.objects.filter(aggregate_type="moderation_item").values_list(
                "event_type", "aggregate_id", "payload"
            )
        ) == [
            (
                "moderation.ContentRejected",
                "note:3",
                {"content_type": "note", "content_id": 3, "item_id": item_id, "reason": "广告引流"},
            )
        ]
        again = post(api_client, f"{QUEUE}/{item_id}/decision", {"decision": "approve"}, headers)
        assert again.status_code == 409

    def test_missing_item_is_404(self, api_client, moderator):
        response = post(
            api_client,
            f"{QUEUE}/424242/decision",
            {"decision": "approve"},
            signed_in(api_client, moderator),
        )
        assert response.status_code == 404


def test_errors_speak_chinese(notes, author):
    notes[5] = ContentRef(author_id=author.pk, excerpt="x")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    response = post(
        client,
        REPORTS,
        {"content_type": "note", "content_id": 5, "reason": "spam"},
        signed_in(client, author),
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "不能举报自己的内容。"
