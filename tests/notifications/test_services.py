"""Grouping, dedupe, routing, preferences and read state, driven by real outbox events."""

from __future__ import annotations

import pytest
from django.utils import translation

from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.core.events import relay_pending
from circlemart.core.models import HandlerReceipt, OutboxEvent
from circlemart.notifications import selectors, services
from circlemart.notifications.contracts import BACK_OFFICE_KINDS, NotificationKind
from circlemart.notifications.models import Notification, NotificationActor
from circlemart.social.events import (
    CommentLiked,
    CommentPosted,
    NoteLiked,
    NotePublished,
    UserFollowed,
)
from tests.accounts.factories import UserFactory
from tests.notifications.helpers import deliver, group_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Sentences are checked in English here (the site's default language is Chinese)."""
    with translation.override("en"):
        yield


def like(note_id: int, author_id: int, actor_id: int) -> NoteLiked:
    return NoteLiked(note_id=note_id, note_author_id=author_id, actor_id=actor_id)


def test_thirteen_likes_are_one_group_named_after_the_latest_liker():
    author = UserFactory()
    fans = [UserFactory(nickname=f"fan{index}") for index in range(13)]
    deliver(*(like(7, author.pk, fan.pk) for fan in fans))
    assert Notification.objects.filter(recipient=author).count() == 1
    page = selectors.inbox_page(user_id=author.pk, cursor=None, limit=20)
    [item] = page.items
    assert item.actor_count == 13
    assert item.sentence == "fan12 and 12 others liked your note"
    assert [actor.nickname for actor in item.latest_actors] == ["fan12", "fan11", "fan10"]
    assert item.url == "/notes/7/"
    assert item.is_read is False


def test_one_liker_is_a_plain_sentence_and_two_use_the_singular_other():
    author, first, second = UserFactory(), UserFactory(nickname="A"), UserFactory(nickname="B")
    deliver(like(1, author.pk, first.pk))
    assert selectors.inbox_page(user_id=author.pk, cursor=None, limit=5).items[0].sentence == (
        "A liked your note"
    )
    deliver(like(1, author.pk, second.pk))
    assert selectors.inbox_page(user_id=author.pk, cursor=None, limit=5).items[0].sentence == (
        "B and 1 other liked your note"
    )


def test_the_same_actor_liking_twice_counts_once_and_does_not_reopen_a_read_group():
    author, fan = UserFactory(), UserFactory()
    deliver(like(3, author.pk, fan.pk))
    services.notifications_mark_all_read(user_id=author.pk)
    deliver(like(3, author.pk, fan.pk))  # unlike + like again in social: a new event
    group = group_of(author.pk, "note_like")
    assert group.actor_count == 1
    assert group.is_read is True
    assert NotificationActor.objects.filter(notification=group).count() == 1


def test_nobody_is_notified_of_their_own_actions():
    author = UserFactory()
    deliver(
        like(3, author.pk, author.pk),
        CommentPosted(comment_id=1, note_id=3, note_author_id=author.pk, actor_id=author.pk),
        UserFollowed(follower_id=author.pk, followee_id=author.pk),
    )
    assert Notification.objects.count() == 0


def test_a_redelivered_event_does_not_count_twice():
    author, fan = UserFactory(), UserFactory()
    deliver(like(5, author.pk, fan.pk))
    row = OutboxEvent.objects.get(event_type="social.NoteLiked")
    # The relay crashed after the handler's commit but before marking the row: delivered again.
    OutboxEvent.objects.filter(pk=row.pk).update(status=OutboxEvent.Status.PENDING)
    relay_pending()
    # Even a lost receipt (handler runs again) is absorbed by the one-actor-per-group rule.
    HandlerReceipt.objects.filter(event=row).delete()
    OutboxEvent.objects.filter(pk=row.pk).update(status=OutboxEvent.Status.PENDING)
    relay_pending()
    group = group_of(author.pk, "note_like")
    assert group.actor_count == 1
    assert Notification.objects.count() == 1
    assert selectors.unread_count(user_id=author.pk) == 1


def test_likes_on_different_notes_are_different_groups():
    author, fan = UserFactory(), UserFactory()
    deliver(like(1, author.pk, fan.pk), like(2, author.pk, fan.pk))
    assert sorted(
        Notification.objects.filter(recipient=author).values_list("target_id", flat=True)
    ) == [1, 2]
    assert selectors.unread_count(user_id=author.pk) == 2


def test_a_reply_tells_the_parent_author_mentions_the_mentioned_and_comment_the_note_author():
    note_author = UserFactory()
    parent_author, mentioned, replier = UserFactory(), UserFactory(), UserFactory(nickname="R")
    deliver(
        CommentPosted(
            comment_id=20,
            note_id=9,
            note_author_id=note_author.pk,
            actor_id=replier.pk,
            parent_comment_id=10,
            parent_author_id=parent_author.pk,
            mentioned_user_ids=[mentioned.pk, mentioned.pk, parent_author.pk],
        )
    )
    assert list(
        Notification.objects.order_by("recipient_id").values_list("recipient_id", "kind")
    ) == sorted(
        [
            (note_author.pk, "comment"),
            (parent_author.pk, "reply"),
            (mentioned.pk, "mention"),
        ]
    )
    reply = selectors.inbox_page(user_id=parent_author.pk, cursor=None, limit=5).items[0]
    assert reply.sentence == "R replied to your comment"
    assert reply.url == "/notes/9/#comment-10"


def test_a_note_author_mentioned_in_a_comment_hears_once_as_a_mention():
    note_author, commenter = UserFactory(), UserFactory()
    deliver(
        CommentPosted(
            comment_id=1,
            note_id=2,
            note_author_id=note_author.pk,
            actor_id=commenter.pk,
            mentioned_user_ids=[note_author.pk],
        )
    )
    assert list(Notification.objects.values_list("recipient_id", "kind")) == [
        (note_author.pk, "mention")
    ]


def test_a_second_comment_by_the_same_person_moves_the_group_up_and_marks_it_unread():
    note_author, commenter = UserFactory(), UserFactory()
    event = {"note_id": 2, "note_author_id": note_author.pk, "actor_id": commenter.pk}
    deliver(CommentPosted(comment_id=1, **event))
    first = group_of(note_author.pk, "comment")
    services.notifications_mark_all_read(user_id=note_author.pk)
    deliver(CommentPosted(comment_id=2, **event))
    again = group_of(note_author.pk, "comment")
    assert again.actor_count == 1
    assert again.is_read is False
    assert again.updated_at > first.updated_at


def test_follows_comment_likes_and_note_mentions_have_their_own_sentences():
    star, fan, tagged = UserFactory(), UserFactory(nickname="F"), UserFactory()
    deliver(
        UserFollowed(follower_id=fan.pk, followee_id=star.pk),
        CommentLiked(comment_id=4, comment_author_id=star.pk, note_id=8, actor_id=fan.pk),
        NotePublished(
            note_id=8, author_id=fan.pk, visibility="public", mentioned_user_ids=[tagged.pk]
        ),
    )
    sentences = {
        item.kind: (item.sentence, item.url)
        for item in selectors.inbox_page(user_id=star.pk, cursor=None, limit=10).items
    }
    assert sentences == {
        NotificationKind.FOLLOW: ("F followed you", f"/u/{fan.pk}/"),
        NotificationKind.COMMENT_LIKE: ("F liked your comment", "/notes/8/#comment-4"),
    }
    [mention] = selectors.inbox_page(user_id=tagged.pk, cursor=None, limit=10).items
    assert (mention.sentence, mention.url) == ("F mentioned you", "/notes/8/")


def test_an_opted_out_kind_is_not_recorded_and_others_still_are():
    author, fan = UserFactory(), UserFactory()
    services.preferences_set(user_id=author.pk, changes={"note_like": False})
    deliver(like(1, author.pk, fan.pk), UserFollowed(follower_id=fan.pk, followee_id=author.pk))
    assert list(Notification.objects.values_list("kind", flat=True)) == ["follow"]
    services.preferences_set(user_id=author.pk, changes={"note_like": True})
    deliver(like(2, author.pk, fan.pk))
    assert sorted(Notification.objects.values_list("kind", flat=True)) == ["follow", "note_like"]


def test_preferences_list_every_kind_and_refuse_unknown_ones_before_changing_anything():
    user = UserFactory()
    with pytest.raises(ValidationFailed) as caught:
        services.preferences_set(user_id=user.pk, changes={"follow": False, "bogus": False})
    assert caught.value.field == "bogus"
    assert caught.value.code == "unknown_kind"
    prefs = selectors.preferences(user_id=user.pk)
    assert [pref.kind for pref in prefs] == [
        kind for kind in NotificationKind if kind not in BACK_OFFICE_KINDS
    ]
    assert all(pref.is_enabled for pref in prefs)


def test_mark_read_one_and_all_and_the_unread_count():
    author, other = UserFactory(), UserFactory()
    fans = [UserFactory() for _ in range(3)]
    deliver(*(like(note, author.pk, fans[0].pk) for note in (1, 2, 3)))
    assert selectors.unread_count(user_id=author.pk) == 3
    first = Notification.objects.filter(recipient=author).order_by("id").first()
    assert first is not None
    services.notification_mark_read(user_id=author.pk, notification_id=first.pk)
    services.notification_mark_read(user_id=author.pk, notification_id=first.pk)  # again: fine
    assert selectors.unread_count(user_id=author.pk) == 2
    with pytest.raises(NotFound):
        services.notification_mark_read(user_id=other.pk, notification_id=first.pk)
    assert Notification.objects.filter(recipient=author, is_read=False).count() == 2
    assert services.notifications_mark_all_read(user_id=author.pk) == 2
    assert selectors.unread_count(user_id=author.pk) == 0
    deliver(like(1, author.pk, fans[1].pk))  # news on a read group reopens it
    assert selectors.unread_count(user_id=author.pk) == 1


def test_inactive_recipients_are_skipped():
    gone, fan = UserFactory(is_active=False), UserFactory()
    deliver(like(1, gone.pk, fan.pk))
    assert Notification.objects.count() == 0


def test_inbox_page_is_two_queries(django_assert_num_queries):
    author = UserFactory()
    deliver(*(like(note, author.pk, UserFactory().pk) for note in range(1, 8)))
    with django_assert_num_queries(2):
        page = selectors.inbox_page(user_id=author.pk, cursor=None, limit=20)
    assert len(page.items) == 7


def test_badge_text_caps(settings):
    settings.NOTIFICATIONS_BADGE_MAX = 99
    assert selectors.badge_text(5) == "5"
    assert selectors.badge_text(99) == "99"
    assert selectors.badge_text(100) == "99+"


def test_sentences_are_chinese_in_chinese():
    author, fan = UserFactory(), UserFactory(nickname="小红")
    deliver(*(like(1, author.pk, UserFactory().pk) for _ in range(12)), like(1, author.pk, fan.pk))
    with translation.override("zh-hans"):
        [item] = selectors.inbox_page(user_id=author.pk, cursor=None, limit=5).items
    assert item.sentence == "小红 和另外 12 人赞了你的笔记"
