"""Analytics API (mounted by circlemart.config.api at /api/v1/events): the browser's event
batches, sent by track.js with navigator.sendBeacon or fetch(keepalive).

Why the body is read here and not by ninja: sendBeacon sends a string as text/plain, so this
one endpoint accepts text/plain as well as application/json (every other JSON endpoint
answers 415 to text/plain, core.problems).

Why there is no CSRF token: sendBeacon cannot send one. The endpoint only appends analytics
rows about the caller's own browser, and a forged cross-site request is refused by its Origin
(or, without one, its Referer): a browser always sends Origin on a POST, and it must name one
of ALLOWED_HOSTS or this host. Callers without either header are not browsers and carry no
victim's cookies (SameSite=Lax keeps them off cross-site POSTs anyway).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _
from ninja import Router
from pydantic import ValidationError

from circlemart.analytics.contracts import EventRecord
from circlemart.analytics.schemas import EventBatchIn, EventBatchOut
from circlemart.analytics.tracking import consent, services
from circlemart.analytics.tracking.errors import (
    CROSS_ORIGIN,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from circlemart.analytics.tracking.middleware import (
    ANONYMOUS_COOKIE,
    VISIT_COOKIE,
    VISIT_COOKIE_MAX_AGE,
    own_hosts,
    valid_anonymous_id,
)
from circlemart.analytics.tracking.sources import SourceInfo, host_of, source_classify
from circlemart.core import clock, ratelimit
from circlemart.core.errors import PermissionDenied, ValidationFailed
from circlemart.core.input_characters import json_field
from circlemart.core.web import viewer_id

router = Router(tags=["analytics"])

ACCEPTED_MEDIA_TYPES = frozenset({"application/json", "text/plain"})


def _batch_schema() -> dict[str, Any]:
    """The batch's JSON schema with the event schema inlined (the body is read by hand, so
    ninja does not register its models under components)."""
    schema = EventBatchIn.model_json_schema()
    definitions = schema.pop("$defs")
    schema["properties"]["events"]["items"] = definitions["ClientEventIn"]
    return schema


_BATCH_SCHEMA = _batch_schema()


def _check_origin(request: HttpRequest) -> None:
    origin = request.headers.get("Origin", "")
    claimed = origin if origin and origin != "null" else request.headers.get("Referer", "")
    if not claimed and not origin:
        return
    host = host_of(claimed)
    if not host or host not in own_hosts(request):
        raise PermissionDenied(
            _("Events are accepted from this site's own pages only."),
            code=CROSS_ORIGIN,
            field="Origin",
        )


def _field_of(location: tuple[int | str, ...]) -> str:
    field = ""
    for part in location:
        if isinstance(part, int):
            field += f"[{part}]"
        else:
            field += f".{part}" if field else str(part)
    return field or "body"


def _read_batch(request: HttpRequest) -> EventBatchIn:
    media_type = (request.content_type or "").lower()
    if media_type not in ACCEPTED_MEDIA_TYPES:
        raise UnsupportedMediaType(
            _("Send the batch as application/json or text/plain."), field="Content-Type"
        )
    body = request.body
    if len(body) > settings.ANALYTICS_MAX_BATCH_BYTES:
        raise PayloadTooLarge(
            _("The batch is larger than %(bytes)d bytes.")
            % {"bytes": settings.ANALYTICS_MAX_BATCH_BYTES},
            field="body",
        )
    forbidden = json_field(body)
    if forbidden is not None:
        raise ValidationFailed(
            _("This value contains a character that is not allowed (NUL or a lone surrogate)."),
            code="invalid_characters",
            field=forbidden,
        )
    try:
        document = json.loads(body)
    except ValueError:
        raise ValidationFailed(
            _("The request body is not valid JSON."), code="invalid_json", field="body"
        ) from None
    if not isinstance(document, dict):
        raise ValidationFailed(_("The request body must be a JSON object."), field="body")
    events = document.get("events")
    if isinstance(events, list) and len(events) > settings.ANALYTICS_MAX_BATCH_EVENTS:
        raise PayloadTooLarge(
            _("A batch holds at most %(count)d events.")
            % {"count": settings.ANALYTICS_MAX_BATCH_EVENTS},
            field="events",
        )
    try:
        return EventBatchIn.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        message = str(_("This field is required.")) if first["type"] == "missing" else first["msg"]
        raise ValidationFailed(message, field=_field_of(tuple(first["loc"]))) from None


def _first_page_source(batch: EventBatchIn, request: HttpRequest) -> tuple[SourceInfo, str]:
    """A visit that starts at the endpoint (the page stayed open past the idle limit, or no
    page load carried the cookie) is classified by the batch's first page_view."""
    for event in batch.events:
        if event.name == "page_view":
            path = str(event.properties.get("path", ""))
            query = QueryDict(path.partition("?")[2]).dict()
            source = source_classify(
                query=query,
                referrer=str(event.properties.get("referrer", "")),
                own_hosts=own_hosts(request),
            )
            return source, path
    return SourceInfo(source="direct"), ""


