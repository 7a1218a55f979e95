"""Writes of client tracking: visits (TrackedSession rows), client event batches from the
browser, and the identity merge when a visitor signs in."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest

from circlemart.analytics.contracts import EventRecord, RecordResult
from circlemart.analytics.models import Event, TrackedSession
from circlemart.analytics.services import event_check, events_record
from circlemart.analytics.tracking import bots
from circlemart.analytics.tracking.sources import SourceInfo
from circlemart.core import clock

# The session cookie is refreshed (and the session row's last_seen_at touched) at most this
# often, so page loads cost no write.
TOUCH_EVERY_SECONDS = 60


@dataclass(frozen=True)
class Visit:
    """The visit a request belongs to. `last_seen` is what the session cookie says (epoch
    seconds); `is_new` when this request started it."""

    session_id: str
    last_seen: int
    is_new: bool


@dataclass(frozen=True)
class ClientBatchResult:
    stored: int
    duplicates: int
    ignored: int  # dropped without an error: no consent, or a bot
    session_id: str


def new_id() -> str:
    return uuid.uuid4().hex


def visit_cookie_parse(value: str) -> tuple[str, int] | None:
    """`<session id>:<last seen epoch seconds>` → its parts; None when malformed."""
    session_id, _, seen = value.partition(":")
    if not (8 <= len(session_id) <= 64 and session_id.isalnum() and seen.isdigit()):
        return None
    return session_id, int(seen)


def visit_cookie_value(visit: Visit) -> str:
    return f"{visit.session_id}:{visit.last_seen}"


def visit_cookie_for(*, session_id: str, anonymous_id: str) -> str:
    """The cookie value of a stored visit of this browser (apps without cookies name their
    visit in the body); "" when there is no such visit."""
    seen = (
        TrackedSession.objects.filter(session_id=session_id, anonymous_id=anonymous_id)
        .values_list("last_seen_at", flat=True)
        .first()
    )
    return f"{session_id}:{int(seen.timestamp())}" if seen is not None else ""


def session_is_current(*, last_seen: int, now: datetime) -> bool:
    """Still the same visit: the last activity is no longer ago than the idle limit."""
    idle = settings.ANALYTICS_SESSION_IDLE_MINUTES * 60
    return 0 <= now.timestamp() - last_seen <= idle


def session_start(
    *,
    anonymous_id: str,
    user_id: int | None,
    now: datetime,
    source: SourceInfo,
    landing_path: str = "",
    user_agent: str = "",
) -> str:
    """Open a visit; its source never changes afterwards."""
    session_id = new_id()
    TrackedSession.objects.create(
        session_id=session_id,
        anonymous_id=anonymous_id[:64],
        user_id=user_id,
        started_at=now,
        last_seen_at=now,
        source=source.source,
        referrer_host=source.referrer_host[:255],
        utm_source=source.utm_source[:100],
        utm_medium=source.utm_medium[:100],
        utm_campaign=source.utm_campaign[:100],
        sharer_id=source.sharer_id,
        landing_path=landing_path[:500],
        is_bot=bots.is_bot_user_agent(user_agent),
        user_agent=user_agent[:300],
    )
    return session_id


def visit_resolve(
    *,
    cookie_value: str,
    anonymous_id: str,
    user_id: int | None,
    now: datetime,
    source: SourceInfo,
    landing_path: str = "",
    user_agent: str = "",
) -> Visit:
    """The visit of this request: the cookie's one while it is current (touching its row at
    most once a minute), else a new one classified by `source`."""
    parsed = visit_cookie_parse(cookie_value)
    stamp = int(now.timestamp())
    if parsed is not None and session_is_current(last_seen=parsed[1], now=now):
        session_id, last_seen = parsed
        if stamp - last_seen < TOUCH_EVERY_SECONDS:
            return Visit(session_id=session_id, last_seen=last_seen, is_new=False)
        TrackedSession.objects.filter(session_id=session_id).update(
            last_seen_at=Greatest(F("last_seen_at"), now)
        )
        return Visit(session_id=session_id, last_seen=stamp, is_new=False)
    session_id = session_start(
        anonymous_id=anonymous_id,
        user_id=user_id,
        now=now,
        source=source,
        landing_path=landing_path,
        user_agent=user_agent,
    )
    return Visit(session_id=session_id, last_seen=stamp, is_new=True)


def client_events_record(
    *,
    records: Sequence[EventRecord],
    session_id: str,
    anonymous_id: str,
    user_agent: str,
    allowed: bool,
) -> ClientBatchResult:
    """Store a browser's batch: checked whole first (a bad event refuses the batch); then
    dropped without a word when tracking is not allowed or the browser is a bot; else stored
    and counted on its session. `records` already carry the ids of who sent them."""
    for index, record in enumerate(records):
        event_check(record, index=index)
    count = len(records)
    if not allowed or not anonymous_id:
        return ClientBatchResult(stored=0, duplicates=0, ignored=count, session_id="")
    now = clock.now()
    if bots.is_bot_user_agent(user_agent):
        _session_flag_bot(session_id)
        return ClientBatchResult(stored=0, duplicates=0, ignored=count, session_id=session_id)
    page_views = [record.occurred_at for record in records if record.name == "page_view"]
    flagged = bots.behaviour_check(
        anonymous_id=anonymous_id,
        session_id=session_id,
        now=now,
        event_count=count,
        page_view_times=page_views,
    )
    if flagged or _session_is_bot(session_id):
        _session_flag_bot(session_id)
        return ClientBatchResult(stored=0, duplicates=0, ignored=count, session_id=session_id)

    def store() -> RecordResult:
        with transaction.atomic():
            stored: RecordResult = events_record(records)
            if stored.stored:
                TrackedSession.objects.filter(session_id=session_id).update(
                    last_seen_at=Greatest(F("last_seen_at"), now),
                    event_count=F("event_count") + stored.stored,
                    page_views=F("page_views") + min(len(page_views), stored.stored),
                )
        return stored

    result = _retried_while_locked(store)
    return ClientBatchResult(
        stored=result.stored, duplicates=result.duplicates, ignored=0, session_id=session_id
    )


def _session_is_bot(session_id: str) -> bool:
    return TrackedSession.objects.filter(session_id=session_id, is_bot=True).exists()


def _session_flag_bot(session_id: str) -> None:
    TrackedSession.objects.filter(session_id=session_id, is_bot=False).update(is_bot=True)


def identity_merge(*, anonymous_id: str, user_id: int, now: datetime | None = None) -> int:
    """A visitor signed in: their anonymous events of the last ANALYTICS_IDENTITY_MERGE_DAYS
    and their visits become the user's. The one update the append-only log allows: it fills
    an empty user_id, never changes one. Returns how many events were claimed."""
    if not anonymous_id:
        return 0
    moment = now or clock.now()
    since = moment - timedelta(days=settings.ANALYTICS_IDENTITY_MERGE_DAYS)
    with transaction.atomic():
        claimed = Event.objects.filter(
            anonymous_id=anonymous_id, user_id__isnull=True, occurred_at__gte=since
        ).update(user_id=user_id)
        TrackedSession.objects.filter(
            Q(started_at__gte=since) | Q(last_seen_at__gte=since),
            anonymous_id=anonymous_id,
            user_id__isnull=True,
        ).update(user_id=user_id)
    return claimed


LOCKED_RETRIES = 5


def _retried_while_locked(write: Callable[[], RecordResult]) -> RecordResult:
    """SQLite answers "table is locked" at once, without its busy timeout, when another
    connection of a shared-cache database holds the table (the in-memory test database shared
    with a live server's threads): a few short retries instead of a lost batch. The write is
    one transaction, so a retry repeats it whole; duplicates are dropped by event id anyway."""
    for attempt in range(LOCKED_RETRIES):
        try:
            return write()
        except OperationalError as error:
            if "locked" not in str(error) or attempt == LOCKED_RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")
