"""Reads of the social graph: counts, relationships, follower / following / friend pages."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef

from circlemart.core.pagination import CursorPage, paginate
from circlemart.social.contracts import GraphCounts, Relationship
from circlemart.social.models import Block, Follow, GraphCounter


def follower_count(user_id: int) -> int:
    return graph_counts(user_id).followers


def following_count(user_id: int) -> int:
    return graph_counts(user_id).following


def graph_counts(user_id: int) -> GraphCounts:
    """Exact counts from the counter row (kept in step with the edges, see services)."""
    row = GraphCounter.objects.filter(user_id=user_id).first()
    if row is None:
        return GraphCounts(followers=0, following=0, friends=0)
    return GraphCounts(followers=row.followers, following=row.following, friends=row.friends)


def follow_counts(user_id: int) -> dict[str, int]:
    counts = graph_counts(user_id)
    return {"followers": counts.followers, "following": counts.following, "friends": counts.friends}


def most_followed(limit: int = 12) -> list[tuple[int, int]]:
    """(user id, follower count) of the most followed users."""
    rows = (
        GraphCounter.objects.filter(followers__gt=0)
        .order_by("-followers", "user_id")
        .values_list("user_id", "followers")[:limit]
    )
    return [(user_id, followers) for user_id, followers in rows]


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


def friends_page(*, user_id: int, cursor: str | None, limit: int) -> CursorPage[Follow]:
    """Mutual follows (edges from the user whose reverse edge exists), newest first."""
    reverse = Follow.objects.filter(follower=OuterRef("followee"), followee=OuterRef("follower"))
    edges = Follow.objects.filter(follower_id=user_id).filter(Exists(reverse))
    return paginate(edges, ordering=("-id",), cursor=cursor, limit=limit)


def relationship(*, viewer_id: int | None, other_id: int) -> Relationship:
    if viewer_id is None or viewer_id == other_id:
        return Relationship(
            is_following=False,
            is_followed_by=False,
            is_friend=False,
            is_blocking=False,
            is_blocked_by=False,
        )
    edges = set(
        Follow.objects.filter(
            follower_id__in=[viewer_id, other_id], followee_id__in=[viewer_id, other_id]
        ).values_list("follower_id", "followee_id")
    )
    blocks = set(
        Block.objects.filter(
            blocker_id__in=[viewer_id, other_id], blocked_id__in=[viewer_id, other_id]
        ).values_list("blocker_id", "blocked_id")
    )
    following = (viewer_id, other_id) in edges
    followed_by = (other_id, viewer_id) in edges
    return Relationship(
        is_following=following,
        is_followed_by=followed_by,
        is_friend=following and followed_by,
        is_blocking=(viewer_id, other_id) in blocks,
        is_blocked_by=(other_id, viewer_id) in blocks,
    )


def blocked_page(*, user_id: int, cursor: str | None, limit: int) -> CursorPage[Block]:
    return paginate(
        Block.objects.filter(blocker_id=user_id), ordering=("-id",), cursor=cursor, limit=limit
    )


def is_blocking(*, blocker_id: int, blocked_id: int) -> bool:
    return Block.objects.filter(blocker_id=blocker_id, blocked_id=blocked_id).exists()


def relationships(*, viewer_id: int | None, other_ids: list[int]) -> dict[int, Relationship]:
    """`relationship` for many people at once (two queries), e.g. a list of creators."""
    none = Relationship(
        is_following=False,
        is_followed_by=False,
        is_friend=False,
        is_blocking=False,
        is_blocked_by=False,
    )
    others = [other for other in other_ids if other != viewer_id]
    if viewer_id is None or not others:
        return dict.fromkeys(other_ids, none)
    following = set(
        Follow.objects.filter(follower_id=viewer_id, followee_id__in=others).values_list(
            "followee_id", flat=True
        )
    )
    followed_by = set(
        Follow.objects.filter(follower_id__in=others, followee_id=viewer_id).values_list(
            "follower_id", flat=True
        )
    )
    blocks = set(
        Block.objects.filter(blocker_id=viewer_id, blocked_id__in=others).values_list(
            "blocked_id", flat=True
        )
    )
    blocked_by = set(
        Block.objects.filter(blocker_id__in=others, blocked_id=viewer_id).values_list(
            "blocker_id", flat=True
        )
    )
    found = dict.fromkeys(other_ids, none)
    for other in others:
        found[other] = Relationship(
            is_following=other in following,
            is_followed_by=other in followed_by,
            is_friend=other in following and other in followed_by,
            is_blocking=other in blocks,
            is_blocked_by=other in blocked_by,
        )
    return found
