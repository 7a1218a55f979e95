"""Keyset pagination: every row exactly once, stable under inserts, unforgeable cursors."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing
from django.utils import translation

from circlemart.core.errors import ValidationFailed
from circlemart.core.models import OutboxEvent
from circlemart.core.pagination import decode_cursor, encode_cursor, page_size, paginate

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)
NEWEST_FIRST = ("-occurred_at", "-id")


def make_event(*, minutes: int, aggregate_id: str = "a") -> OutboxEvent:
    moment = T0 + timedelta(minutes=minutes)
    return OutboxEvent.objects.create(
        event_type="test.Paged",
        aggregate_type="page",
        aggregate_id=aggregate_id,
        occurred_at=moment,
        available_at=moment,
    )


def walk(*, ordering: tuple[str, ...], limit: int, between_pages=None) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        page = paginate(OutboxEvent.objects.all(), ordering=ordering, cursor=cursor, limit=limit)
        pages.append([row.pk for row in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor
        if between_pages:
            between_pages()


def test_walks_every_row_once_in_order_despite_duplicate_ordering_values():
    # 23 rows over 5 distinct timestamps: many ties that only the id can break
    rows = [make_event(minutes=index % 5) for index in range(23)]
    expected = [
        row.pk for row in sorted(rows, key=lambda row: (row.occurred_at, row.pk), reverse=True)
    ]

    pages = walk(ordering=NEWEST_FIRST, limit=4)

    assert [len(page) for page in pages] == [4, 4, 4, 4, 4, 3]
    assert [pk for page in pages for pk in page] == expected


def test_an_exactly_full_last_page_has_no_next_cursor():
    for index in range(6):
        make_event(minutes=index)

    first = paginate(OutboxEvent.objects.all(), ordering=NEWEST_FIRST, cursor=None, limit=3)
    second = paginate(
        OutboxEvent.objects.all(), ordering=NEWEST_FIRST, cursor=first.next_cursor, limit=3
    )

    assert first.next_cursor is not None
    assert len(second.items) == 3
    assert second.next_cursor is None


def test_an_empty_queryset_gives_an_empty_page():
    page = paginate(OutboxEvent.objects.all(), ordering=NEWEST_FIRST, cursor=None, limit=10)
    assert page.items == []
    assert page.next_cursor is None


def test_rows_inserted_at_the_head_between_pages_neither_repeat_nor_shift_the_walk():
    rows = [make_event(minutes=index % 3) for index in range(10)]
    expected = [
        row.pk for row in sorted(rows, key=lambda row: (row.occurred_at, row.pk), reverse=True)
    ]
    inserted: list[int] = []

    def publish_newer_rows() -> None:
        inserted.append(make_event(minutes=100 + len(inserted)).pk)
        # same timestamp as the newest rows already seen, but a higher id
        inserted.append(make_event(minutes=2).pk)

    pages = walk(ordering=NEWEST_FIRST, limit=3, between_pages=publish_newer_rows)

    walked = [pk for page in pages for pk in page]
    assert walked == expected
    assert set(walked).isdisjoint(inserted)
    assert len(inserted) == 2 * (len(pages) - 1)


def test_ascending_and_mixed_orderings():
    rows = [
        make_event(minutes=minutes, aggregate_id=aggregate)
        for aggregate, minutes in [("b", 1), ("a", 2), ("b", 1), ("a", 1), ("c", 0), ("a", 2)]
    ]

    ascending = walk(ordering=("aggregate_id", "id"), limit=2)
    mixed = walk(ordering=("aggregate_id", "-occurred_at", "id"), limit=2)

    by_aggregate = sorted(rows, key=lambda row: (row.aggregate_id, row.pk))
    assert [pk for page in ascending for pk in page] == [row.pk for row in by_aggregate]
    by_aggregate_newest = sorted(
        rows, key=lambda row: (row.aggregate_id, -row.occurred_at.timestamp(), row.pk)
    )
    assert [pk for page in mixed for pk in page] == [row.pk for row in by_aggregate_newest]


def test_a_cursor_round_trips_datetimes_with_their_timezone():
    moment = datetime(2030, 5, 1, 8, 0, 0, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor([moment, 42]), width=2) == [moment, 42]


def tampered(cursor: str) -> str:
    padded = cursor + "=" * (-len(cursor) % 4)
    signed = base64.urlsafe_b64decode(padded).decode()
    forged = signed.replace("42", "41", 1)
    return base64.urlsafe_b64encode(forged.encode()).decode().rstrip("=")


def unsigned(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def signed_with_our_salt(raw: str) -> str:
    signed = signing.Signer(salt="circlemart.pagination").sign(raw)
    return base64.urlsafe_b64encode(signed.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param(tampered(encode_cursor(["2030-05-01", 42])), id="tampered"),
        pytest.param(unsigned(["2030-05-01", 42]), id="unsigned"),
        pytest.param("not a cursor at all!", id="garbage"),
        pytest.param("%%%", id="punctuation"),
        pytest.param(base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(), id="not-utf8"),
        pytest.param(encode_cursor([42]), id="too-narrow"),
        pytest.param(encode_cursor([1, 2, 3]), id="too-wide"),
        pytest.param(signed_with_our_salt('{"a": 1}'), id="not-a-list"),
        pytest.param(signed_with_our_salt("not json"), id="not-json"),
    ],
)
def test_a_bad_cursor_is_refused_as_invalid_input(cursor):
    make_event(minutes=0)
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        paginate(OutboxEvent.objects.all(), ordering=NEWEST_FIRST, cursor=cursor, limit=5)
    assert caught.value.field == "cursor"
    assert caught.value.code == "invalid"
    assert caught.value.message == "Invalid cursor."
    assert caught.value.status == 400


def test_the_cursor_refusal_is_translated():
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as caught:
        decode_cursor("garbage", width=2)
    assert caught.value.message == "无效的分页游标。"


@pytest.mark.parametrize(
    "ordering", [(), ("-occurred_at",), ("id", "-occurred_at"), ("-occurred_at", "event_id")]
)
def test_an_ordering_that_is_not_total_is_a_programming_error(ordering):
    with pytest.raises(ValueError, match=r"^ordering must end with id or pk to be total$"):
        paginate(OutboxEvent.objects.all(), ordering=ordering, cursor=None, limit=5)


def test_pk_is_accepted_as_the_tie_breaker():
    rows = [make_event(minutes=0) for _ in range(3)]
    assert walk(ordering=("-occurred_at", "pk"), limit=2) == [
        [rows[0].pk, rows[1].pk],
        [rows[2].pk],
    ]


@pytest.mark.parametrize("limit", [0, -1])
def test_a_page_size_below_one_is_refused(limit):
    with pytest.raises(ValidationFailed) as caught:
        paginate(OutboxEvent.objects.all(), ordering=NEWEST_FIRST, cursor=None, limit=limit)
    assert caught.value.field == "limit"


def test_page_size_defaults_and_bounds(settings):
    settings.API_PAGE_SIZE_DEFAULT = 20
    settings.API_PAGE_SIZE_MAX = 100
    assert page_size(None) == 20
    assert page_size(1) == 1
    assert page_size(100) == 100


@pytest.mark.parametrize("limit", [0, -5, 101])
def test_page_size_outside_the_bounds_is_refused(settings, limit):
    settings.API_PAGE_SIZE_MAX = 100
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        page_size(limit)
    assert caught.value.field == "limit"
    assert caught.value.message == "limit must be between 1 and 100."
