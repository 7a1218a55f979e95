"""Writes of analytics that other rooms share: storing events in the log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from circlemart.analytics.catalogue import CATALOGUE, spec_for
from circlemart.analytics.contracts import EventRecord, RecordResult
from circlemart.analytics.models import Event
from circlemart.core import clock
from circlemart.core.errors import ValidationFailed

_PROPERTY_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
}
MAX_PROPERTY_TEXT = 500


def event_check(record: EventRecord, *, index: int = 0, historical: bool = False) -> None:
    """Refuse an event the catalogue does not know or whose fields do not fit it. `field`
    names the offending part as `events[i].<field>` so a batch's sender can find it."""
    where = f"events[{index}]"
    spec = spec_for(record.name)
    if spec is None:
        raise ValidationFailed(
            _("Unknown event “%(name)s”.") % {"name": record.name[:48]},
            code="unknown_event",
            field=f"{where}.name",
        )
    if spec.origin.value != record.origin:
        raise ValidationFailed(
            _("Event “%(name)s” cannot be sent by a %(origin)s.")
            % {"name": record.name, "origin": record.origin},
            code="event_origin",
            field=f"{where}.name",
        )
    if record.occurred_at.tzinfo is None:
        raise ValidationFailed(
            _("The time must carry a time zone."), code="naive_time", field=f"{where}.occurred_at"
        )
    if not historical:
        now = clock.now()
        future = timedelta(seconds=settings.ANALYTICS_MAX_CLOCK_SKEW_SECONDS)
        past = timedelta(days=settings.ANALYTICS_MAX_EVENT_AGE_DAYS)
        if record.occurred_at > now + future or record.occurred_at < now - past:
            raise ValidationFailed(
                _("The time is too far from now."),
                code="time_out_of_range",
                field=f"{where}.occurred_at",
            )
    for key, value in record.properties.items():
        expected = spec.properties.get(key)
        if expected is None:
            raise ValidationFailed(
                _("Event “%(name)s” has no property “%(key)s”.")
                % {"name": record.name, "key": key[:48]},
                code="unknown_property",
                field=f"{where}.properties.{key[:48]}",
            )
        fits = isinstance(value, _PROPERTY_TYPES[expected]) and (
            expected == "bool" or not isinstance(value, bool)
        )
        if not fits or (isinstance(value, str) and len(value) > MAX_PROPERTY_TEXT):
            raise ValidationFailed(
                _("Property “%(key)s” must be of type %(type)s.") % {"key": key, "type": expected},
                code="bad_property",
                field=f"{where}.properties.{key}",
            )


def events_record(records: Sequence[EventRecord], *, historical: bool = False) -> RecordResult:
    """Store a batch: every event is checked first, so a bad one stores nothing; events
    already stored (same event_id and time) are dropped, not doubled.

    `historical` lets importers and backfills store events of any age.
    """
    for index, record in enumerate(records):
        event_check(record, index=index, historical=historical)
    unique: dict[tuple[object, object], EventRecord] = {}
    for record in records:
        unique.setdefault((record.event_id, record.occurred_at), record)
    already = set(
        Event.objects.filter(event_id__in=[key[0] for key in unique]).values_list(
            "event_id", "occurred_at"
        )
    )
    received_at = clock.now()
    rows = [
        Event(
            event_id=record.event_id,
            name=record.name,
            origin=record.origin,
            occurred_at=record.occurred_at,
            received_at=received_at,
            user_id=record.user_id,
            anonymous_id=record.anonymous_id[:64],
            session_id=record.session_id[:64],
            object_type=record.object_type or CATALOGUE[record.name].object_type,
            object_id=str(record.object_id)[:64],
            amount=record.amount,
            currency=record.currency,
            properties=record.properties,
        )
        for key, record in unique.items()
        if key not in already
    ]
    # ignore_conflicts: a resend racing this batch is dropped by the unique constraint.
    Event.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return RecordResult(stored=len(rows), duplicates=len(records) - len(rows))
