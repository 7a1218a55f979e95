"""Request and response shapes of the moderation API; the answers that show a contract are
derived from it (core.contract_schemas)."""

from __future__ import annotations

from ninja import Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema
from circlemart.moderation.contracts import ReviewItemView


class ReportIn(InputSchema):
    content_type: str
    content_id: int
    reason: str
    detail: str = ""


class ReportOut(Schema):
    id: int


class DecisionIn(InputSchema):
    decision: str
    reason: str = ""


@derived_from(ReviewItemView)
class ReviewItemOut(Schema): ...


class QueueOut(Schema):
    items: list[ReviewItemOut]
    total: int
