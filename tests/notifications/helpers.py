"""Drive the notifications handlers the way production does: publish, commit, relay."""

from __future__ import annotations

from django.db import transaction

from circlemart.core.events import DomainEvent, publish, relay_pending
from circlemart.notifications.models import Notification


def deliver(*events: DomainEvent) -> int:
    with transaction.atomic():
        for event in events:
            publish(event)
    return relay_pending()


def group_of(recipient_id: int, kind: str) -> Notification:
    return Notification.objects.get(recipient_id=recipient_id, kind=kind)
