"""Room writes: create and schedule, change the plan while scheduled, and the state machine
scheduled → live → paused ↔ live → ended → replay.

Who may host: a user with the creator role, merchant staff, or an administrator (accounts
roles). Who may change a room: its host, or staff (merchant staff / administrators) for every
room; assistants moderate chat but do not change the room. Every state move is one conditional
UPDATE on the room (`WHERE state IN allowed`), a RoomTransition row with its actor and a
sequenced `state` frame (live.realtime.broadcast.publish), all in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circlemart.accounts import selectors as accounts
from circlemart.core import clock
from circlemart.core.errors import Conflict, PermissionDenied, ValidationFailed
from circlemart.core.events import publish as publish_event
from circlemart.live import errors, events
from circlemart.live.contracts import RoomProductCard, RoomRole
from circlemart.live.models import (
    MessageKind,
    Room,
    RoomAssistant,
    RoomProduct,
    RoomState,
    RoomTransition,
)
from circlemart.live.realtime.broadcast import publish
from circlemart.live.selectors import rooms as selectors
from circlemart.moderation import services as moderation
from circlemart.notifications import services as notifications
from circlemart.notifications.contracts import NotificationKind, TargetType
from circlemart.social import selectors as social

TITLE_MAX = 80
DESCRIPTION_MAX = 2000
VIDEO_URL_MAX = 500
MAX_PRODUCTS = 50
MAX_ASSISTANTS = 10

# Each move: the states it may start from, and the state it leads to.
MOVES: dict[str, tuple[tuple[RoomState, ...], RoomState]] = {
    "start": ((RoomState.SCHEDULED,), RoomState.LIVE),
    "pause": ((RoomState.LIVE,), RoomState.PAUSED),
    "resume": ((RoomState.PAUSED,), RoomState.LIVE),
    "end": ((RoomState.LIVE, RoomState.PAUSED), RoomState.ENDED),
    "publish_replay": ((RoomState.ENDED,), RoomState.REPLAY),
}


REMINDER_BEFORE = timedelta(minutes=15)
FOLLOWERS_PAGE = 500


def _after_commit(task_name: str, **kwargs: Any) -> None:
    """Enqueue `live.tasks.<task_name>` once the surrounding transaction commits."""

    def enqueue() -> None:
        from circlemart.live import tasks  # tasks import services: resolve at call time

        getattr(tasks, task_name).delay(**kwargs)

    transaction.on_commit(enqueue, robust=True)


# --- checks ----------------------------------------------------------------------------------


def room_for_manager(*, actor_id: int, room_id: int) -> Room:
    """The room if the actor is its host or staff: NotFound (unknown), PermissionDenied."""
    room = Room.objects.filter(pk=room_id).first()
    if room is None:
        raise selectors.room_not_found()
    if room.host_id != actor_id and not selectors.is_staff(actor_id):
        raise PermissionDenied(
            _("Only the room's host can do this."), code=errors.NOT_ROOM_HOST, field="room_id"
        )
    return room


def check_moderator(*, actor_id: int, room_id: int) -> RoomRole:
    """The actor's role if they moderate the room (host, assistant, staff)."""
    role = RoomRole(selectors.room_role(room_id=room_id, user_id=actor_id))
    if not role.is_moderator:
        raise PermissionDenied(
            _("Only the host and the room's assistants can do this."),
            code=errors.NOT_MODERATOR,
            field="room_id",
        )
    return role


def clean_title(title: str) -> str:
    title = moderation.sanitize_text(title or "").replace("\n", " ").strip()
    if not title:
        raise ValidationFailed(
            _("Give the room a title."), code=errors.INVALID_TITLE, field="title"
        )
    if len(title) > TITLE_MAX:
        raise ValidationFailed(
            _("The title is at most %(max)d characters.") % {"max": TITLE_MAX},
            code=errors.INVALID_TITLE,
            field="title",
        )
    moderation.text_check(text=title, field="title")
    return title


def clean_description(description: str) -> str:
    text = moderation.sanitize_text(description or "")
    if len(text) > DESCRIPTION_MAX:
        raise ValidationFailed(
            _("The description is at most %(max)d characters.") % {"max": DESCRIPTION_MAX},
            code=errors.INVALID_DESCRIPTION,
            field="description",
        )
    if text:
        moderation.text_check(text=text, field="description")
    return text


