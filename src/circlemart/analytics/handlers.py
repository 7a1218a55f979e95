"""Server-side tracking: other apps' domain events, as they arrive from the outbox, become
rows of the event log (see tracking/server_events.py)."""

from __future__ import annotations
