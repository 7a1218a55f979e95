"""Notes: compose, validate, images, tags, topics, mentions, drafts, history, visibility,
moderation."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from PIL import Image

from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.core.events import publish, relay_pending
from circlemart.core.models import OutboxEvent
from circlemart.moderation import services as moderation
from circlemart.moderation.events import ContentApproved, ContentRejected
from circlemart.social import selectors, services
from circlemart.social.contracts import NoteInput
from circlemart.social.models import (
    CircleMember,
    ModerationState,
    Note,
    NoteImage,
    Topic,
)
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog
from tests.social.helpers import follow, image_upload, note

pytestmark = pytest.mark.django_db


def _refused(author, field: str, code: str | None = None, images=(), **fields):
    before = Note.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        services.note_create(author_id=author.pk, data=NoteInput(**fields), images=images)
    assert caught.value.field == field
    if code:
        assert caught.value.code == code
    assert Note.objects.count() == before
    return caught.value


def test_note_with_products_topics_mentions_and_location():
    author, friend = UserFactory(), UserFactory(nickname="小红")
    product = catalog.product()
    written = note(
        author,
        "周末去了 #咖啡探店 和 #Latte，遇到 @小红 和 @" + str(friend.pk) + " 一起",
        title="周末",
        product_ids=[product.pk],
        location="上海",
        video_url="https://video.example.com/v/1",
    )
    detail = selectors.note_detail(note_id=written.pk, viewer_id=None)
    assert detail is not None
    assert detail.topics == ["咖啡探店", "Latte"]
    assert [card.id for card in detail.products] == [product.pk]
    assert [card.id for card in detail.mentions] == [friend.pk]
    assert (detail.location, detail.video_url) == ("上海", "https://video.example.com/v/1")
    assert Topic.objects.get(name="latte").note_count == 1
    event = OutboxEvent.objects.get(event_type="social.NotePublished")
    assert event.payload["product_ids"] == [product.pk]
    assert sorted(event.payload["topics"]) == sorted(["咖啡探店", "latte"])
    assert event.payload["mentioned_user_ids"] == [friend.pk]


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"text": ""}, "text", "required"),
        ({"text": "   \n "}, "text", "required"),
        ({"text": "x" * 2001}, "text", "too_long"),
        ({"text": "ok", "title": "t" * 61}, "title", "too_long"),
        ({"text": "ok", "video_url": "javascript:alert(1)"}, "video_url", "invalid_url"),
        ({"text": "ok", "video_url": "ftp://example.com/v.mp4"}, "video_url", "invalid_url"),
        ({"text": "ok", "visibility": "secret"}, "visibility", "invalid_visibility"),
        ({"text": "ok", "visibility": "circle"}, "circle_id", "required"),
        ({"text": "ok", "product_ids": [987654]}, "product_ids", "unknown_product"),
        ({"text": "ok", "location": "l" * 61}, "location", "too_long"),
    ],
)
def test_bad_note_input_is_refused_naming_the_field(fields, field, code):
    _refused(UserFactory(), field, code, **fields)


def test_off_shelf_product_cannot_be_tagged():
    hidden = catalog.product(status="off_shelf")
    error = _refused(
        UserFactory(), "product_ids", "unknown_product", text="ok", product_ids=[hidden.pk]
    )
    assert str(hidden.pk) in str(error.message)


def test_images_are_reencoded_to_webp_without_exif():
    author = UserFactory()
    written = note(
        author, "图", images=[image_upload(exif=True, size=(3000, 2000)), image_upload(fmt="PNG")]
    )
    rows = list(NoteImage.objects.filter(note=written).order_by("position"))
    assert len(rows) == 2
    with rows[0].image.open("rb") as handle, Image.open(handle) as stored:
        assert stored.format == "WEBP"
        assert max(stored.size) == 1600
        assert not stored.getexif()
    with rows[0].thumbnail.open("rb") as handle, Image.open(handle) as thumb:
        assert max(thumb.size) == 480
    detail = selectors.note_detail(note_id=written.pk, viewer_id=None)
    assert detail is not None
    assert len(detail.images) == 2


def test_more_than_nine_images_are_refused():
    _refused(
        UserFactory(),
        "images",
        "too_many_images",
        text="ok",
        images=[image_upload() for _ in range(10)],
    )
    assert not NoteImage.objects.exists()


def test_non_image_upload_is_refused():
    fake = SimpleUploadedFile("evil.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    _refused(UserFactory(), "images", "image_invalid", text="ok", images=[fake])


@override_settings(SOCIAL_IMAGE_MAX_BYTES=1000)
def test_oversized_image_is_refused():
    _refused(
        UserFactory(),
        "images",
        "image_too_large",
        text="ok",
        images=[image_upload(size=(600, 600))],
    )


def test_drafts_are_private_until_published():
    author, other = UserFactory(), UserFactory()
    draft = note(author, "草稿 #secret", publish=False)
    assert selectors.note_detail(note_id=draft.pk, viewer_id=other.pk) is None
    assert selectors.note_detail(note_id=draft.pk, viewer_id=None) is None
    assert selectors.note_detail(note_id=draft.pk, viewer_id=author.pk) is not None
    assert [card.id for card in selectors.drafts_of(author.pk)] == [draft.pk]
    assert not OutboxEvent.objects.filter(event_type="social.NotePublished").exists()
    with pytest.raises(NotFound):
        services.note_publish(actor_id=other.pk, note_id=draft.pk)
    services.note_publish(actor_id=author.pk, note_id=draft.pk)
    assert selectors.note_detail(note_id=draft.pk, viewer_id=other.pk) is not None
    assert OutboxEvent.objects.filter(event_type="social.NotePublished").count() == 1


def test_edit_keeps_history_and_only_the_author_may_edit():
    author, other = UserFactory(), UserFactory()
    written = note(author, "第一版 #a", title="v1")
    with pytest.raises(NotFound):
        services.note_update(actor_id=other.pk, note_id=written.pk, data=NoteInput(text="hacked"))
    services.note_update(
        actor_id=author.pk, note_id=written.pk, data=NoteInput(text="第二版 #b", title="v2")
    )
    services.note_update(
        actor_id=author.pk, note_id=written.pk, data=NoteInput(text="第三版 #b", title="v3")
    )
    revisions = selectors.note_revisions(note_id=written.pk, viewer_id=other.pk)
    assert [(r.number, r.title, r.text) for r in revisions] == [
        (2, "v2", "第二版 #b"),
        (1, "v1", "第一版 #a"),
    ]
    detail = selectors.note_detail(note_id=written.pk, viewer_id=None)
    assert (detail.title, detail.topics, detail.edited_at is not None) == ("v3", ["b"], True)


def test_soft_delete_hides_everywhere_but_keeps_the_row():
    author = UserFactory()
    written = note(author, "bye #gone")
    services.note_delete(actor_id=author.pk, note_id=written.pk)
    assert selectors.note_detail(note_id=written.pk, viewer_id=author.pk) is None
    assert Note.objects.get(pk=written.pk).status == "deleted"
    assert Topic.objects.get(name="gone").note_count == 0
    with pytest.raises(NotFound):
        services.note_delete(actor_id=author.pk, note_id=written.pk)


def test_visibility_public_followers_friends_circle():
    author, fan, friend, stranger, member = (UserFactory() for _ in range(5))
    follow(fan, author)
    follow(friend, author)
    follow(author, friend)
    circle = services.circle_create(owner_id=author.pk, name="跑步圈")
    services.circle_join(user_id=member.pk, circle_id=circle.pk)
    notes = {
        "public": note(author, "p"),
        "followers": note(author, "f", visibility="followers"),
        "friends": note(author, "fr", visibility="friends"),
        "circle": note(author, "c", visibility="circle", circle_id=circle.pk),
    }
    expected = {
        None: {"public"},
        stranger.pk: {"public"},
        fan.pk: {"public", "followers"},
        friend.pk: {"public", "followers", "friends"},
        member.pk: {"public", "circle"},
        author.pk: {"public", "followers", "friends", "circle"},
    }
    for viewer, kinds in expected.items():
        seen = {
            kind
            for kind, row in notes.items()
            if selectors.note_detail(note_id=row.pk, viewer_id=viewer)
        }
        assert seen == kinds, viewer


def test_posting_in_a_circle_needs_membership():
    owner, outsider = UserFactory(), UserFactory()
    circle = services.circle_create(owner_id=owner.pk, name="摄影圈")
    _refused(
        outsider, "circle_id", "not_a_member", text="hi", visibility="circle", circle_id=circle.pk
    )
    assert CircleMember.objects.filter(circle=circle).count() == 1


def _word(word: str, action: str) -> None:
    moderation.word_upsert(word=word, category="other", action=action)


def test_blocked_words_refuse_the_note():
    _word("违禁词", "block")
    error = _refused(UserFactory(), "text", "sensitive_content", text="这里有违禁词")
    assert error.status == 400


def test_masked_words_are_stored_masked():
    _word("傻瓜", "mask")
    written = note(UserFactory(), "你这个傻瓜")
    assert Note.objects.get(pk=written.pk).text == "你这个**"


def _decide(event) -> None:
    with transaction.atomic():
        publish(event)
    relay_pending()


def test_review_keeps_note_hidden_until_approved():
    _word("代购", "review")
    author, fan = UserFactory(), UserFactory()
    follow(fan, author)
    written = note(author, "专业代购 #海淘")
    assert written.moderation_state == ModerationState.IN_REVIEW
    assert selectors.note_detail(note_id=written.pk, viewer_id=fan.pk) is None
    assert (
        selectors.note_detail(note_id=written.pk, viewer_id=author.pk).moderation_state
        == "in_review"
    )
    assert selectors.following_feed(viewer_id=fan.pk, cursor=None, limit=10).items == []
    assert not OutboxEvent.objects.filter(event_type="social.NotePublished").exists()
    from circlemart.moderation.models import ReviewItem

    item = ReviewItem.objects.get(content_type="note", content_id=written.pk)
    assert item.author_id == author.pk
    _decide(ContentApproved(content_type="note", content_id=written.pk, item_id=item.pk))
    assert selectors.note_detail(note_id=written.pk, viewer_id=fan.pk) is not None
    assert [
        card.id for card in selectors.following_feed(viewer_id=fan.pk, cursor=None, limit=10).items
    ] == [written.pk]
    assert OutboxEvent.objects.filter(event_type="social.NotePublished").count() == 1


def test_rejected_note_is_visible_to_its_author_only_with_the_reason():
    _word("代购", "review")
    author, other = UserFactory(), UserFactory()
    written = note(author, "代购")
    _decide(ContentRejected(content_type="note", content_id=written.pk, item_id=1, reason="广告"))
    assert selectors.note_detail(note_id=written.pk, viewer_id=other.pk) is None
    mine = selectors.note_detail(note_id=written.pk, viewer_id=author.pk)
    assert (mine.moderation_state, mine.moderation_reason) == ("rejected", "广告")
    # Redelivery of the same decision changes nothing.
    _decide(ContentRejected(content_type="note", content_id=written.pk, item_id=1, reason="广告"))
    assert Note.objects.get(pk=written.pk).moderation_state == "rejected"


def test_notes_tagging_product_for_the_product_page():
    product = catalog.product()
    author, blocked = UserFactory(), UserFactory()
    first = note(author, "好用", product_ids=[product.pk])
    second = note(author, "真好用", product_ids=[product.pk])
    note(author, "private", product_ids=[product.pk], visibility="friends")
    note(author, "no tag")
    cards = selectors.notes_tagging_product(product.pk, None, 6)
    assert [card.id for card in cards] == [second.pk, first.pk]
    services.block_create(blocker_id=author.pk, blocked_id=blocked.pk)
    assert selectors.notes_tagging_product(product.pk, blocked.pk, 6) == []
