"""Who may see which note: the one rule every feed, page and interaction goes through."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from circlemart.social.models import Block, CircleMember, Follow, ModerationState, Note


def blocked_either_way(viewer_id: int) -> Q:
    """Notes of users the viewer blocked or who blocked the viewer."""
    return Q(author_id__in=Block.objects.filter(blocker_id=viewer_id).values("blocked_id")) | Q(
        author_id__in=Block.objects.filter(blocked_id=viewer_id).values("blocker_id")
    )


def audience_q(viewer_id: int | None) -> Q:
    """Visibility settings that let this viewer in (ignoring moderation and blocks)."""
    if viewer_id is None:
        return Q(visibility="public")
    followees = Follow.objects.filter(follower_id=viewer_id).values("followee_id")
    followers = Follow.objects.filter(followee_id=viewer_id).values("follower_id")
    circles = CircleMember.objects.filter(user_id=viewer_id).values("circle_id")
    return (
        Q(visibility="public")
        | Q(visibility="followers", author_id__in=followees)
        | Q(visibility="friends", author_id__in=followees) & Q(author_id__in=followers)
        | Q(visibility="circle", circle_id__in=circles)
    )


def live_q() -> Q:
    return Q(status=Note.Status.PUBLISHED, moderation_state=ModerationState.VISIBLE)


def visible_notes(viewer_id: int | None) -> QuerySet[Note]:
    """Published notes this viewer may see; authors also see their own hidden ones."""
    others = live_q() & audience_q(viewer_id)
    if viewer_id is None:
        return Note.objects.filter(others)
    mine = Q(author_id=viewer_id, status=Note.Status.PUBLISHED)
    return Note.objects.filter((others & ~blocked_either_way(viewer_id)) | mine)


def note_visible_to(*, note_id: int, viewer_id: int | None) -> Note | None:
    return visible_notes(viewer_id).filter(pk=note_id).first()


def is_blocked_between(a: int, b: int) -> bool:
    return Block.objects.filter(
        Q(blocker_id=a, blocked_id=b) | Q(blocker_id=b, blocked_id=a)
    ).exists()


def following_feed_q(viewer_id: int) -> Q:
    """Notes for the viewer's following feed: live, by followed authors, for followers or
    friends, never circle-only, never across a block."""
    followees = Follow.objects.filter(follower_id=viewer_id).values("followee_id")
    followers = Follow.objects.filter(followee_id=viewer_id).values("follower_id")
    return (
        live_q()
        & Q(author_id__in=followees)
        & (
            Q(visibility__in=["public", "followers"])
            | Q(visibility="friends", author_id__in=followers)
        )
        & ~blocked_either_way(viewer_id)
    )


def author_timeline_q(author_id: int) -> Q:
    """An author's live notes that can reach a following feed (candidates; readers re-check)."""
    return live_q() & Q(author_id=author_id) & ~Q(visibility="circle")
