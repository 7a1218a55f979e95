"""Writes of the social graph."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from circlemart.core.errors import ValidationFailed
from circlemart.social.models import Follow


def follow_create(*, follower_id: int, followee_id: int) -> bool:
    """Follow someone; True if this created the edge, False if it already existed."""
    if follower_id == followee_id:
        raise ValidationFailed(_("You cannot follow yourself."), code="self_follow", field="user")
    try:
        with transaction.atomic():
            Follow.objects.create(follower_id=follower_id, followee_id=followee_id)
    except IntegrityError:
        return False
    return True


def follow_delete(*, follower_id: int, followee_id: int) -> bool:
    deleted, _ = Follow.objects.filter(follower_id=follower_id, followee_id=followee_id).delete()
    return deleted > 0


def follows_bulk_insert(edges: list[tuple[int, int]], *, batch_size: int = 2000) -> None:
    """Seeding and imports: insert many edges, skipping ones that exist."""
    Follow.objects.bulk_create(
        [Follow(follower_id=a, followee_id=b) for a, b in edges if a != b],
        batch_size=batch_size,
        ignore_conflicts=True,
    )
