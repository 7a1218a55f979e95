"""Demo social graph with a power-law follower distribution (a few stars, a long tail)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from itertools import accumulate

from tqdm import tqdm

from circlemart.social.services import follows_bulk_insert


def power_law_edges(
    *, rng: random.Random, user_ids: list[int], exponent: float = 1.2
) -> list[tuple[int, int]]:
    """Each user follows 3–40 others picked with probability ∝ 1 / popularity-rank^exponent.

    Popularity ranks are a random permutation, so who becomes a star depends on the seed.
    """
    if len(user_ids) < 2:
        return []
    ranked = list(user_ids)
    rng.shuffle(ranked)
    cumulative = list(accumulate(1.0 / (rank + 1) ** exponent for rank in range(len(ranked))))
    edges: list[tuple[int, int]] = []
    for follower in user_ids:
        wanted = min(len(ranked) - 1, 3 + int(rng.paretovariate(1.5) * 3))
        wanted = min(wanted, 40)
        picked: set[int] = set()
        for _attempt in range(wanted * 4):
            if len(picked) >= wanted:
                break
            followee = rng.choices(ranked, cum_weights=cumulative, k=1)[0]
            if followee != follower:
                picked.add(followee)
        edges.extend((follower, followee) for followee in sorted(picked))
    return edges


def seed_follows(*, rng: random.Random, user_ids: list[int], progress: bool) -> int:
    edges = power_law_edges(rng=rng, user_ids=user_ids)
    chunks: Iterable[int] = range(0, len(edges), 2000)
    if progress:
        chunks = tqdm(chunks, desc="follows", unit="batch")
    for start in chunks:
        follows_bulk_insert(edges[start : start + 2000])
    return len(edges)
