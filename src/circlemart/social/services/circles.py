"""Writes of circles (圈子) and topics: create, join, leave, appoint admins; follow topics;
recompute trending scores."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from circlemart.core.events import publish
from circlemart.core.text import clean_plain_text
from circlemart.social import errors
from circlemart.social.events import CircleJoined
from circlemart.social.models import (
    Circle,
    CircleMember,
    ModerationState,
    Note,
    NoteTopic,
    Topic,
    TopicFollow,
)
from circlemart.social.services.images import image_process
from circlemart.social.services.screening import screen, submit_for_review
from circlemart.social.text import topic_key

NAME_MAX = 40
DESCRIPTION_MAX = 300
RULES_MAX = 2000
TRENDING_WINDOW_DAYS = 7


def circle_create(
    *,
    owner_id: int,
    name: str,
    description: str = "",
    rules: str = "",
    cover: UploadedFile[bytes] | None = None,
) -> Circle:
    cleaned = {
        "name": clean_plain_text(
            name, field="name", min_length=2, max_length=NAME_MAX, name_like=True
        ),
        "description": clean_plain_text(
            description, field="description", max_length=DESCRIPTION_MAX, multiline=True
        ),
        "rules": clean_plain_text(rules, field="rules", max_length=RULES_MAX, multiline=True),
    }
    processed = image_process(cover, field="cover") if cover is not None else None
    screened = screen(cleaned)
    try:
        with transaction.atomic():
            circle = Circle.objects.create(
                owner_id=owner_id,
                name=screened.texts["name"],
                description=screened.texts["description"],
                rules=screened.texts["rules"],
                member_count=1,
                moderation_state=(
                    ModerationState.IN_REVIEW if screened.needs_review else ModerationState.VISIBLE
                ),
            )
            CircleMember.objects.create(circle=circle, user_id=owner_id, role="owner")
            if processed is not None:
                circle.cover.save("cover.webp", ContentFile(processed.large), save=True)
            if screened.needs_review:
                submit_for_review(
                    content_type="circle",
                    content_id=circle.pk,
                    author_id=owner_id,
                    excerpt=f"{circle.name}\n{circle.description}\n{circle.rules}",
                    reason=screened.reason,
                )
    except IntegrityError as exc:
        raise Conflict(
            _("A circle with this name already exists."), code=errors.NAME_TAKEN, field="name"
        ) from exc
    return circle


def _joinable_circle(circle_id: int) -> Circle:
    circle = Circle.objects.filter(pk=circle_id, moderation_state=ModerationState.VISIBLE).first()
    if circle is None:
        raise NotFound(_("Circle not found."), field="circle_id")
    return circle


def circle_join(*, user_id: int, circle_id: int) -> bool:
    circle = _joinable_circle(circle_id)
    with transaction.atomic():
        try:
            with transaction.atomic():
                CircleMember.objects.create(circle=circle, user_id=user_id)
        except IntegrityError:
            return False
        Circle.objects.filter(pk=circle.pk).update(member_count=F("member_count") + 1)
        publish(CircleJoined(circle_id=circle.pk, user_id=user_id))
    return True


def circle_leave(*, user_id: int, circle_id: int) -> bool:
    with transaction.atomic():
        membership = CircleMember.objects.filter(circle_id=circle_id, user_id=user_id).first()
        if membership is None:
            return False
        if membership.role == CircleMember.Role.OWNER:
            raise ValidationFailed(
                _("The owner cannot leave the circle."),
                code=errors.OWNER_CANNOT_LEAVE,
                field="circle_id",
            )
        deleted, _rows = CircleMember.objects.filter(pk=membership.pk).delete()
        if deleted:
            Circle.objects.filter(pk=circle_id, member_count__gt=0).update(
                member_count=F("member_count") - 1
            )
    return bool(deleted)


def circle_admin_set(*, actor_id: int, circle_id: int, user_id: int, is_admin: bool) -> None:
    """The owner appoints (or dismisses) an admin among the members."""
    if not CircleMember.objects.filter(
        circle_id=circle_id, user_id=actor_id, role="owner"
    ).exists():
        raise PermissionDenied(
            _("Only the circle's owner can appoint admins."),
            code=errors.NOT_CIRCLE_ADMIN,
            field="circle_id",
        )
    updated = (
        CircleMember.objects.filter(circle_id=circle_id, user_id=user_id)
        .exclude(role="owner")
        .update(role="admin" if is_admin else "member")
    )
    if not updated:
        raise NotFound(_("Member not found."), field="user_id")


def circle_moderation_decided(*, circle_id: int, approved: bool, reason: str = "") -> None:
    Circle.objects.filter(pk=circle_id).update(
        moderation_state=ModerationState.VISIBLE if approved else ModerationState.REJECTED,
        moderation_reason="" if approved else reason[:300],
    )


# --- Topics ----------------------------------------------------------------------------------


def _topic(name: str) -> Topic:
    topic = Topic.objects.filter(name=topic_key(name)).first()
    if topic is None:
        raise NotFound(_("Topic not found."), field="topic")
    return topic


def topic_follow(*, user_id: int, name: str) -> bool:
    topic = _topic(name)
    with transaction.atomic():
        try:
            with transaction.atomic():
                TopicFollow.objects.create(topic=topic, user_id=user_id)
        except IntegrityError:
            return False
        Topic.objects.filter(pk=topic.pk).update(follower_count=F("follower_count") + 1)
    return True


def topic_unfollow(*, user_id: int, name: str) -> bool:
    topic = _topic(name)
    with transaction.atomic():
        deleted, _rows = TopicFollow.objects.filter(topic=topic, user_id=user_id).delete()
        if deleted:
            Topic.objects.filter(pk=topic.pk, follower_count__gt=0).update(
                follower_count=F("follower_count") - 1
            )
    return bool(deleted)


def trending_recompute() -> int:
    """Score = Σ over the last week's public notes of (1 + likes + 2·comments) · 2^(−age/half-life).

    Topics without recent notes fall to zero. Returns how many topics have a score.
    """
    now = clock.now()
    half_life = timedelta(hours=settings.SOCIAL_TRENDING_HALF_LIFE_HOURS).total_seconds()
    since = now - timedelta(days=TRENDING_WINDOW_DAYS)
    rows = NoteTopic.objects.filter(
        note__status=Note.Status.PUBLISHED,
        note__moderation_state=ModerationState.VISIBLE,
        note__visibility="public",
        note__published_at__gte=since,
    ).values_list("topic_id", "note__published_at", "note__like_count", "note__comment_count")
    scores: dict[int, float] = defaultdict(float)
    for topic_id, published_at, likes, comments in rows.iterator(chunk_size=2000):
        if published_at is None:
            continue
        age = max((now - published_at).total_seconds(), 0.0)
        scores[topic_id] += (1 + likes + 2 * comments) * math.pow(2.0, -age / half_life)
    with transaction.atomic():
        Topic.objects.exclude(pk__in=list(scores)).exclude(trending_score=0).update(
            trending_score=0.0
        )
        for topic_id, score in scores.items():
            Topic.objects.filter(pk=topic_id).update(trending_score=round(score, 6))
    return len(scores)