def clean_video_url(url: str, *, field: str = "video_url") -> str:
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or len(url) > VIDEO_URL_MAX
        or any(char.isspace() for char in url)
    ):
        raise ValidationFailed(
            _("Give an http or https address of an HLS, MP4 or WebM video."),
            code=errors.INVALID_VIDEO_URL,
            field=field,
        )
    return url


def clean_start(scheduled_start: datetime) -> datetime:
    """A future moment; a time without its zone is read in the site's time zone."""
    if timezone.is_naive(scheduled_start):
        scheduled_start = timezone.make_aware(scheduled_start)
    if scheduled_start <= clock.now():
        raise ValidationFailed(
            _("The start time must be in the future."),
            code=errors.START_IN_PAST,
            field="scheduled_start",
        )
    return scheduled_start


def clean_product_ids(product_ids: Iterable[int]) -> list[int]:
    """Distinct ids in the given order; every one an on-sale product; at most 50."""
    ids = list(dict.fromkeys(int(value) for value in product_ids))
    if len(ids) > MAX_PRODUCTS:
        raise ValidationFailed(
            _("A room lists at most %(max)d products.") % {"max": MAX_PRODUCTS},
            code=errors.TOO_MANY_PRODUCTS,
            field="product_ids",
        )
    on_sale = {card.product_id for card in selectors.product_cards(ids)}
    missing = [value for value in ids if value not in on_sale]
    if missing:
        raise ValidationFailed(
            _("Product %(id)d does not exist or is not on sale.") % {"id": missing[0]},
            code=errors.PRODUCT_NOT_AVAILABLE,
            field="product_ids",
            extra={"product_id": missing[0]},
        )
    return ids


def clean_assistant_ids(assistant_ids: Iterable[int], *, host_id: int) -> list[int]:
    ids = [value for value in dict.fromkeys(int(v) for v in assistant_ids) if value != host_id]
    if len(ids) > MAX_ASSISTANTS:
        raise ValidationFailed(
            _("A room has at most %(max)d assistants.") % {"max": MAX_ASSISTANTS},
            code=errors.TOO_MANY_ASSISTANTS,
            field="assistant_ids",
        )
    known = accounts.user_cards(ids)
    missing = [value for value in ids if value not in known]
    if missing:
        raise ValidationFailed(
            _("User %(id)d does not exist.") % {"id": missing[0]},
            code=errors.ASSISTANT_NOT_FOUND,
            field="assistant_ids",
            extra={"user_id": missing[0]},
        )
    return ids


def _set_products(room_id: int, product_ids: Sequence[int]) -> None:
    RoomProduct.objects.filter(room_id=room_id).exclude(product_id__in=product_ids).delete()
    existing = set(RoomProduct.objects.filter(room_id=room_id).values_list("product_id", flat=True))
    RoomProduct.objects.bulk_create(
        [
            RoomProduct(room_id=room_id, product_id=product_id, position=position)
            for position, product_id in enumerate(product_ids)
            if product_id not in existing
        ]
    )
    for position, product_id in enumerate(product_ids):
        if product_id in existing:
            RoomProduct.objects.filter(room_id=room_id, product_id=product_id).update(
                position=position
            )


def _set_assistants(room_id: int, assistant_ids: Sequence[int]) -> None:
    RoomAssistant.objects.filter(room_id=room_id).exclude(user_id__in=assistant_ids).delete()
    RoomAssistant.objects.bulk_create(
        [RoomAssistant(room_id=room_id, user_id=user_id) for user_id in assistant_ids],
        ignore_conflicts=True,
    )


def pin_locked(room: Room, *, product: RoomProductCard | None, actor_id: int | None) -> None:
    """Pin (or unpin, product None) on a room row locked by the caller; a `pin` frame."""
    room.pinned_product_id = product.product_id if product else None
    room.pinned_at = clock.now() if product else None
    room.save(update_fields=["pinned_product_id", "pinned_at", "updated_at"])
    publish(
        room_id=room.pk,
        kind=MessageKind.PIN,
        payload={"product": product.as_payload() if product else None},
        user_id=actor_id,
    )


# --- create and plan -------------------------------------------------------------------------


