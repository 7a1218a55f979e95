"""Writes for a room's chat and its websocket: posting a message (filter, mute, slow mode, rate
limit), moderation (delete, mute, kick, slow mode, announce), likes and viewer sessions."""

from __future__ import annotations

import math
import time
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from circlemart.live.models import MessageKind, Room, RoomMessage, RoomMute, ViewerSession
from circlemart.live.realtime import broadcast
from circlemart.live.selectors import chat as chat_selectors
from circlemart.live.services.deals import room_announce
from circlemart.moderation import services as moderation
from circlemart.moderation.contracts import Action, ScreenResult

CHAT_MAX_CHARS = 200
MUTE_REASON_MAX_CHARS = 120
MUTE_MAX_MINUTES = 7 * 24 * 60
SLOW_MODE_MAX_SECONDS = 300
# Per user per room: at most RATE_LIMIT_MESSAGES chat messages in RATE_LIMIT_WINDOW seconds.
RATE_LIMIT_MESSAGES = 5
RATE_LIMIT_WINDOW = 10
LIKES_MAX_PER_FRAME = 50
# Kinds beyond MessageKind's choices that the log also carries.
SLOW_MODE_KIND = "slow_mode"
KICK_CLOSE_CODE = 4403


# --- checks ----------------------------------------------------------------------------------


def _room_or_404(room_id: int) -> chat_selectors.RoomSnapshot:
    room = chat_selectors.room_snapshot(room_id=room_id)
    if room is None:
        raise NotFound(_("Live room not found."), code="room_not_found", field="room_id")
    return room


def moderator_check(*, room_id: int, actor_id: int | None) -> str:
    """The actor's role in the room if they may moderate it; otherwise PermissionDenied."""
    role = chat_selectors.chat_role(room_id=room_id, user_id=actor_id)
    if not chat_selectors.is_moderator_role(role):
        raise PermissionDenied(
            _("Only the host and the room's moderators can do that."), code="forbidden"
        )
    return role


def _clean_text(text: str, *, field: str = "text") -> ScreenResult:
    cleaned = moderation.sanitize_text(text)
    if not 1 <= len(cleaned) <= CHAT_MAX_CHARS:
        raise ValidationFailed(
            _("Write between 1 and %(max)d characters.") % {"max": CHAT_MAX_CHARS},
            code="invalid_text",
            field=field,
        )
    screened = moderation.text_screen(text=cleaned, field=field)
    # A live message cannot wait for a reviewer: "review" words are refused like "block" ones.
    if screened.action in (Action.BLOCK, Action.REVIEW):
        raise ValidationFailed(
            _("This message contains words that are not allowed."),
            code="sensitive_content",
            field=field,
        )
    return screened


def _muted_error(mute: chat_selectors.MuteView) -> PermissionDenied:
    reason = mute.reason or _("no reason given")
    if mute.until is None:
        message = _("You are muted in this room. Reason: %(reason)s") % {"reason": reason}
    else:
        message = _("You are muted in this room until %(until)s. Reason: %(reason)s") % {
            "reason": reason,
            "until": mute.until.strftime("%H:%M"),
        }
    return PermissionDenied(message, code="muted", extra=mute.as_frame_data())


def _slow_mode_take(*, room_id: int, user_id: int, seconds: int) -> None:
    key = f"live:slow:{room_id}:{user_id}"
    now = time.time()
    if cache.add(key, now, timeout=seconds):
        return
    last = cache.get(key)
    retry_after = max(1, math.ceil((last if isinstance(last, float) else now) + seconds - now))
    raise RateLimited(
        _("Slow mode is on: one message every %(seconds)d seconds.") % {"seconds": seconds},
        code="slow_mode",
        retry_after=retry_after,
    )


