"""Expiry of points by FIFO lots, and the warning before it: periodic sweeps in batches, each
lot in a transaction of its own, so a long run reports progress and a run cut off anywhere
resumes where it stopped (an expired or warned lot is never touched twice)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.growth.points import services
from circlemart.growth.points.models import PointsLot
from circlemart.notifications import services as notification_services
from circlemart.notifications.contracts import NotificationKind, TargetType

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
Progress = Callable[[int], None]


def points_expire_due(
    *, batch_size: int = BATCH_SIZE, max_batches: int = 1000, progress: Progress | None = None
) -> int:
    """Expire every lot past its expiry that still holds points, oldest first. Returns the
    lots expired; `progress` hears the running count after each batch."""
    expired = 0
    last_id = 0
    for _batch in range(max_batches):
        now = clock.now()
        ids = list(
            PointsLot.objects.filter(remaining__gt=0, expires_at__lte=now, id__gt=last_id)
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            break
        for lot_id in ids:
            expired += int(services.points_expire_lot(lot_id=lot_id) is not None)
        last_id = ids[-1]
        logger.info("points expiry batch", extra={"expired": expired, "last_lot": last_id})
        if progress is not None:
            progress(expired)
    return expired


def _warn(lot_id: int) -> bool:
    """Claim the lot's warning (a conditional UPDATE: once per lot) and notify its holder."""
    with transaction.atomic():
        now = clock.now()
        claimed = PointsLot.objects.filter(
            pk=lot_id, warned_at__isnull=True, remaining__gt=0, expires_at__gt=now
        ).update(warned_at=now)
        if not claimed:
            return False
        lot = PointsLot.objects.get(pk=lot_id)
        assert lot.expires_at is not None
        expires = lot.expires_at.astimezone(ZoneInfo(settings.GROWTH_TIME_ZONE)).date()
        notification_services.notification_record(
            recipient_id=lot.user_id,
            kind=NotificationKind.POINTS_EXPIRING,
            target_type=TargetType.GROWTH,
            target_id=lot.pk,
            actor_id=lot.user_id,
            about_self=True,
            excerpt=_("%(points)d points expire on %(date)s")
            % {"points": lot.remaining, "date": expires.isoformat()},
        )
    return True


def points_warn_expiring(
    *, batch_size: int = BATCH_SIZE, max_batches: int = 1000, progress: Progress | None = None
) -> int:
    """Tell holders of lots expiring within POINTS_EXPIRY_WARNING_DAYS, once per lot. Returns
    the warnings sent."""
    warned = 0
    last_id = 0
    for _batch in range(max_batches):
        now = clock.now()
        horizon = now + timedelta(days=settings.POINTS_EXPIRY_WARNING_DAYS)
        ids = list(
            PointsLot.objects.filter(
                remaining__gt=0,
                warned_at__isnull=True,
                expires_at__gt=now,
                expires_at__lte=horizon,
                id__gt=last_id,
            )
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            break
        for lot_id in ids:
            warned += int(_warn(lot_id))
        last_id = ids[-1]
        logger.info("points warning batch", extra={"warned": warned, "last_lot": last_id})
        if progress is not None:
            progress(warned)
    return warned
