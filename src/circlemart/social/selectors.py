"""Reads of the social graph."""

from __future__ import annotations

from django.db.models import Count

from circlemart.core.pagination import CursorPage, paginate
from circlemart.social.models import Follow


def follower_count(user_id: int) -> int:
    return Follow.objects.filter(followee_id=user_id).count()


def following_count(user_id: int) -> int:
    return Follow.objects.filter(follower_id=user_id).count()


def follow_counts(user_id: int) -> dict[str, int]:
    followers = follower_count(user_id)
    following = following_count(user_id)
    friends = Follow.objects.filter(
        follower_id=user_id,
        followee_id__in=Follow.objects.filter(followee_id=user_id).values("follower_id"),
    ).count()
    return {"followers": followers, "following": following, "friends": friends}


def most_followed(limit: int = 12) -> list[tuple[int, int]]:
    """(user id, follower count) of the most followed users."""
    rows = (
        Follow.objects.values("followee_id")
        .annotate(total=Count("id"))
        .order_by("-total", "followee_id")[:limit]
    )
    return [(row["followee_id"], row["total"]) for row in rows]


def follower_counts_all() -> list[int]:
    """Follower count of every followed user (for checking the degree distribution)."""
    return list(
        Follow.objects.values("followee_id")
        .annotate(total=Count("id"))
        .values_list("total", flat=True)
    )


def edge_count() -> int:
    return Follow.objects.count()


def followers_page(*, user_id: int, cursor: str | None, limit: int) -> CursorPage[Follow]:
    """Newest followers first."""
    edges = Follow.objects.filter(followee_id=user_id)
    return paginate(edges, ordering=("-id",), cursor=cursor, limit=limit)


def following_page(*, user_id: int, cursor: str | None, limit: int) -> CursorPage[Follow]:
    edges = Follow.objects.filter(follower_id=user_id)
    return paginate(edges, ordering=("-id",), cursor=cursor, limit=limit)


def is_following(*, follower_id: int, followee_id: int) -> bool:
    return Follow.objects.filter(follower_id=follower_id, followee_id=followee_id).exists()
