"""HTTP caching of anonymous reads: ETags from cache generations, 304s, Cache-Control."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified

from circlemart.core.cache import cached, stamp_of

PUBLIC_MAX_AGE = 30


def is_anonymous(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


def etag_for(key: str, stamp: str) -> str:
    digest = hashlib.sha256(f"{key}|{stamp}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def json_response(
    request: HttpRequest,
    *,
    key: str,
    depends_on: list[str],
    build: Callable[[], Any],
    status: int = 200,
) -> HttpResponse:
    """Serve JSON built by `build()`, cached per generation; anonymous callers get an ETag,
    a short public max-age and 304 when their copy is current."""
    anonymous = is_anonymous(request)
    language = getattr(request, "LANGUAGE_CODE", "")
    full_key = f"{key}|{language}"
    stamp = stamp_of(depends_on)
    etag = etag_for(full_key, stamp)
    if anonymous and request.headers.get("If-None-Match") == etag:
        not_modified = HttpResponseNotModified()
        not_modified["ETag"] = etag
        return not_modified
    body = cached(
        f"json:{full_key}",
        depends_on,
        lambda: json.dumps(build(), cls=DjangoJSONEncoder, ensure_ascii=False).encode(),
        stamp=stamp,
    )
    response = HttpResponse(body, status=status, content_type="application/json")
    response["ETag"] = etag
    response["Vary"] = "Accept-Language, Authorization, Cookie"
    response["Cache-Control"] = (
        f"public, max-age={PUBLIC_MAX_AGE}" if anonymous else "private, no-cache"
    )
    return response