@router.post(
    "",
    auth=None,
    response=EventBatchOut,
    summary="Record a batch of browser events (sendBeacon)",
    description=(
        "Accepts `application/json` or `text/plain` (sendBeacon). A batch over "
        "ANALYTICS_MAX_BATCH_EVENTS events or ANALYTICS_MAX_BATCH_BYTES bytes is refused with "
        "413 `too_large` naming `events` or `body`; an invalid event with 400 naming "
        "`events[i].<field>`; nothing of a refused batch is stored. Without tracking consent, "
        "or from a bot, events are counted as `ignored` and not stored."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _BATCH_SCHEMA},
                "text/plain": {"schema": _BATCH_SCHEMA},
            },
        },
    },
)
def events_post(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    _check_origin(request)
    ratelimit.hit(
        f"analytics:events:ip:{ratelimit.client_ip(request)}",
        limit=settings.ANALYTICS_EVENTS_PER_IP_PER_MINUTE,
        window=60,
    )
    batch = _read_batch(request)
    user_id = viewer_id(request)
    anonymous_id = request.COOKIES.get(ANONYMOUS_COOKIE, "")
    if not valid_anonymous_id(anonymous_id):
        anonymous_id = batch.anonymous_id if valid_anonymous_id(batch.anonymous_id) else ""
    allowed = consent.request_tracking_allowed(request, look_up=True)
    session_id = ""
    if allowed and anonymous_id:
        now = clock.now()
        source, landing = _first_page_source(batch, request)
        cookie = request.COOKIES.get(VISIT_COOKIE, "")
        if not cookie and batch.session_id:
            cookie = services.visit_cookie_for(
                session_id=batch.session_id, anonymous_id=anonymous_id
            )
        visit = services.visit_resolve(
            cookie_value=cookie,
            anonymous_id=anonymous_id,
            user_id=user_id,
            now=now,
            source=source,
            landing_path=landing,
            user_agent=request.headers.get("User-Agent", ""),
        )
        session_id = visit.session_id
        response.set_cookie(
            VISIT_COOKIE,
            services.visit_cookie_value(visit),
            max_age=VISIT_COOKIE_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    records = [
        EventRecord(
            name=event.name,
            origin="client",
            occurred_at=event.occurred_at,
            event_id=event.event_id,
            user_id=user_id,
            anonymous_id=anonymous_id,
            session_id=session_id,
            object_id=str(event.object_id),
            amount=event.amount,
            properties=dict(event.properties),
        )
        for event in batch.events
    ]
    result = services.client_events_record(
        records=records,
        session_id=session_id,
        anonymous_id=anonymous_id,
        user_agent=request.headers.get("User-Agent", ""),
        allowed=allowed,
    )
    return {"stored": result.stored, "duplicates": result.duplicates, "ignored": result.ignored}
