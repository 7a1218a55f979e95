"""What crosses the analytics boundary: the event catalogue's names and the records that
other apps, the importer and the HTTP endpoint hand to `events_record`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class EventRecord:
    """One event to store. `event_id` makes a resend harmless; `occurred_at` is aware."""

    name: str
    occurred_at: datetime
    origin: str = "server"  # "client" or "server"
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    user_id: int | None = None
    anonymous_id: str = ""
    session_id: str = ""
    object_type: str = ""
    object_id: str = ""
    amount: int | None = None  # minor units
    currency: str = ""
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordResult:
    stored: int
    duplicates: int