def room_create(
    *,
    host_id: int,
    title: str,
    scheduled_start: datetime,
    description: str = "",
    video_url: str = "",
    cover: File[Any] | None = None,
    product_ids: Iterable[int] = (),
    assistant_ids: Iterable[int] = (),
) -> int:
    """Schedule a room; its id. Refusals: PermissionDenied may_not_host, ValidationFailed
    naming the field (title, description, video_url, scheduled_start, product_ids,
    assistant_ids)."""
    if not selectors.may_host(host_id):
        raise PermissionDenied(
            _("Only creators and merchant staff can host live rooms."),
            code=errors.MAY_NOT_HOST,
            field="host_id",
        )
    values = {
        "title": clean_title(title),
        "description": clean_description(description),
        "video_url": clean_video_url(video_url),
        "scheduled_start": clean_start(scheduled_start),
    }
    products = clean_product_ids(product_ids)
    assistants = clean_assistant_ids(assistant_ids, host_id=host_id)
    with transaction.atomic():
        room = Room(host_id=host_id, state=RoomState.SCHEDULED, **values)
        if cover is not None:
            room.cover.save(getattr(cover, "name", "") or "cover.jpg", cover, save=False)
        room.save()
        _set_products(room.pk, products)
        _set_assistants(room.pk, assistants)
    return room.pk


_UNSET: Any = object()


def room_update(
    *,
    actor_id: int,
    room_id: int,
    title: str | None = None,
    description: str | None = None,
    video_url: str | None = None,
    scheduled_start: datetime | None = None,
    cover: File[Any] | None = None,
    product_ids: Iterable[int] | None = None,
    assistant_ids: Iterable[int] | None = None,
) -> None:
    """Change what is given (None: unchanged). The plan (title, start, description, cover,
    assistants) changes only while scheduled (409 room_not_editable); the video address and
    the product list may change at any time before the room ends."""
    room = room_for_manager(actor_id=actor_id, room_id=room_id)
    plan_fields = (title, description, scheduled_start, cover, assistant_ids)
    if room.state != RoomState.SCHEDULED and any(value is not None for value in plan_fields):
        raise Conflict(
            _("Only a scheduled room can change its plan."),
            code=errors.NOT_EDITABLE,
            field="state",
        )
    if room.state in (RoomState.ENDED, RoomState.REPLAY) and (
        video_url is not None or product_ids is not None
    ):
        raise Conflict(_("This room has ended."), code=errors.NOT_EDITABLE, field="state")
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = clean_title(title)
    if description is not None:
        changes["description"] = clean_description(description)
    if video_url is not None:
        changes["video_url"] = clean_video_url(video_url)
    if scheduled_start is not None:
        changes["scheduled_start"] = clean_start(scheduled_start)
        changes["reminder_sent_at"] = None  # a new start time earns a new reminder
    products = clean_product_ids(product_ids) if product_ids is not None else None
    assistants = (
        clean_assistant_ids(assistant_ids, host_id=room.host_id)
        if assistant_ids is not None
        else None
    )
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(pk=room.pk)
        if locked.state != room.state:
            raise Conflict(
                _("The room changed meanwhile; try again."),
                code=errors.NOT_EDITABLE,
                field="state",
            )
        for name, value in changes.items():
            setattr(locked, name, value)
        if cover is not None:
            locked.cover.save(getattr(cover, "name", "") or "cover.jpg", cover, save=False)
            changes["cover"] = locked.cover
        if changes:
            locked.save(update_fields=[*changes, "updated_at"])
        if products is not None:
            _set_products(room.pk, products)
            if locked.pinned_product_id is not None and locked.pinned_product_id not in products:
                pin_locked(locked, product=None, actor_id=actor_id)
        if assistants is not None:
            _set_assistants(room.pk, assistants)


def room_products_set(*, actor_id: int, room_id: int, product_ids: Iterable[int]) -> None:
    """Replace the room's product list (order kept)."""
    room_update(actor_id=actor_id, room_id=room_id, product_ids=list(product_ids))


# --- the state machine -----------------------------------------------------------------------


