"""The back office: the word list with bulk import, the review queue with decisions."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from circlemart.accounts.models import User
from circlemart.core.models import OutboxEvent
from circlemart.moderation import services
from circlemart.moderation.contracts import Action
from circlemart.moderation.models import Report, ReviewItem, SensitiveWord
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

WORDS = "/admin/moderation/sensitiveword/"
ITEMS = "/admin/moderation/reviewitem/"


def logged_in(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def submit(content_id: int) -> int:
    return services.review_submit(
        content_type="note", content_id=content_id, author_id=7, excerpt="加微信", reason="r"
    )


def test_moderator_sees_the_pages(moderator):
    client = logged_in(moderator)
    submit(1)
    services.report_create(
        reporter_id=11,
        content_type="note",
        content_id=1,
        author_id=7,
        excerpt="加微信",
        reason="spam",
    )
    item = ReviewItem.objects.get()
    for url in (
        WORDS,
        f"{WORDS}import/",
        ITEMS,
        f"{ITEMS}?status__exact=open&overdue=yes",
        f"{ITEMS}{item.pk}/change/",
        "/admin/moderation/report/",
    ):
        assert client.get(url).status_code == 200, url


def test_other_staff_are_kept_out():
    client = logged_in(UserFactory(is_staff=True))
    for url in (WORDS, ITEMS, "/admin/moderation/report/", f"{WORDS}import/"):
        assert client.get(url).status_code in {302, 403}, url


@pytest.mark.usefixtures("words")
def test_bulk_import_takes_effect(moderator):
    response = logged_in(moderator).post(
        f"{WORDS}import/",
        {"words": "私下交易\n# comment\nwire me money\n", "category": "fraud", "action": "block"},
    )
    assert response.status_code == 302
    assert set(SensitiveWord.objects.filter(category="fraud").values_list("word", flat=True)) == {
        "私下交易",
        "wire me money",
    }
    assert services.text_screen(text="Wire  me  MONEY", field="body").action == Action.BLOCK


@pytest.mark.usefixtures("words")
def test_editing_a_word_in_the_admin_takes_effect(moderator, django_capture_on_commit_callbacks):
    word = SensitiveWord.objects.get(word="加微信")
    assert services.text_screen(text="加微信", field="body").action == Action.REVIEW
    with django_capture_on_commit_callbacks(execute=True):  # Redis bumps after commit
        response = logged_in(moderator).post(
            f"{WORDS}{word.pk}/change/",
            {
                "word": "加微信",
                "category": "spam",
                "action": "block",
                "is_active": "on",
                "note": "",
            },
        )
    assert response.status_code == 302
    assert services.text_screen(text="加微信", field="body").action == Action.BLOCK


def test_approve_action(moderator):
    first, second = submit(1), submit(2)
    response = logged_in(moderator).post(
        ITEMS, {"action": "approve", ACTION_CHECKBOX_NAME: [first, second]}
    )
    assert response.status_code == 302
    assert list(ReviewItem.objects.order_by("id").values_list("status", "decided_by_id")) == [
        ("approved", moderator.pk),
        ("approved", moderator.pk),
    ]
    assert OutboxEvent.objects.filter(event_type="moderation.ContentApproved").count() == 2


def test_reject_action_asks_for_a_reason(moderator):
    item_id = submit(1)
    client = logged_in(moderator)
    form = client.post(ITEMS, {"action": "reject", ACTION_CHECKBOX_NAME: [item_id]})
    assert form.status_code == 200
    assert b'name="reason"' in form.content
    assert ReviewItem.objects.get(pk=item_id).status == "open"
    empty = client.post(
        ITEMS, {"action": "reject", ACTION_CHECKBOX_NAME: [item_id], "apply": "1", "reason": ""}
    )
    assert empty.status_code == 200
    assert ReviewItem.objects.get(pk=item_id).status == "open"
    done = client.post(
        ITEMS,
        {"action": "reject", ACTION_CHECKBOX_NAME: [item_id], "apply": "1", "reason": "引流广告"},
    )
    assert done.status_code == 302
    item = ReviewItem.objects.get(pk=item_id)
    assert (item.status, item.decision_reason) == ("rejected", "引流广告")
    assert list(
        OutboxEvent.objects.filter(aggregate_type="moderation_item").values_list(
            "event_type", "payload"
        )
    ) == [
        (
            "moderation.ContentRejected",
            {"content_type": "note", "content_id": 1, "item_id": item_id, "reason": "引流广告"},
        )
    ]
    assert not Report.objects.exists()
