"""Answers of the points API, derived from the ledger's read models (core.contract_schemas)."""

from __future__ import annotations

from ninja import Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.growth.points.contracts import PointsEntryView, PointsSummaryView
from circlemart.growth.points.selectors import PointsHistoryPage


@derived_from(PointsSummaryView)
class PointsSummaryOut(Schema): ...


@derived_from(PointsEntryView)
class PointsEntryOut(Schema): ...


@derived_from(PointsHistoryPage, nested={PointsEntryView: PointsEntryOut})
class PointsHistoryOut(Schema): ...
