"""Live rooms API (mounted at /api/v1/live): room lists and details for anyone; creating and
running a room for its host (or staff); live coupons, flash deals, pins and announcements; the
room's message log after a sequence number (replay, clients without websockets)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Status

from circlemart.core.pagination import PageLimit
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.live.contracts import Section
from circlemart.live.schemas import (
    AnnouncementIn,
    CouponClaimedOut,
    CouponCreatedOut,
    CouponIn,
    FlashCreatedOut,
    FlashIn,
    MessagePageOut,
    PinIn,
    ReplayIn,
    RoomCreatedOut,
    RoomIn,
    RoomListOut,
    RoomOut,
    RoomPatchIn,
    log_message_out,
)
from circlemart.live.selectors import rooms as selectors
from circlemart.live.services import deals, rooms

router = Router(tags=["live"])


def _room(request: HttpRequest, room_id: int) -> dict[str, Any]:
    view = selectors.room_detail(room_id=room_id, viewer_id=viewer_id(request))
    return dataclasses.asdict(view)


@router.get("/rooms", response=RoomListOut, auth=None, summary="Live now, upcoming or replays")
def room_list(
    request: HttpRequest,
    section: Section = Section.LIVE,
    host_id: int | None = None,
    limit: PageLimit = None,
) -> dict[str, Any]:
    return {
        "items": selectors.rooms_list(section=section.value, limit=limit or 20, host_id=host_id)
    }


@router.get("/rooms/{room_id}", response=RoomOut, auth=None, summary="A room as you see it")
def room_detail(request: HttpRequest, room_id: int) -> dict[str, Any]:
    return _room(request, room_id)


@router.post("/rooms", response={201: RoomCreatedOut}, summary="Schedule a room")
def room_create(request: HttpRequest, payload: RoomIn) -> Status[Any]:
    room_id = rooms.room_create(host_id=signed_in_id(request), **payload.dict())
    return Status(201, {"id": room_id})


@router.patch("/rooms/{room_id}", response=RoomOut, summary="Change a room's plan")
def room_update(request: HttpRequest, room_id: int, payload: RoomPatchIn) -> dict[str, Any]:
    changes = payload.dict(exclude_unset=True)
    rooms.room_update(actor_id=signed_in_id(request), room_id=room_id, **changes)
    return _room(request, room_id)


@router.post("/rooms/{room_id}/start", response=RoomOut, summary="Go live")
def room_start(request: HttpRequest, room_id: int) -> dict[str, Any]:
    rooms.room_start(actor_id=signed_in_id(request), room_id=room_id)
    return _room(request, room_id)


@router.post("/rooms/{room_id}/pause", response=RoomOut, summary="Pause the live room")
def room_pause(request: HttpRequest, room_id: int) -> dict[str, Any]:
    rooms.room_pause(actor_id=signed_in_id(request), room_id=room_id)
    return _room(request, room_id)


@router.post("/rooms/{room_id}/resume", response=RoomOut, summary="Resume a paused room")
def room_resume(request: HttpRequest, room_id: int) -> dict[str, Any]:
    rooms.room_resume(actor_id=signed_in_id(request), room_id=room_id)
    return _room(request, room_id)


@router.post("/rooms/{room_id}/end", response=RoomOut, summary="End the live room")
def room_end(request: HttpRequest, room_id: int) -> dict[str, Any]:
    rooms.room_end(actor_id=signed_in_id(request), room_id=room_id)
    return _room(request, room_id)


@router.post("/rooms/{room_id}/replay", response=RoomOut, summary="Publish the replay")
def room_replay(request: HttpRequest, room_id: int, payload: ReplayIn) -> dict[str, Any]:
    rooms.room_publish_replay(
        actor_id=signed_in_id(request), room_id=room_id, replay_url=payload.replay_url
    )
    return _room(request, room_id)


@router.post("/rooms/{room_id}/pin", response=RoomOut, summary="Pin (or unpin) a product")
def room_pin(request: HttpRequest, room_id: int, payload: PinIn) -> dict[str, Any]:
    deals.room_pin_product(
        actor_id=signed_in_id(request), room_id=room_id, product_id=payload.product_id
    )
    return _room(request, room_id)


@router.post(
    "/rooms/{room_id}/coupons", response={201: CouponCreatedOut}, summary="Create a live coupon"
)
def coupon_create(request: HttpRequest, room_id: int, payload: CouponIn) -> Status[Any]:
    template_id = deals.room_coupon_create(
        actor_id=signed_in_id(request), room_id=room_id, **payload.dict()
    )
    return Status(201, {"template_id": template_id})


@router.post(
    "/rooms/{room_id}/coupons/{template_id}/drop",
    response=RoomOut,
    summary="Drop a live coupon into the room",
)
def coupon_drop(request: HttpRequest, room_id: int, template_id: int) -> dict[str, Any]:
    deals.room_coupon_drop(
        actor_id=signed_in_id(request), room_id=room_id, coupon_template_id=template_id
    )
    return _room(request, room_id)


@router.post(
    "/rooms/{room_id}/coupons/{template_id}/claim",
    response={201: CouponClaimedOut},
    summary="Claim a live coupon",
)
def coupon_claim(request: HttpRequest, room_id: int, template_id: int) -> Status[Any]:
    ref = deals.room_coupon_claim(
        user_id=signed_in_id(request), room_id=room_id, coupon_template_id=template_id
    )
    return Status(201, dataclasses.asdict(ref))


@router.post(
    "/rooms/{room_id}/flash", response={201: FlashCreatedOut}, summary="Start an in-room flash deal"
)
def flash_start(request: HttpRequest, room_id: int, payload: FlashIn) -> Status[Any]:
    item_id = deals.room_flash_start(
        actor_id=signed_in_id(request), room_id=room_id, **payload.dict()
    )
    return Status(201, {"item_id": item_id})


@router.post("/rooms/{room_id}/announcements", response={204: None}, summary="Announce to the room")
def announce(request: HttpRequest, room_id: int, payload: AnnouncementIn) -> Status[None]:
    deals.room_announce(actor_id=signed_in_id(request), room_id=room_id, text=payload.text)
    return Status(204, None)


@router.get(
    "/rooms/{room_id}/messages",
    response=MessagePageOut,
    auth=None,
    summary="The room's message log after a sequence number",
)
def messages(
    request: HttpRequest, room_id: int, after_seq: int = 0, limit: PageLimit = None
) -> dict[str, Any]:
    bounded = limit or settings.API_PAGE_SIZE_MAX
    rows = selectors.room_messages(room_id=room_id, after_seq=max(after_seq, 0), limit=bounded)
    return {
        "items": [log_message_out(row) for row in rows],
        "last_seq": rows[-1].seq if rows else max(after_seq, 0),
        "has_more": len(rows) == bounded,
    }
