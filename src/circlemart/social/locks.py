"""The canonical row locks of the social context.

Graph changes between two users lock both users' counter rows in id order, so a follow, an
unfollow and a block between the same pair serialise (no lost friend counts, no follow slipping
past a block), and two different pairs never deadlock.
"""

from __future__ import annotations

from circlemart.social.models import GraphCounter


def lock_graph_counters(*user_ids: int) -> None:
    """Inside a transaction: make sure the counter rows exist, then lock them in id order."""
    wanted = sorted(set(user_ids))
    GraphCounter.objects.bulk_create(
        [GraphCounter(user_id=user_id) for user_id in wanted], ignore_conflicts=True
    )
    list(
        GraphCounter.objects.select_for_update()
        .filter(user_id__in=wanted)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
