"""Server-side tracking: other apps' domain events, as they arrive from the outbox, become
rows of the event log (see tracking/server_events.py for what each one records)."""

from __future__ import annotations

from circlemart.analytics.tracking import server_events
from circlemart.core.events import DeliveredEvent, handles


def on_tracked_event(delivered: DeliveredEvent) -> None:
    """One handler for every tracked event: its receipt, plus the log's drop of duplicate
    event ids, make a redelivery store nothing twice."""
    server_events.server_event_record(delivered)


for _event_class in server_events.BUILDERS:
    handles(_event_class)(on_tracked_event)
