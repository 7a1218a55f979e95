"""Scores discover candidates for one viewer and spreads authors out; pure functions over
social's read models (no database)."""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime

from circlemart.social.contracts import DiscoverCandidate, DiscoverSignals

FOLLOWED_TOPIC_WEIGHT = 3.0  # following a topic counts like three likes in it


@dataclass(frozen=True)
class NoteWeights:
    engagement: float = 1.0
    velocity: float = 0.5  # engagement per hour since publication
    freshness: float = 1.0
    freshness_half_life_hours: float = 48.0
    topic: float = 1.2
    followed_author: float = 1.5
    interacted_author: float = 0.8
    circle: float = 1.0
    product: float = 0.8
    # The most engaging share of the pool that may be explained as "trending".
    trending_share: float = 0.1


@dataclass(frozen=True)
class ScoredNote:
    note_id: int
    author_id: int
    score: float
    reason: str | None  # "followed" | "circle" | "interest" | "trending" | None
    topic_label: str = ""  # the topic an "interest" reason names
    is_seen: bool = False


def saturating(weight: float) -> float:
    """0 for no evidence, ~0.4 for one like, towards 1 for a lot."""
    return 1.0 - math.exp(-weight / 2.0)


def _age_hours(published_at: datetime | None, now: datetime) -> float:
    if published_at is None:
        return 24.0 * 365
    return max((now - published_at).total_seconds() / 3600.0, 0.0)


def _best_topic(candidate: DiscoverCandidate, signals: DiscoverSignals) -> tuple[float, str]:
    best, label = 0.0, ""
    for topic_id, topic_label in zip(candidate.topic_ids, candidate.topic_labels, strict=True):
        weight = signals.topic_weights.get(topic_id, 0.0)
        if topic_id in signals.followed_topic_ids:
            weight += FOLLOWED_TOPIC_WEIGHT
        if weight > best:
            best, label = weight, topic_label
    return saturating(best), label


def score_notes(
    candidates: Sequence[DiscoverCandidate],
    signals: DiscoverSignals,
    *,
    product_affinity: Mapping[int, float],
    seen: Set[int],
    now: datetime,
    weights: NoteWeights | None = None,
) -> list[ScoredNote]:
    """Best first; notes the viewer was already shown come after every unseen one."""
    weights = weights or NoteWeights()
    if not candidates:
        return []
    ages = [_age_hours(candidate.published_at, now) for candidate in candidates]
    engagement = [math.log1p(candidate.engagement) for candidate in candidates]
    velocity = [
        math.log1p(candidate.engagement / (age + 2.0))
        for candidate, age in zip(candidates, ages, strict=True)
    ]
    top_engagement = max(engagement) or 1.0
    top_velocity = max(velocity) or 1.0
    trending_floor = sorted(engagement, reverse=True)[
        max(int(len(engagement) * weights.trending_share) - 1, 0)
    ]
    scored = []
    for index, candidate in enumerate(candidates):
        topic, topic_label = _best_topic(candidate, signals)
        followed = candidate.author_id in signals.followed_author_ids
        in_circle = candidate.circle_id is not None and candidate.circle_id in signals.circle_ids
        personal = {
            "followed": weights.followed_author * followed,
            "interest": weights.topic * topic,
            "circle": weights.circle * in_circle,
        }
        author_affinity = weights.interacted_author * saturating(
            signals.author_weights.get(candidate.author_id, 0.0)
        )
        products = max(
            (product_affinity.get(product_id, 0.0) for product_id in candidate.product_ids),
            default=0.0,
        )
        score = (
            weights.engagement * engagement[index] / top_engagement
            + weights.velocity * velocity[index] / top_velocity
            + weights.freshness * 0.5 ** (ages[index] / weights.freshness_half_life_hours)
            + sum(personal.values())
            + (0.0 if followed else author_affinity)
            + weights.product * products
        )
        strongest, strength = max(personal.items(), key=lambda item: item[1])
        reason: str | None = strongest
        if strength <= 0:
            is_trending = engagement[index] > 0 and engagement[index] >= trending_floor
            reason = "trending" if is_trending else None
        scored.append(
            ScoredNote(
                note_id=candidate.note_id,
                author_id=candidate.author_id,
                score=score,
                reason=reason,
                topic_label=topic_label if reason == "interest" else "",
                is_seen=candidate.note_id in seen,
            )
        )
    scored.sort(key=lambda note: (note.is_seen, -note.score, -note.note_id))
    return scored


def diversify(
    notes: Sequence[ScoredNote], *, window: int, per_author: int = 3, lookahead: int = 60
) -> list[ScoredNote]:
    """Greedy re-rank: never one author twice in a row, at most `per_author` of one author in
    any `window` consecutive notes (so in any page of up to `window`). When the next
    `lookahead` notes offer no such choice (a pool dominated by one author), the rules relax
    in that order rather than dropping notes."""
    remaining = list(notes)
    placed: list[ScoredNote] = []
    recent: deque[int] = deque(maxlen=max(window - 1, 1))
    counts: Counter[int] = Counter()
    while remaining:
        last = placed[-1].author_id if placed else None
        horizon = remaining[:lookahead]
        choice = next(
            (
                n
                for n, note in enumerate(horizon)
                if note.author_id != last and counts[note.author_id] < per_author
            ),
            None,
        )
        if choice is None:
            choice = next((n for n, note in enumerate(horizon) if note.author_id != last), 0)
        note = remaining.pop(choice)
        if len(recent) == recent.maxlen:
            counts[recent[0]] -= 1
        recent.append(note.author_id)
        counts[note.author_id] += 1
        placed.append(note)
    return placed
