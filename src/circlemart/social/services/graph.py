"""Writes of the social graph: follow, unfollow, block, and exact counters kept beside them."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef
from django.utils.translation import gettext as _

from circlemart.accounts import selectors as account_selectors
from circlemart.core.errors import PermissionDenied, ValidationFailed
from circlemart.core.events import publish
from circlemart.social import errors
from circlemart.social.events import UserBlocked, UserFollowed, UserUnfollowed
from circlemart.social.locks import lock_graph_counters
from circlemart.social.models import Block, Follow, GraphCounter
from circlemart.social.services.feeds import (
    celebrities_forget,
    celebrity_status_check,
    followed_celebrities_forget,
)
from circlemart.social.services.scheduling import after_commit


def _is_blocked_either_way(a: int, b: int) -> bool:
    return Block.objects.filter(blocker_id=a, blocked_id=b).exists() or (
        Block.objects.filter(blocker_id=b, blocked_id=a).exists()
    )


def _bump(user_id: int, **deltas: int) -> None:
    """Conditional F() update: a decrement never takes a counter below zero."""
    updates = {name: F(name) + delta for name, delta in deltas.items()}
    query = GraphCounter.objects.filter(user_id=user_id)
    for name, delta in deltas.items():
        if delta < 0:
            query = query.filter(**{f"{name}__gte": -delta})
    query.update(**updates)


def _remove_edge_locked(follower_id: int, followee_id: int) -> bool:
    deleted, _ = Follow.objects.filter(follower_id=follower_id, followee_id=followee_id).delete()
    if not deleted:
        return False
    _bump(follower_id, following=-1)
    _bump(followee_id, followers=-1)
    followed_celebrities_forget(reader_ids=[follower_id])
    celebrity_status_check(author_id=followee_id, delta=-1)
    if Follow.objects.filter(follower_id=followee_id, followee_id=follower_id).exists():
        _bump(follower_id, friends=-1)
        _bump(followee_id, friends=-1)
    after_commit("social.feed_forget_author", user_id=follower_id, author_id=followee_id)
    return True


def follow_create(*, follower_id: int, followee_id: int) -> bool:
    """Follow someone; True if this created the edge, False if it already existed."""
    if follower_id == followee_id:
        raise ValidationFailed(
            _("You cannot follow yourself."), code=errors.SELF_FOLLOW, field="user"
        )
    with transaction.atomic():
        lock_graph_counters(follower_id, followee_id)
        if _is_blocked_either_way(follower_id, followee_id):
            raise PermissionDenied(
                _("You cannot follow this user."), code=errors.BLOCKED, field="user"
            )
        try:
            with transaction.atomic():
                Follow.objects.create(follower_id=follower_id, followee_id=followee_id)
        except IntegrityError:
            return False
        _bump(follower_id, following=1)
        _bump(followee_id, followers=1)
        followed_celebrities_forget(reader_ids=[follower_id])
        celebrity_status_check(author_id=followee_id, delta=1)
        if Follow.objects.filter(follower_id=followee_id, followee_id=follower_id).exists():
            _bump(follower_id, friends=1)
            _bump(followee_id, friends=1)
        publish(UserFollowed(follower_id=follower_id, followee_id=followee_id))
        after_commit("social.feed_backfill_author", user_id=follower_id, author_id=followee_id)
    return True


def follow_delete(*, follower_id: int, followee_id: int) -> bool:
    with transaction.atomic():
        lock_graph_counters(follower_id, followee_id)
        removed = _remove_edge_locked(follower_id, followee_id)
        if removed:
            publish(UserUnfollowed(follower_id=follower_id, followee_id=followee_id))
    return removed


def block_create(*, blocker_id: int, blocked_id: int) -> bool:
    """Block someone: follow edges both ways go; they can no longer see, follow or comment.

    True if this created the block, False if it already existed.
    """
    if blocker_id == blocked_id:
        raise ValidationFailed(
            _("You cannot block yourself."), code=errors.SELF_BLOCK, field="user"
        )
    with transaction.atomic():
        lock_graph_counters(blocker_id, blocked_id)
        try:
            with transaction.atomic():
                Block.objects.create(blocker_id=blocker_id, blocked_id=blocked_id)
        except IntegrityError:
            return False
        _remove_edge_locked(blocker_id, blocked_id)
        _remove_edge_locked(blocked_id, blocker_id)
        publish(UserBlocked(blocker_id=blocker_id, blocked_id=blocked_id))
    return True


def block_delete(*, blocker_id: int, blocked_id: int) -> bool:
    deleted, _ = Block.objects.filter(blocker_id=blocker_id, blocked_id=blocked_id).delete()
    return deleted > 0


def graph_counters_rebuild(user_ids: Iterable[int] | None = None, *, chunk: int = 1000) -> int:
    """Recount followers / following / friends from the edges (after bulk imports)."""
    ids = sorted(set(account_selectors.active_user_ids() if user_ids is None else user_ids))
    reverse = Follow.objects.filter(follower=OuterRef("followee"), followee=OuterRef("follower"))
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        followers = dict(
            Follow.objects.filter(followee_id__in=part)
            .values("followee_id")
            .annotate(total=Count("id"))
            .values_list("followee_id", "total")
        )
        following = dict(
            Follow.objects.filter(follower_id__in=part)
            .values("follower_id")
            .annotate(total=Count("id"))
            .values_list("follower_id", "total")
        )
        friends = dict(
            Follow.objects.filter(follower_id__in=part)
            .filter(Exists(reverse))
            .values("follower_id")
            .annotate(total=Count("id"))
            .values_list("follower_id", "total")
        )
        GraphCounter.objects.bulk_create(
            [
                GraphCounter(
                    user_id=user_id,
                    followers=followers.get(user_id, 0),
                    following=following.get(user_id, 0),
                    friends=friends.get(user_id, 0),
                )
                for user_id in part
            ],
            update_conflicts=True,
            unique_fields=["user"],
            update_fields=["followers", "following", "friends"],
        )
    celebrities_forget()  # after the writes: at once in autocommit, else after the commit
    return len(ids)


def follows_bulk_insert(
    edges: list[tuple[int, int]], *, batch_size: int = 2000, recount: bool = True
) -> None:
    """Seeding and imports: insert many edges, skipping ones that exist; counters follow
    (pass recount=False when the caller rebuilds them once at the end)."""
    Follow.objects.bulk_create(
        [Follow(follower_id=a, followee_id=b) for a, b in edges if a != b],
        batch_size=batch_size,
        ignore_conflicts=True,
    )
    celebrities_forget()
    if recount:
        graph_counters_rebuild({user for edge in edges for user in edge})