def _rate_take(*, room_id: int, user_id: int) -> None:
    """Fixed window of RATE_LIMIT_WINDOW seconds, shared through the cache."""
    key = f"live:rate:{room_id}:{user_id}"
    now = time.time()
    cache.add(f"{key}:start", now, timeout=RATE_LIMIT_WINDOW)
    cache.add(key, 0, timeout=RATE_LIMIT_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # the window expired between add and incr
        cache.set(key, 1, timeout=RATE_LIMIT_WINDOW)
        count = 1
    if count > RATE_LIMIT_MESSAGES:
        start = cache.get(f"{key}:start")
        started = start if isinstance(start, float) else now
        raise RateLimited(
            _("You are sending messages too fast."),
            code="rate_limited",
            retry_after=max(1, math.ceil(started + RATE_LIMIT_WINDOW - now)),
        )


# --- chat ------------------------------------------------------------------------------------


def chat_post(*, room_id: int, user_id: int | None, text: str) -> dict[str, Any]:
    """Post a chat message: screened, rate-limited, logged and broadcast. Returns the frame."""
    if user_id is None:
        raise NotAuthenticated(_("Sign in to chat."), code="sign_in_required")
    room = _room_or_404(room_id)
    if room.state not in chat_selectors.CHAT_OPEN_STATES:
        raise Conflict(_("This live room has ended."), code="room_closed")
    role = chat_selectors.chat_role(room_id=room_id, user_id=user_id)
    is_moderator = chat_selectors.is_moderator_role(role)
    if not is_moderator:
        mute = chat_selectors.active_mute(room_id=room_id, user_id=user_id)
        if mute is not None:
            raise _muted_error(mute)
    screened = _clean_text(text)
    if not is_moderator:
        if room.slow_mode_seconds:
            _slow_mode_take(room_id=room_id, user_id=user_id, seconds=room.slow_mode_seconds)
        _rate_take(room_id=room_id, user_id=user_id)
    name, avatar_url = chat_selectors.display_name(user_id=user_id)
    payload = {
        "user": {"id": user_id, "name": name, "avatar_url": avatar_url},
        "text": screened.text,
        "masked": screened.action == Action.MASK,
    }
    return broadcast.publish(
        room_id=room_id, kind=MessageKind.CHAT, payload=payload, user_id=user_id
    )


def chat_delete(*, actor_id: int | None, room_id: int, seq: int) -> dict[str, Any] | None:
    """Hide a chat message from the log and tell every viewer (None if it was already gone)."""
    _room_or_404(room_id)
    moderator_check(room_id=room_id, actor_id=actor_id)
    with transaction.atomic():
        messages = RoomMessage.objects.filter(room_id=room_id, sequence=seq, kind=MessageKind.CHAT)
        if not messages.filter(is_deleted=False).update(is_deleted=True):
            if messages.exists():
                return None  # deleted already: nothing new to tell
            raise NotFound(_("There is no such message."), code="not_found", field="seq")
        return broadcast.publish(
            room_id=room_id, kind=MessageKind.DELETE, payload={"seq": seq}, user_id=actor_id
        )


def chat_announce(*, actor_id: int | None, room_id: int, text: str) -> None:
    """An announcement in the room: deals.room_announce (its checks, word filter, frame)."""
    _room_or_404(room_id)
    moderator_check(room_id=room_id, actor_id=actor_id)
    room_announce(actor_id=actor_id or 0, room_id=room_id, text=text)


# --- mutes and kicks -------------------------------------------------------------------------


def _target_check(*, room_id: int, user_id: int) -> None:
    if not get_user_model().objects.filter(pk=user_id).exists():
        raise NotFound(_("There is no such user."), code="not_found", field="user_id")
    if chat_selectors.is_moderator_role(chat_selectors.chat_role(room_id=room_id, user_id=user_id)):
        raise PermissionDenied(
            _("The host and the room's moderators cannot be muted."), code="forbidden"
        )


def _clean_reason(reason: str) -> str:
    cleaned = moderation.sanitize_text(reason)
    if len(cleaned) > MUTE_REASON_MAX_CHARS:
        raise ValidationFailed(
            _("Write at most %(max)d characters.") % {"max": MUTE_REASON_MAX_CHARS},
            code="invalid",
            field="reason",
        )
    return cleaned


def user_mute(
    *, actor_id: int | None, room_id: int, user_id: int, reason: str, minutes: int | None = None
) -> chat_selectors.MuteView:
    """Silence a viewer in the room (for `minutes`, or for the rest of the room)."""
    _room_or_404(room_id)
    moderator_check(room_id=room_id, actor_id=actor_id)
    _target_check(room_id=room_id, user_id=user_id)
    reason = _clean_reason(reason)
    if minutes is not None and not 1 <= minutes <= MUTE_MAX_MINUTES:
        raise ValidationFailed(
            _("Mute for 1 to %(max)d minutes.") % {"max": MUTE_MAX_MINUTES},
            code="invalid",
            field="minutes",
        )
    until = clock.now() + timedelta(minutes=minutes) if minutes else None
    mute = chat_selectors.MuteView(reason=reason, until=until, is_kicked=False)
    with transaction.atomic():
        RoomMute.objects.update_or_create(
            room_id=room_id,
            user_id=user_id,
            defaults={
                "muted_by_id": actor_id,
                "reason": reason,
                "is_kicked": False,
                "until": until,
            },
        )
        broadcast.publish(
            room_id=room_id,
            kind=MessageKind.MUTE,
            payload={"user_id": user_id, "until": mute.as_frame_data()["until"], "kicked": False},
            user_id=actor_id,
        )
        frame = {"type": "muted", "data": mute.as_frame_data()}
        transaction.on_commit(lambda: broadcast.send_to_user(room_id, user_id, frame))
    return mute


def user_kick(*, actor_id: int | None, room_id: int, user_id: int, reason: str) -> None:
    """Send a viewer out of the room: their sockets close (4403) and they cannot come back
    until a moderator lifts it (user_unmute)."""
    _room_or_404(room_id)
    moderator_check(room_id=room_id, actor_id=actor_id)
    _target_check(room_id=room_id, user_id=user_id)
    reason = _clean_reason(reason)
    with transaction.atomic():
        RoomMute.objects.update_or_create(
            room_id=room_id,
            user_id=user_id,
            defaults={"muted_by_id": actor_id, "reason": reason, "is_kicked": True, "until": None},
        )
        broadcast.publish(
            room_id=room_id,
            kind=MessageKind.MUTE,
            payload={"user_id": user_id, "until": None, "kicked": True},
            user_id=actor_id,
        )
        # The consumer words the notice in its viewer's language from the reason.
        frame = {"type": "kicked", "data": {"reason": reason}}
        transaction.on_commit(
            lambda: broadcast.close_user(room_id, user_id, frame=frame, code=KICK_CLOSE_CODE)
        )


def user_unmute(*, actor_id: int | None, room_id: int, user_id: int) -> bool:
    """Lift a mute or a kick. True if there was one."""
    _room_or_404(room_id)
    moderator_check(room_id=room_id, actor_id=actor_id)
    with transaction.atomic():
        deleted, _rows = RoomMute.objects.filter(room_id=room_id, user_id=user_id).delete()
        if deleted:
            frame: dict[str, Any] = {"type": "unmuted", "data": {}}
            transaction.on_commit(lambda: broadcast.send_to_user(room_id, user_id, frame))
    return bool(deleted)


def room_slow_mode_set(*, actor_id: int | None, room_id: int, seconds: int) -> dict[str, Any]:
    """One message per `seconds` per viewer (0: off); every viewer is told."""
    _room_or_404(room_id)
    moderator_check(room_id=room_id, actor_id=actor_id)
    if not 0 <= seconds <= SLOW_MODE_MAX_SECONDS:
        raise ValidationFailed(
            _("Slow mode takes 0 to %(max)d seconds.") % {"max": SLOW_MODE_MAX_SECONDS},
            code="invalid",
            field="seconds",
        )
    with transaction.atomic():
        Room.objects.filter(pk=room_id).update(slow_mode_seconds=seconds)
        return broadcast.publish(
            room_id=room_id, kind=SLOW_MODE_KIND, payload={"seconds": seconds}, user_id=actor_id
        )


# --- likes and viewers -----------------------------------------------------------------------


def room_likes_add(*, room_id: int, count: int) -> dict[str, Any] | None:
    """Add a batch of taps to the room's likes and broadcast one `likes` frame."""
    if count <= 0:
        return None
    with transaction.atomic():
        if not Room.objects.filter(pk=room_id).update(like_count=F("like_count") + count):
            return None  # the room is gone
        total = Room.objects.filter(pk=room_id).values_list("like_count", flat=True).get()
        return broadcast.publish(
            room_id=room_id, kind=MessageKind.LIKES, payload={"total": total, "delta": count}
        )


def viewer_session_open(*, room_id: int, user_id: int | None, visitor_key: str) -> int:
    """A connection joined the room: its session row; the room's peak kept up to date."""
    session = ViewerSession.objects.create(
        room_id=room_id, user_id=user_id, visitor_key=visitor_key[:64], joined_at=clock.now()
    )
    room_peak_record(room_id=room_id, viewers=chat_selectors.viewers_count(room_id=room_id))
    return session.pk


def viewer_session_close(*, session_id: int) -> None:
    ViewerSession.objects.filter(pk=session_id, left_at__isnull=True).update(left_at=clock.now())


def room_peak_record(*, room_id: int, viewers: int) -> None:
    # Conditional UPDATE: concurrent joins can only raise the peak, never lower it.
    Room.objects.filter(pk=room_id, peak_viewers__lt=viewers).update(peak_viewers=viewers)
