"""The event log's one write: batches are checked whole, duplicates are dropped."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from circlemart.analytics.contracts import EventRecord
from circlemart.analytics.models import Event
from circlemart.analytics.services import events_record
from circlemart.core import clock
from circlemart.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def client_event(**overrides: object) -> EventRecord:
    fields: dict[str, object] = {
        "name": "product_view",
        "origin": "client",
        "occurred_at": clock.now(),
        "anonymous_id": "anon-1",
        "object_id": "42",
    }
    fields.update(overrides)
    return EventRecord(**fields)  # type: ignore[arg-type]


def test_a_batch_is_stored_with_the_catalogue_object_type() -> None:
    result = events_record([client_event(), client_event(name="search", object_id="")])

    assert (result.stored, result.duplicates) == (2, 0)
    assert sorted(Event.objects.values_list("name", "object_type")) == [
        ("product_view", "product"),
        ("search", ""),
    ]


def test_a_resent_event_is_dropped_not_doubled() -> None:
    event = client_event(event_id=uuid.uuid4())
    events_record([event])

    result = events_record([event, event])

    assert (result.stored, result.duplicates) == (0, 2)
    assert Event.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"name": "teleport"}, "unknown_event", "events[1].name"),
        ({"name": "order_paid"}, "event_origin", "events[1].name"),
        (
            {"occurred_at": clock.now() + timedelta(days=2)},
            "time_out_of_range",
            "events[1].occurred_at",
        ),
        (
            {"occurred_at": clock.now() - timedelta(days=400)},
            "time_out_of_range",
            "events[1].occurred_at",
        ),
        ({"properties": {"colour": "red"}}, "unknown_property", "events[1].properties.colour"),
        ({"properties": {"path": 3}}, "bad_property", "events[1].properties.path"),
    ],
)
def test_one_bad_event_refuses_the_whole_batch(
    overrides: dict[str, object], code: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        events_record([client_event(), client_event(**overrides)])

    assert (refused.value.code, refused.value.field) == (code, field)
    assert Event.objects.count() == 0


def test_importers_may_store_events_of_any_age() -> None:
    old = client_event(occurred_at=clock.now() - timedelta(days=5000))

    assert events_record([old], historical=True).stored == 1
