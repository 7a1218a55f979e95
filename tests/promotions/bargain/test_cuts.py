"""The cut algorithm, pure: whatever the price span, helper count and random seed, every cut is
at least one minor unit, the price never goes below the floor, and the floor is reached
exactly with the last helper — not before. Cuts other than the last stay within about half
and one and a half of an even split."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circlemart.promotions.bargain.contracts import MAX_HELPERS
from circlemart.promotions.bargain.services import cut_amount


@st.composite
def bargains(draw: st.DrawFn) -> tuple[int, int, int, int]:
    """(start price, floor, helpers needed, seed) with room for every helper's cut."""
    helpers = draw(st.integers(1, MAX_HELPERS))
    floor = draw(st.integers(1, 10_000_000))
    span = draw(
        st.one_of(
            st.integers(helpers, helpers + 5),  # barely room: cuts of one unit
            st.integers(helpers, 100_000_000),
        )
    )
    return floor + span, floor, helpers, draw(st.integers(0, 2**32))


def cut_all(start: int, floor: int, helpers: int, rng: random.Random) -> list[int]:
    price, cuts = start, []
    for helped in range(helpers):
        cut = cut_amount(remaining=price - floor, helpers_left=helpers - helped, rng=rng)
        cuts.append(cut)
        price -= cut
    return cuts


@settings(max_examples=600, deadline=None)
@given(bargains())
def test_the_floor_is_reached_exactly_with_the_last_helper(
    bargain: tuple[int, int, int, int],
) -> None:
    start, floor, helpers, seed = bargain
    cuts = cut_all(start, floor, helpers, random.Random(seed))
    assert len(cuts) == helpers
    assert all(cut >= 1 for cut in cuts)
    assert sum(cuts) == start - floor
    price = start
    for cut in cuts[:-1]:
        price -= cut
        assert price > floor  # never at the floor before the last helper
    assert price - cuts[-1] == floor


@settings(max_examples=300, deadline=None)
@given(bargains())
def test_cuts_before_the_last_stay_within_their_bounds(bargain: tuple[int, int, int, int]) -> None:
    start, floor, helpers, seed = bargain
    rng = random.Random(seed)
    price = start
    for helped in range(helpers - 1):
        remaining, left = price - floor, helpers - helped
        cut = cut_amount(remaining=remaining, helpers_left=left, rng=rng)
        half_even = max(1, remaining // (2 * left))
        one_and_a_half_even = -(-3 * remaining // (2 * left))
        assert cut >= min(half_even, remaining - (left - 1))
        assert cut <= one_and_a_half_even
        assert remaining - cut >= left - 1  # one unit at least left for each helper to come
        price -= cut


def test_many_seeds_on_a_typical_deal() -> None:
    """¥99 down to ¥9.90 with ten friends, 5,000 times with the system's randomness too."""
    for seed in range(5000):
        rng: random.Random = random.SystemRandom() if seed % 2 else random.Random(seed)
        cuts = cut_all(9900, 990, 10, rng)
        assert sum(cuts) == 8910
        assert min(cuts) >= 1
        assert all(sum(cuts[:index]) < 8910 for index in range(1, 10))


def test_one_helper_takes_everything_and_one_unit_each_when_there_is_no_room() -> None:
    rng = random.Random(1)
    assert cut_amount(remaining=5000, helpers_left=1, rng=rng) == 5000
    assert cut_all(1010, 1000, 10, rng) == [1] * 10


def test_cuts_are_random() -> None:
    rng = random.Random(7)
    assert len({cut_amount(remaining=100_000, helpers_left=10, rng=rng) for _ in range(50)}) > 10


@pytest.mark.parametrize(("remaining", "helpers_left"), [(4, 5), (0, 1), (10, 0)])
def test_no_room_for_every_helper_is_a_programming_error(remaining: int, helpers_left: int) -> None:
    with pytest.raises(ValueError, match="cannot split"):
        cut_amount(remaining=remaining, helpers_left=helpers_left, rng=random.Random(0))
