"""Reads of circles and topics."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q

from circlemart.core import clock
from circlemart.social.contracts import CircleView, TopicView
from circlemart.social.models import (
    Circle,
    CircleMember,
    Follow,
    ModerationState,
    Topic,
    TopicFollow,
)
from circlemart.social.text import topic_key


def _view(circle: Circle, role: str | None) -> CircleView:
    return CircleView(
        id=circle.pk,
        name=circle.name,
        description=circle.description,
        rules=circle.rules,
        cover_url=circle.cover.url if circle.cover else "",
        owner_id=circle.owner_id,
        member_count=circle.member_count,
        note_count=circle.note_count,
        moderation_state=circle.moderation_state,
        created_at=circle.created_at,
        my_role=role,
    )


def _roles(viewer_id: int | None, circle_ids: list[int]) -> dict[int, str]:
    if viewer_id is None or not circle_ids:
        return {}
    return dict(
        CircleMember.objects.filter(user_id=viewer_id, circle_id__in=circle_ids).values_list(
            "circle_id", "role"
        )
    )


def _shown(viewer_id: int | None) -> Q:
    shown = Q(moderation_state=ModerationState.VISIBLE)
    return shown | Q(owner_id=viewer_id) if viewer_id is not None else shown


def circle_detail(*, circle_id: int, viewer_id: int | None) -> CircleView | None:
    circle = Circle.objects.filter(_shown(viewer_id), pk=circle_id).first()
    if circle is None:
        return None
    return _view(circle, _roles(viewer_id, [circle.pk]).get(circle.pk))


def circles_popular(*, viewer_id: int | None, limit: int = 20) -> list[CircleView]:
    circles = list(
        Circle.objects.filter(moderation_state=ModerationState.VISIBLE).order_by(
            "-member_count", "-id"
        )[:limit]
    )
    roles = _roles(viewer_id, [circle.pk for circle in circles])
    return [_view(circle, roles.get(circle.pk)) for circle in circles]


def circles_of(*, user_id: int, viewer_id: int | None = None) -> list[CircleView]:
    ids = list(
        CircleMember.objects.filter(user_id=user_id)
        .order_by("-joined_at")
        .values_list("circle_id", flat=True)[:100]
    )
    by_id = Circle.objects.filter(_shown(viewer_id if viewer_id == user_id else None)).in_bulk(ids)
    roles = _roles(viewer_id, ids)
    return [_view(by_id[pk], roles.get(pk)) for pk in ids if pk in by_id]


def circles_newest(*, viewer_id: int | None, limit: int = 6) -> list[CircleView]:
    """The most recently created circles, newest first."""
    circles = list(
        Circle.objects.filter(moderation_state=ModerationState.VISIBLE).order_by(
            "-created_at", "-id"
        )[:limit]
    )
    roles = _roles(viewer_id, [circle.pk for circle in circles])
    return [_view(circle, roles.get(circle.pk)) for circle in circles]


def circles_you_might_like(
    *, viewer_id: int, limit: int = 6, active_days: int = 14
) -> list[CircleView]:
    """Circles you have not joined: those the people you follow are in (most overlap first),
    then the most active ones (notes posted in the last `active_days`, then all notes)."""
    joined = CircleMember.objects.filter(user_id=viewer_id).values("circle_id")
    followees = Follow.objects.filter(follower_id=viewer_id).values("followee_id")
    overlap = list(
        CircleMember.objects.filter(user_id__in=followees)
        .exclude(circle_id__in=joined)
        .filter(circle__moderation_state=ModerationState.VISIBLE)
        .values("circle_id")
        .annotate(friends=Count("id"))
        .order_by("-friends", "-circle__member_count", "-circle_id")
        .values_list("circle_id", flat=True)[:limit]
    )
    ids = list(overlap)
    if len(ids) < limit:
        since = clock.now() - timedelta(days=active_days)
        ids += list(
            Circle.objects.filter(moderation_state=ModerationState.VISIBLE)
            .exclude(pk__in=joined)
            .exclude(pk__in=ids)
            .annotate(recent=Count("notes", filter=Q(notes__went_live_at__gte=since)))
            .order_by("-recent", "-note_count", "-created_at", "-id")
            .values_list("id", flat=True)[: limit - len(ids)]
        )
    by_id = Circle.objects.in_bulk(ids)
    return [_view(by_id[pk], None) for pk in ids if pk in by_id]


def is_member(*, circle_id: int, user_id: int | None) -> bool:
    if user_id is None:
        return False
    return CircleMember.objects.filter(circle_id=circle_id, user_id=user_id).exists()


# --- Topics ----------------------------------------------------------------------------------


def _topic_view(topic: Topic, followed: bool) -> TopicView:
    return TopicView(
        name=topic.name,
        label=topic.label,
        note_count=topic.note_count,
        follower_count=topic.follower_count,
        trending_score=topic.trending_score,
        followed_by_me=followed,
    )


def topic_detail(*, name: str, viewer_id: int | None) -> TopicView | None:
    topic = Topic.objects.filter(name=topic_key(name)).first()
    if topic is None:
        return None
    followed = viewer_id is not None and (
        TopicFollow.objects.filter(topic=topic, user_id=viewer_id).exists()
    )
    return _topic_view(topic, followed)


def trending_topics(limit: int = 10) -> list[TopicView]:
    topics = Topic.objects.filter(trending_score__gt=0).order_by("-trending_score", "-id")[:limit]
    return [_topic_view(topic, False) for topic in topics]


def topics_followed(user_id: int) -> list[TopicView]:
    ids = TopicFollow.objects.filter(user_id=user_id).values("topic_id")
    return [_topic_view(topic, True) for topic in Topic.objects.filter(pk__in=ids).order_by("name")]