def _move(*, actor_id: int, room_id: int, move: str, replay_url: str | None = None) -> Room:
    room = room_for_manager(actor_id=actor_id, room_id=room_id)
    allowed, target = MOVES[move]
    now = clock.now()
    with transaction.atomic():
        locked = Room.objects.select_for_update().get(pk=room.pk)
        if locked.state not in allowed:
            raise Conflict(
                _("Not possible while the room is “%(state)s”.")
                % {"state": RoomState(locked.state).label},
                code=errors.ILLEGAL_TRANSITION,
                field="state",
                extra={"state": locked.state, "to": target.value},
            )
        before = locked.state
        fields = ["state", "updated_at"]
        locked.state = target
        if target == RoomState.LIVE and locked.started_at is None:
            locked.started_at = now
            fields.append("started_at")
        if target == RoomState.ENDED:
            locked.ended_at = now
            fields.append("ended_at")
        if replay_url is not None:
            locked.replay_url = replay_url
            fields.append("replay_url")
        locked.save(update_fields=fields)
        RoomTransition.objects.create(
            room_id=locked.pk, from_state=before, to_state=target, actor_id=actor_id
        )
        publish_event(
            events.RoomStateChanged(
                room_id=locked.pk, from_state=before, to_state=target.value, actor_id=actor_id
            )
        )
        publish(
            room_id=locked.pk,
            kind=MessageKind.STATE,
            payload={"state": target.value, "from": before},
            user_id=actor_id,
        )
        if move == "start":
            _after_commit("notify_room_live", room_id=locked.pk)
    return locked


def room_start(*, actor_id: int, room_id: int) -> None:
    """scheduled → live (started_at set; followers told)."""
    _move(actor_id=actor_id, room_id=room_id, move="start")


def room_pause(*, actor_id: int, room_id: int) -> None:
    """live → paused."""
    _move(actor_id=actor_id, room_id=room_id, move="pause")


def room_resume(*, actor_id: int, room_id: int) -> None:
    """paused → live."""
    _move(actor_id=actor_id, room_id=room_id, move="resume")


def room_end(*, actor_id: int, room_id: int) -> None:
    """live or paused → ended (ended_at set)."""
    _move(actor_id=actor_id, room_id=room_id, move="end")


def room_publish_replay(*, actor_id: int, room_id: int, replay_url: str = "") -> None:
    """ended → replay; the replay plays `replay_url`, or the live video address if empty."""
    url = clean_video_url(replay_url, field="replay_url") if replay_url else None
    _move(actor_id=actor_id, room_id=room_id, move="publish_replay", replay_url=url)


# --- followers' news -------------------------------------------------------------------------


def _follower_ids(user_id: int) -> Iterable[int]:
    cursor: str | None = None
    while True:
        page = social.followers_page(user_id=user_id, cursor=cursor, limit=FOLLOWERS_PAGE)
        yield from (edge.follower_id for edge in page.items)
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def _notify_followers(room: Room, kind: NotificationKind) -> int:
    """One inbox item per follower of the host about this room; how many changed."""
    sent = 0
    for follower_id in _follower_ids(room.host_id):
        sent += notifications.notification_record(
            recipient_id=follower_id,
            kind=kind,
            target_type=TargetType.ROOM,
            target_id=room.pk,
            actor_id=room.host_id,
            excerpt=room.title,
            bump_on_repeat=True,  # a new start time is news again: unread, moved up
        )
    return sent


def room_remind_followers(*, room_id: int) -> bool:
    """Tell the host's followers the room starts soon, exactly once per start time: the
    conditional UPDATE on reminder_sent_at lets one caller through. True when it was this
    call that sent them."""
    now = clock.now()
    claimed = Room.objects.filter(
        pk=room_id, state=RoomState.SCHEDULED, reminder_sent_at__isnull=True
    ).update(reminder_sent_at=now)
    if not claimed:
        return False
    room = Room.objects.get(pk=room_id)
    _notify_followers(room, NotificationKind.LIVE_REMINDER)
    return True


def rooms_remind_due(*, now: datetime | None = None) -> int:
    """The periodic sweep: every scheduled room starting within 15 minutes and not yet
    reminded gets its reminder (safe to run twice, or on two workers at once)."""
    moment = now or clock.now()
    due = Room.objects.filter(
        state=RoomState.SCHEDULED,
        reminder_sent_at__isnull=True,
        scheduled_start__lte=moment + REMINDER_BEFORE,
    ).values_list("pk", flat=True)
    return sum(room_remind_followers(room_id=room_id) for room_id in list(due[:500]))


def room_notify_live(*, room_id: int) -> int:
    """Tell the host's followers the room is live now (after room_start commits)."""
    room = Room.objects.filter(pk=room_id, state=RoomState.LIVE).first()
    if room is None:
        return 0
    return _notify_followers(room, NotificationKind.LIVE_STARTED)
