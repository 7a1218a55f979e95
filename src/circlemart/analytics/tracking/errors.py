"""Error codes of client tracking."""

from __future__ import annotations

from circlemart.core.errors import DomainError

CROSS_ORIGIN = "cross_origin"
TOO_LARGE = "too_large"


class PayloadTooLarge(DomainError):
    status = 413
    code = TOO_LARGE


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
