"""Comments, likes, favourites, shares, reposts, circles and topics."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from circlemart.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from circlemart.core.models import OutboxEvent
from circlemart.moderation import services as moderation
from circlemart.social import selectors, services
from circlemart.social.models import Comment, Favourite, Note, NoteLike, ShareVisit, Topic
from tests.accounts.factories import UserFactory
from tests.social.helpers import follow, note

pytestmark = pytest.mark.django_db


def test_comments_with_one_level_of_replies():
    author, a, b = UserFactory(), UserFactory(), UserFactory()
    written = note(author)
    top = services.comment_create(author_id=a.pk, note_id=written.pk, text="好看！")
    reply = services.comment_create(
        author_id=b.pk, note_id=written.pk, text="同意", parent_id=top.pk
    )
    deeper = services.comment_create(
        author_id=author.pk, note_id=written.pk, text="谢谢", parent_id=reply.pk
    )
    assert deeper.parent_id == top.pk  # a reply to a reply joins the thread
    items, cursor = selectors.comments_page(
        note_id=written.pk, viewer_id=None, cursor=None, limit=10
    )
    assert cursor is None
    assert [(c.id, [r.id for r in c.replies]) for c in items] == [(top.pk, [reply.pk, deeper.pk])]
    assert Note.objects.get(pk=written.pk).comment_count == 3
    assert Comment.objects.get(pk=top.pk).reply_count == 2
    events = OutboxEvent.objects.filter(event_type="social.CommentPosted").order_by("id")
    assert [e.payload["parent_author_id"] for e in events] == [None, a.pk, a.pk]
    services.comment_delete(actor_id=author.pk, comment_id=reply.pk)  # the note's author may
    assert Note.objects.get(pk=written.pk).comment_count == 2
    with pytest.raises(NotFound):
        services.comment_delete(actor_id=b.pk, comment_id=top.pk)


@pytest.mark.parametrize("text", ["", "   ", "x" * 501])
def test_bad_comment_text_is_refused(text):
    written = note(UserFactory())
    with pytest.raises(ValidationFailed) as caught:
        services.comment_create(author_id=UserFactory().pk, note_id=written.pk, text=text)
    assert caught.value.field == "text"
    assert not Comment.objects.exists()


def test_commenting_on_hidden_notes_is_not_found():
    author, other = UserFactory(), UserFactory()
    draft = note(author, publish=False)
    private = note(author, visibility="friends")
    for hidden in (draft, private):
        with pytest.raises(NotFound):
            services.comment_create(author_id=other.pk, note_id=hidden.pk, text="hi")
    public = note(author)
    services.block_create(blocker_id=author.pk, blocked_id=other.pk)
    with pytest.raises(NotFound):
        services.comment_create(author_id=other.pk, note_id=public.pk, text="hi")
    assert not Comment.objects.exists()


def test_comment_in_review_is_hidden_and_not_counted():
    moderation.word_upsert(word="加微信", category="spam", action="review")
    author, spammer = UserFactory(), UserFactory()
    written = note(author)
    comment = services.comment_create(author_id=spammer.pk, note_id=written.pk, text="加微信领券")
    assert comment.moderation_state == "in_review"
    assert (
        selectors.comments_page(note_id=written.pk, viewer_id=author.pk, cursor=None, limit=10)[0]
        == []
    )
    assert [
        c.id
        for c in selectors.comments_page(
            note_id=written.pk, viewer_id=spammer.pk, cursor=None, limit=10
        )[0]
    ] == [comment.pk]
    assert Note.objects.get(pk=written.pk).comment_count == 0
    services.comment_moderation_decided(comment_id=comment.pk, approved=True)
    services.comment_moderation_decided(comment_id=comment.pk, approved=True)
    assert Note.objects.get(pk=written.pk).comment_count == 1
    services.comment_moderation_decided(comment_id=comment.pk, approved=False, reason="spam")
    assert Note.objects.get(pk=written.pk).comment_count == 0


def test_liking_twice_is_one_like():
    author, fan = UserFactory(), UserFactory()
    written = note(author)
    assert services.note_like(user_id=fan.pk, note_id=written.pk) is True
    assert services.note_like(user_id=fan.pk, note_id=written.pk) is False
    assert Note.objects.get(pk=written.pk).like_count == 1
    assert NoteLike.objects.count() == 1
    assert OutboxEvent.objects.filter(event_type="social.NoteLiked").count() == 1
    assert services.note_unlike(user_id=fan.pk, note_id=written.pk) is True
    assert services.note_unlike(user_id=fan.pk, note_id=written.pk) is False
    assert Note.objects.get(pk=written.pk).like_count == 0


def test_comment_likes_are_idempotent():
    author, fan = UserFactory(), UserFactory()
    comment = services.comment_create(author_id=author.pk, note_id=note(author).pk, text="first")
    assert services.comment_like(user_id=fan.pk, comment_id=comment.pk) is True
    assert services.comment_like(user_id=fan.pk, comment_id=comment.pk) is False
    assert Comment.objects.get(pk=comment.pk).like_count == 1
    event = OutboxEvent.objects.get(event_type="social.CommentLiked")
    assert event.payload["comment_author_id"] == author.pk


def test_liking_a_hidden_note_is_not_found():
    author, fan = UserFactory(), UserFactory()
    draft = note(author, publish=False)
    with pytest.raises(NotFound):
        services.note_like(user_id=fan.pk, note_id=draft.pk)
    assert Note.objects.get(pk=draft.pk).like_count == 0


def test_favourites_with_folders():
    author, me = UserFactory(), UserFactory()
    first, second = note(author, "one"), note(author, "two")
    trips = services.folder_create(owner_id=me.pk, name="旅行")
    with pytest.raises(Conflict):
        services.folder_create(owner_id=me.pk, name="旅行")
    assert services.favourite_add(user_id=me.pk, note_id=first.pk) is True
    assert services.favourite_add(user_id=me.pk, note_id=second.pk, folder_id=trips.pk) is True
    assert (
        services.favourite_add(user_id=me.pk, note_id=first.pk, folder_id=trips.pk) is False
    )  # moved
    assert Note.objects.get(pk=first.pk).favourite_count == 1
    folders = selectors.folders_of(me.pk)
    assert [(f.is_default, f.item_count) for f in folders] == [(True, 0), (False, 2)]
    page = selectors.favourites_page(user_id=me.pk, folder_id=trips.pk, cursor=None, limit=10)
    assert [card.id for card in page.items] == [second.pk, first.pk]
    with pytest.raises(NotFound):
        services.favourite_add(user_id=UserFactory().pk, note_id=first.pk, folder_id=trips.pk)
    services.folder_delete(owner_id=me.pk, folder_id=trips.pk)
    assert not Favourite.objects.exists()
    assert Note.objects.get(pk=first.pk).favourite_count == 0


def test_share_link_records_visits_and_attribution():
    author, sharer, visitor = UserFactory(), UserFactory(), UserFactory()
    written = note(author)
    link = services.share_link_create(sharer_id=sharer.pk, note_id=written.pk)
    assert link.path == f"/notes/{written.pk}/?s={link.token}"
    decoded = selectors.share_token_decode(link.token)
    assert (decoded.note_id, decoded.sharer_id, decoded.channel) == (written.pk, sharer.pk, "link")
    assert selectors.share_token_decode(link.token[:-2] + "xx") is None
    assert services.share_visit_record(token=link.token, note_id=written.pk, visitor_id=visitor.pk)
    assert (
        services.share_visit_record(token=link.token, note_id=written.pk, visitor_id=sharer.pk)
        is None
    )
    assert (
        services.share_visit_record(token=link.token, note_id=written.pk + 1, visitor_id=visitor.pk)
        is None
    )
    assert ShareVisit.objects.count() == 1
    assert selectors.attribution_for_user(visitor.pk).sharer_id == sharer.pk
    request = RequestFactory().get("/checkout", {"s": link.token})
    request.user = visitor
    attribution = selectors.attribution_for_request(request)
    assert (attribution.note_id, attribution.sharer_id) == (written.pk, sharer.pk)
    assert Note.objects.get(pk=written.pk).share_count == 1


def test_repost_references_the_original_and_reaches_followers():
    author, reposter, fan = UserFactory(), UserFactory(), UserFactory()
    follow(fan, reposter)
    original = note(author, "原创")
    repost = services.note_repost(user_id=reposter.pk, note_id=original.pk, text="推荐")
    assert repost.repost_of_id == original.pk
    feed = selectors.following_feed(viewer_id=fan.pk, cursor=None, limit=10)
    assert [(card.id, card.is_repost) for card in feed.items] == [(repost.pk, True)]
    assert Note.objects.get(pk=original.pk).share_count == 1
    with pytest.raises(ValidationFailed):
        services.note_repost(user_id=author.pk, note_id=original.pk)
    private = note(author, visibility="followers")
    follow(reposter, author)
    with pytest.raises(ValidationFailed):
        services.note_repost(user_id=reposter.pk, note_id=private.pk)


def test_circles_join_leave_admins_pin_and_remove():
    owner, admin, member, outsider = (UserFactory() for _ in range(4))
    circle = services.circle_create(owner_id=owner.pk, name="露营圈", rules="友善交流")
    with pytest.raises(Conflict):
        services.circle_create(owner_id=member.pk, name="露营圈")
    assert services.circle_join(user_id=admin.pk, circle_id=circle.pk) is True
    assert services.circle_join(user_id=admin.pk, circle_id=circle.pk) is False
    services.circle_join(user_id=member.pk, circle_id=circle.pk)
    assert selectors.circle_detail(circle_id=circle.pk, viewer_id=None).member_count == 3
    with pytest.raises(PermissionDenied):
        services.circle_admin_set(
            actor_id=admin.pk, circle_id=circle.pk, user_id=member.pk, is_admin=True
        )
    services.circle_admin_set(
        actor_id=owner.pk, circle_id=circle.pk, user_id=admin.pk, is_admin=True
    )
    post = note(member, "我的帐篷", visibility="circle", circle_id=circle.pk)
    with pytest.raises(PermissionDenied):
        services.note_pin(actor_id=member.pk, note_id=post.pk, pinned=True)
    services.note_pin(actor_id=admin.pk, note_id=post.pk, pinned=True)
    assert [
        card.id for card in selectors.circle_pinned(circle_id=circle.pk, viewer_id=member.pk)
    ] == [post.pk]
    assert (
        selectors.circle_feed(
            circle_id=circle.pk, viewer_id=outsider.pk, cursor=None, limit=10
        ).items
        == []
    )
    services.note_remove_from_circle(actor_id=admin.pk, note_id=post.pk)
    assert (
        selectors.circle_feed(circle_id=circle.pk, viewer_id=member.pk, cursor=None, limit=10).items
        == []
    )
    with pytest.raises(ValidationFailed):
        services.circle_leave(user_id=owner.pk, circle_id=circle.pk)
    assert services.circle_leave(user_id=member.pk, circle_id=circle.pk) is True
    assert selectors.circle_detail(circle_id=circle.pk, viewer_id=None).member_count == 2


def test_circles_you_might_like_by_overlap_then_popularity():
    me, friend1, friend2 = UserFactory(), UserFactory(), UserFactory()
    owner = UserFactory()
    overlap2 = services.circle_create(owner_id=owner.pk, name="两位好友")
    overlap1 = services.circle_create(owner_id=owner.pk, name="一位好友")
    popular = services.circle_create(owner_id=owner.pk, name="热门圈")
    mine = services.circle_create(owner_id=me.pk, name="我的圈")
    for fan in (UserFactory() for _ in range(3)):
        services.circle_join(user_id=fan.pk, circle_id=popular.pk)
    follow(me, friend1)
    follow(me, friend2)
    services.circle_join(user_id=friend1.pk, circle_id=overlap2.pk)
    services.circle_join(user_id=friend2.pk, circle_id=overlap2.pk)
    services.circle_join(user_id=friend1.pk, circle_id=overlap1.pk)
    services.circle_join(user_id=friend1.pk, circle_id=mine.pk)
    suggested = [c.id for c in selectors.circles_you_might_like(viewer_id=me.pk, limit=3)]
    assert suggested == [overlap2.pk, overlap1.pk, popular.pk]


def test_topics_follow_and_trending():
    author, fan = UserFactory(), UserFactory()
    hot = note(author, "#火锅 真香")
    note(author, "#火锅 again")
    note(author, "#冷门")
    services.note_like(user_id=fan.pk, note_id=hot.pk)
    assert services.topic_follow(user_id=fan.pk, name="火锅") is True
    assert services.topic_follow(user_id=fan.pk, name="火锅") is False
    assert Topic.objects.get(name="火锅").follower_count == 1
    with pytest.raises(NotFound):
        services.topic_follow(user_id=fan.pk, name="不存在")
    assert services.trending_recompute() == 2
    trending = selectors.trending_topics(limit=5)
    assert [t.name for t in trending] == ["火锅", "冷门"]
    assert trending[0].trending_score > 2 * trending[1].trending_score
    feed = selectors.topic_feed(name="火锅", viewer_id=None, cursor=None, limit=10)
    assert len(feed.items) == 2
