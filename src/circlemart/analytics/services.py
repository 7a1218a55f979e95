"""Writes of analytics that other rooms share: storing events in the log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models.constants import OnConflict
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
        (
            record.event_id,
            record.name,
            record.origin,
            record.occurred_at,
            received_at,
            record.user_id,
            record.anonymous_id[:64],
            record.session_id[:64],
            record.object_type or CATALOGUE[record.name].object_type,
            str(record.object_id)[:64],
            record.amount,
            record.currency,
            record.properties,
        )
        for key, record in unique.items()
        if key not in already
    ]
    _events_insert(rows)
    return RecordResult(stored=len(rows), duplicates=len(records) - len(rows))


_INSERT_FIELDS = (
    "event_id",
    "name",
    "origin",
    "occurred_at",
    "received_at",
    "user_id",
    "anonymous_id",
    "session_id",
    "object_type",
    "object_id",
    "amount",
    "currency",
    "properties",
)


def _events_insert(rows: list[tuple[Any, ...]]) -> None:
    """Insert the rows (values in _INSERT_FIELDS order) in one transaction, skipping any
    that the unique constraint refuses (a resend racing this batch).

    The same statement `Event.objects.bulk_create(..., ignore_conflicts=True)` runs, but
    each value is adapted for the database once by its column's kind instead of through the
    ORM's per-object, per-field preparation, which was most of a batch's time."""
    if not rows:
        return
    meta = Event._meta
    by_name = {field.name: field for field in meta.concrete_fields}
    fields = [by_name[name] for name in _INSERT_FIELDS]
    ops = connection.ops
    uuid_field, properties_field = fields[0], fields[-1]
    encoder = getattr(properties_field, "encoder", None)
    to_datetime = ops.adapt_datetimefield_value
    params: list[tuple[Any, ...]] = [
        (
            uuid_field.get_db_prep_value(row[0], connection),
            row[1],
            row[2],
            to_datetime(row[3]),
            to_datetime(row[4]),
            row[5],
            row[6],
            row[7],
            row[8],
            row[9],
            row[10],
            row[11],
            ops.adapt_json_value(row[12], encoder),
        )
        for row in rows
    ]
    quote = ops.quote_name
    columns = ", ".join(quote(field.get_attname_column()[1] or field.name) for field in fields)
    values = ", ".join(["%s"] * len(fields))
    suffix = ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
    sql = (
        f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {quote(meta.db_table)}"
        f" ({columns}) VALUES ({values}) {suffix}"
    ).rstrip()
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.executemany(sql, params)
