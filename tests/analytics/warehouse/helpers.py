"""Events with chosen times for warehouse tests, stored through the real write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq

from circlemart.analytics.contracts import EventRecord
from circlemart.analytics.models import Event
from circlemart.analytics.services import events_record


def record(
    moments: Sequence[datetime], *, amount: int | None = None, **fields: object
) -> list[int]:
    """Store one server event per moment (historical, so any time is accepted); return ids in
    the order stored."""
    base: dict[str, object] = {"name": "order_paid", "origin": "server", "user_id": 7}
    base.update(fields)
    records = [
        EventRecord(**{"object_id": f"CM{index}", **base, "occurred_at": moment, "amount": amount})  # type: ignore[arg-type]
        for index, moment in enumerate(moments)
    ]
    before = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    events_record(records, historical=True)
    return list(Event.objects.filter(id__gt=before).order_by("id").values_list("id", flat=True))


def exported_files(root: Path) -> list[str]:
    """Every Parquet file under events/, relative to the warehouse root."""
    return sorted(str(path.relative_to(root)) for path in (root / "events").rglob("*.parquet"))


def exported_ids(root: Path) -> list[int]:
    ids: list[int] = []
    for path in sorted((root / "events").rglob("*.parquet")):
        ids.extend(pq.read_table(path).column("id").to_pylist())
    return sorted(ids)
