"""Promotions API (mounted by circlemart.config.api)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["promotions"])
