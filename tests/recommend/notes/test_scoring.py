"""Scoring and author diversity as pure functions (no database)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from circlemart.recommend.notes.scoring import ScoredNote, diversify, score_notes
from circlemart.social.contracts import DiscoverCandidate, DiscoverSignals

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
NOBODY = DiscoverSignals(
    followed_author_ids=frozenset(),
    followed_topic_ids=frozenset(),
    circle_ids=frozenset(),
    topic_weights={},
    author_weights={},
)


def candidate(note_id: int, *, author: int = 1, hours: float = 1, engagement: int = 10, **more):
    return DiscoverCandidate(
        note_id=note_id,
        author_id=author,
        circle_id=more.get("circle"),
        published_at=NOW - timedelta(hours=hours),
        hot_score=0.0,
        engagement=engagement,
        topic_ids=tuple(more.get("topics", ())),
        topic_labels=tuple(f"t{topic}" for topic in more.get("topics", ())),
        product_ids=tuple(more.get("products", ())),
    )


def ranked(candidates, signals=NOBODY, **kwargs):
    kwargs.setdefault("product_affinity", {})
    kwargs.setdefault("seen", set())
    return score_notes(candidates, signals, now=NOW, **kwargs)


def test_fresher_wins_at_equal_engagement_and_more_engagement_wins_at_equal_age():
    notes = ranked(
        [candidate(1, hours=96), candidate(2, hours=2), candidate(3, hours=2, engagement=50)]
    )
    assert [note.note_id for note in notes] == [3, 2, 1]
    assert notes[0].reason == "trending"
    assert notes[1].reason is None
    assert notes[2].reason is None


def test_each_personal_signal_lifts_a_note_and_names_itself():
    signals = DiscoverSignals(
        followed_author_ids=frozenset({7}),
        followed_topic_ids=frozenset(),
        circle_ids=frozenset({3}),
        topic_weights={40: 2.0},
        author_weights={},
    )
    notes = ranked(
        [
            candidate(1, author=1),
            candidate(2, author=7),
            candidate(3, author=2, circle=3),
            candidate(4, author=4, topics=(40,)),
            candidate(5, author=5, products=(900,)),
        ],
        signals,
        product_affinity={900: 1.0},
    )
    by_id = {note.note_id: note for note in notes}
    assert notes[-1].note_id == 1
    assert {by_id[n].reason for n in (2, 3, 4)} == {"followed", "circle", "interest"}
    assert by_id[4].topic_label == "t40"
    assert by_id[5].score > by_id[1].score


def test_seen_notes_come_after_every_unseen_one():
    notes = ranked([candidate(1, engagement=500), candidate(2, engagement=1)], seen={1})
    assert [(note.note_id, note.is_seen) for note in notes] == [(2, False), (1, True)]


def test_no_candidates_no_notes():
    assert ranked([]) == []


def scored(authors: list[int]) -> list[ScoredNote]:
    return [
        ScoredNote(note_id=n, author_id=author, score=-n, reason=None)
        for n, author in enumerate(authors)
    ]


def test_diversify_spreads_a_dominant_author():
    order = diversify(scored([1, 1, 1, 1, 1, 2, 3, 4, 5, 6]), window=5, per_author=3)
    assert [note.author_id for note in order] == [1, 2, 1, 3, 1, 4, 1, 5, 1, 6]
    assert sorted(note.note_id for note in order) == list(range(10))


@given(st.lists(st.integers(min_value=1, max_value=4), max_size=60), st.integers(2, 12))
def test_diversify_keeps_every_note_and_never_repeats_an_author_when_it_can_avoid_it(
    authors: list[int], window: int
) -> None:
    order = diversify(scored(authors), window=window, per_author=3)
    assert sorted(note.note_id for note in order) == list(range(len(authors)))
    for position, (before, after) in enumerate(itertools.pairwise(order), start=1):
        if before.author_id == after.author_id:
            # Only when nothing else was left to place.
            assert {note.author_id for note in order[position:]} == {after.author_id}


def test_reasons_are_short_localised_labels():
    from django.utils import translation

    from circlemart.recommend.contracts import Reason
    from circlemart.recommend.notes.explanations import reason_for

    def note(reason: str | None, topic: str = "") -> ScoredNote:
        return ScoredNote(note_id=1, author_id=1, score=1.0, reason=reason, topic_label=topic)

    with translation.override("en"):
        assert reason_for(note("interest", "camping")) == Reason(
            kind="interest", label="Because you like #camping"
        )
        assert reason_for(note("followed")) == Reason(
            kind="followed", label="From someone you follow"
        )
        assert reason_for(note("circle")) == Reason(kind="circle", label="Popular in your circle")
        assert reason_for(note("trending")) == Reason(kind="trending", label="Trending now")
        assert reason_for(note(None)) is None
