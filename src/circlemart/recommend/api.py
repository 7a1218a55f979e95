"""The recommendations API (/api/v1/recommend/)."""

from ninja import Router

router = Router(tags=["recommend"])
