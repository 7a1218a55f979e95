"""The seed's progress bars: no time estimate from the slow first items (the orders bar once
said "50 minutes" while it sat at 0 of 120), tqdm's after that."""

from __future__ import annotations

import io

from circlemart.core.progress import ESTIMATE_AFTER, Progress, progress


def test_no_estimate_until_a_few_items_are_done():
    warming = Progress.format_meter(1, 120, 25.0, prefix="orders: ", unit="order")
    assert "estimating…" in warming
    assert "<" not in warming  # no "elapsed<remaining"
    warm = Progress.format_meter(ESTIMATE_AFTER, 120, 30.0, prefix="orders: ", unit="order")
    assert "estimating…" not in warm
    assert "<" in warm


def test_progress_is_the_items_themselves_when_off_and_a_bar_when_on():
    items = [1, 2, 3]
    assert progress(items, enabled=False) is items
    output = io.StringIO()
    assert list(progress(items, desc="steps", file=output, mininterval=0)) == items
    assert "steps" in output.getvalue()
    assert "3/3" in output.getvalue()
