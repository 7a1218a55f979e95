"""Notifications API (mounted by circlemart.config.api): the caller's inbox, its unread
count, marking read, and per-kind preferences. Every endpoint needs a signed-in caller."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from circlemart.core.pagination import PageCursor, PageLimit, page_size
from circlemart.core.web import signed_in_id
from circlemart.notifications import selectors, services
from circlemart.notifications.schemas import (
    MarkedOut,
    NotificationPageOut,
    PreferenceOut,
    PreferencesIn,
    UnreadOut,
)

router = Router(tags=["notifications"])


@router.get("", response=NotificationPageOut, summary="My notifications, newest activity first")
def inbox(
    request: HttpRequest, cursor: PageCursor = None, limit: PageLimit = None
) -> dict[str, Any]:
    page = selectors.inbox_page(
        user_id=signed_in_id(request), cursor=cursor, limit=page_size(limit)
    )
    return dataclasses.asdict(page)


@router.get("/unread-count", response=UnreadOut, summary="How many groups are unread")
def unread(request: HttpRequest) -> dict[str, int]:
    return {"unread": selectors.unread_count(user_id=signed_in_id(request))}


@router.post("/{notification_id}/read", response={204: None}, summary="Mark one read")
def mark_read(request: HttpRequest, notification_id: int) -> Status[Any]:
    services.notification_mark_read(user_id=signed_in_id(request), notification_id=notification_id)
    return Status(204, None)


@router.post("/read-all", response=MarkedOut, summary="Mark everything read")
def mark_all_read(request: HttpRequest) -> dict[str, int]:
    return {"marked": services.notifications_mark_all_read(user_id=signed_in_id(request))}


@router.get("/preferences", response=list[PreferenceOut], summary="Kinds I receive")
def preference_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        dataclasses.asdict(item) for item in selectors.preferences(user_id=signed_in_id(request))
    ]


@router.patch(
    "/preferences",
    response=list[PreferenceOut],
    summary='Turn kinds on or off: {"note_like": false, "follow": true}',
)
def preference_update(request: HttpRequest, payload: PreferencesIn) -> list[dict[str, Any]]:
    changes = {kind: value for kind, value in payload.dict().items() if value is not None}
    views = services.preferences_set(user_id=signed_in_id(request), changes=changes)
    return [dataclasses.asdict(item) for item in views]
