"""Request and response shapes of the recommendations API (/api/v1/recommend/). Answers are
derived from the contracts (recommend's lists and reasons, catalog's product card)."""

from __future__ import annotations

from typing import Annotated

from ninja import Query, Schema
from pydantic import Field

from circlemart.catalog.contracts import ProductCard
from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema
from circlemart.recommend.contracts import Reason, RecommendationList
from circlemart.recommend.selectors import surfaces

LIMIT_MAX = surfaces.MAX_LIMIT  # the API-wide page size bound, as the selectors accept
OFFSET_MAX = 1000  # far beyond the candidates a model keeps per user
INTERESTS_MAX = 20


ListLimit = Annotated[
    int | None,
    Query(None, ge=1, le=LIMIT_MAX, description=f"How many items (1–{LIMIT_MAX})."),
]

ListOffset = Annotated[
    int,
    Query(0, ge=0, le=OFFSET_MAX, description="Items to skip: `next_offset` of the last page."),
]


@derived_from(Reason)
class ReasonOut(Schema): ...


@derived_from(ProductCard)
class RecommendedProductOut(Schema):
    position: int  # the item's place in the served list; send it back with a click
    reason: ReasonOut | None


@derived_from(RecommendationList, nested={Reason: ReasonOut})
class RecommendationListOut(Schema):
    # Product cards to show, rather than the contract's bare ids and scores.
    items: list[RecommendedProductOut]
    next_offset: int | None = Field(
        None, description="Offset of the next page; null when there is none."
    )


class RecommendationPreferencesOut(Schema):
    is_personalised: bool
    interests: list[int] = Field(description="Category ids picked at onboarding.")


class RecommendationPreferencesIn(InputSchema):
    is_personalised: bool | None = Field(
        None, description="Personalised recommendations on or off; left out: unchanged."
    )
    interests: list[Annotated[int, Field(ge=1)]] | None = Field(
        None, max_length=INTERESTS_MAX, description="Category ids; left out: unchanged."
    )


class RecommendationClickIn(InputSchema):
    list_id: str = Field(min_length=32, max_length=36, description="`list_id` of the list.")
    position: int = Field(ge=0, le=OFFSET_MAX + LIMIT_MAX)
    object_id: int = Field(ge=1)
