"""Characters refused at the edge: NUL (PostgreSQL text cannot hold it) and lone UTF-16
surrogates (no UTF-8 encoding exists for them). Each finder names where the first one sits."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import Resolver404, resolve

FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
# What a JSON body must contain before its decoded strings can hold a forbidden character: a
# NUL byte (raw, or any UTF-16/32 body), a \u0000 or \uD800–\uDFFF escape, or the UTF-8 bytes
# of a surrogate (json.loads decodes bytes with "surrogatepass"). Most bodies have none of
# these, so they are never parsed twice.
_SUSPECT_JSON = re.compile(rb"\x00|\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]")
JSON_MEDIA_TYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json$")
FORM_MEDIA_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def is_forbidden(text: str) -> bool:
    return FORBIDDEN.search(text) is not None


def is_json_media_type(content_type: str) -> bool:
    """application/json and the structured-syntax types built on it (application/*+json)."""
    return JSON_MEDIA_TYPE.match(content_type.strip().lower()) is not None


def path_field(request: HttpRequest) -> str:
    """The URL parameter holding the forbidden character, else "path"."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return "path"
    for name, value in match.kwargs.items():
        if isinstance(value, str) and is_forbidden(value):
            return name
    return "path"


def pairs_field(pairs: Iterable[tuple[str, list[Any]]], *, location: str) -> str | None:
    """The first key whose name or values hold a forbidden character (`location` when the
    name itself is the culprit: it cannot be shown back)."""
    for key, values in pairs:
        if is_forbidden(key):
            return location
        if any(isinstance(value, str) and is_forbidden(value) for value in values):
            return key
    return None


def json_field(body: bytes) -> str | None:
    """The dotted path ("address.city", "items.0.note") of the first JSON string, key or
    value, holding a forbidden character; None when there is none or the body is not JSON
    (the API then answers invalid_json itself)."""
    if not _SUSPECT_JSON.search(body):
        return None
    try:
        document = json.loads(body)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None
    location = _json_location(document, ())
    if location is None:
        return None
    return ".".join(location) or "body"


def _json_location(value: Any, here: tuple[str, ...]) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return here if is_forbidden(value) else None
    children: Iterable[tuple[str, Any]]
    if isinstance(value, Mapping):
        for key in value:
            if is_forbidden(key):
                return here
        children = value.items()
    elif isinstance(value, list):
        children = ((str(index), item) for index, item in enumerate(value))
    else:
        return None
    for key, child in children:
        found = _json_location(child, (*here, key))
        if found is not None:
            return found
    return None


def header_field(meta: Mapping[str, Any]) -> str | None:
    """The request header (as the client spelled it, roughly) holding a forbidden character.
    Cookies are judged one by one instead, so the Cookie header itself is skipped."""
    for key, value in meta.items():
        if not isinstance(value, str) or key == "HTTP_COOKIE":
            continue
        is_header = key.startswith("HTTP_") or key in {"CONTENT_TYPE", "CONTENT_LENGTH"}
        if is_header and is_forbidden(value):
            return key.removeprefix("HTTP_").replace("_", "-").title()
    return None


def forbidden_field(request: HttpRequest) -> str | None:
    """Where the request carries a forbidden character — URL path, query string, headers,
    cookies, form or multipart fields, JSON body — named as the caller knows it; else None.

    Reading a form body here is what CsrfViewMiddleware does anyway; a multipart body is read
    through request.POST (never request.body, which would hold a large upload in memory)."""
    if is_forbidden(request.path_info):
        return path_field(request)
    found = pairs_field(request.GET.lists(), location="query")
    found = found or header_field(request.META)
    found = found or pairs_field(((k, [v]) for k, v in request.COOKIES.items()), location="Cookie")
    if found:
        return found
    content_type = request.content_type or ""
    if content_type in FORM_MEDIA_TYPES:
        if request.method != "POST":
            return None  # Django parses form bodies of POST requests only
        if _fits_in_memory(request):
            # Read the raw body first: the form is then parsed from it, and request.body
            # stays readable for whoever needs it later (idempotency fingerprints, webhooks).
            request.body  # noqa: B018
        found = pairs_field(request.POST.lists(), location="body")
        return found or pairs_field(((k, []) for k in request.FILES), location="body")
    if is_json_media_type(content_type):
        return json_field(request.body)
    return None


def _fits_in_memory(request: HttpRequest) -> bool:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return limit is None or length <= limit
