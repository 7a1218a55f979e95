"""In/Out shapes of the analytics API: the client event batch (POST /api/v1/events)."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt

from circlemart.core.schemas import INTEGER_MAX, INTEGER_MIN

PropertyValue = StrictBool | StrictInt | float | Annotated[str, Field(max_length=500)]


class ClientEventIn(BaseModel):
    """One browser event. `event_id` is minted by the browser (crypto.randomUUID) so a resent
    batch stores nothing twice."""

    model_config = ConfigDict(extra="forbid")

    # maxLength documents the bound the parsers already hold these strings to.
    event_id: uuid.UUID = Field(json_schema_extra={"maxLength": 36})
    name: str = Field(max_length=48)
    occurred_at: AwareDatetime = Field(json_schema_extra={"maxLength": 64})
    object_id: Annotated[str, Field(max_length=64)] | StrictInt = ""
    properties: dict[Annotated[str, Field(max_length=48)], PropertyValue] = Field(
        default_factory=dict, max_length=20
    )
    amount: StrictInt | None = Field(default=None, ge=INTEGER_MIN, le=INTEGER_MAX)


class EventBatchIn(BaseModel):
    """What track.js sends: a batch of events and who sent them. The anonymous id and visit
    come from the first-party cookies when present; the body's are for apps without them."""

    model_config = ConfigDict(extra="forbid")

    events: list[ClientEventIn] = Field(min_length=1)
    anonymous_id: str = Field(default="", max_length=64)
    session_id: str = Field(default="", max_length=64)


class EventBatchOut(BaseModel):
    stored: int
    duplicates: int
    ignored: int = Field(description="Dropped without an error: no tracking consent, or a bot.")
