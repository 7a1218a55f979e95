"""The discover feed ranked per viewer, through social's `discover_feed` and its HTTP API:
follows, topics, circles and freshness lift notes; authors are spread out; pages never repeat;
opted-out and anonymous viewers get exactly the plain hot-score order; bad cursors are 400."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.utils import translation

from circlemart.core.errors import ValidationFailed
from circlemart.core.pagination import encode_cursor
from circlemart.recommend.bundle import Bundle, use_bundle_for_tests
from circlemart.recommend.models import Impression
from circlemart.recommend.notes import ranker as ranker_module
from circlemart.recommend.notes.ranker import ranked_notes
from circlemart.recommend.notes.snapshots import cursor_for
from circlemart.recommend.services.preferences import personalisation_set
from circlemart.social import selectors, services
from circlemart.social.models import Note
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog_factories
from tests.recommend.notes.builders import shaped_note
from tests.social.helpers import bearer, follow

pytestmark = pytest.mark.django_db


def page_ids(viewer_id: int | None, *, cursor: str | None = None, limit: int = 10) -> list[int]:
    return [card.id for card in discover(viewer_id, cursor=cursor, limit=limit).items]


def discover(viewer_id: int | None, *, cursor: str | None = None, limit: int = 10) -> Any:
    return selectors.discover_feed(viewer_id=viewer_id, cursor=cursor, limit=limit)


def walk(viewer_id: int | None, *, limit: int, between: Any = None) -> list[list[int]]:
    pages, cursor = [], None
    for number in range(50):
        page = discover(viewer_id, cursor=cursor, limit=limit)
        pages.append([card.id for card in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages
        if between:
            between(number)
    raise AssertionError("the feed never ended")


def plain_order(viewer_id: int | None, *, limit: int) -> list[list[int]]:
    with override_settings(SOCIAL_DISCOVER_RANKER=""):
        return walk(viewer_id, limit=limit)


# --- Ranking -----------------------------------------------------------------------------------


def test_a_followed_authors_note_outranks_an_equally_hot_strangers():
    me, friend, stranger = UserFactory(), UserFactory(), UserFactory()
    follow(me, friend)
    friends = shaped_note(friend, "晚饭吃什么呢", hours_old=2, likes=10)
    strangers = shaped_note(stranger, "晚饭吃什么", hours_old=2, likes=12)
    assert page_ids(None) == [strangers.pk, friends.pk]  # a little hotter
    assert page_ids(me.pk) == [friends.pk, strangers.pk]
    reasons = {note.note_id: note.reason for note in ranked_notes(viewer_id=me.pk, page_size=10)[0]}
    assert reasons == {friends.pk: "followed", strangers.pk: "trending"}


def test_a_note_in_a_topic_the_viewer_liked_outranks_an_equally_hot_one():
    me, author, hiker, cook = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    liked = shaped_note(author, "上周的露营 #camping", hours_old=100, likes=1)
    services.note_like(user_id=me.pk, note_id=liked.pk)
    camping = shaped_note(hiker, "山里的星空 #camping", hours_old=3, likes=20)
    cooking = shaped_note(cook, "番茄牛腩 #cooking", hours_old=3, likes=22)
    assert page_ids(None) == [cooking.pk, camping.pk, liked.pk]
    # The note the viewer already liked counts as seen: last.
    assert page_ids(me.pk) == [camping.pk, cooking.pk, liked.pk]
    ranked = {note.note_id: note for note in ranked_notes(viewer_id=me.pk, page_size=10)[0]}
    assert (ranked[camping.pk].reason, ranked[camping.pk].topic_label) == ("interest", "camping")


def test_a_followed_topic_and_a_circle_lift_notes_with_their_reasons():
    me, owner, other = UserFactory(), UserFactory(), UserFactory()
    circle = services.circle_create(owner_id=owner.pk, name="跑步圈", description="", rules="")
    services.circle_join(user_id=me.pk, circle_id=circle.pk)
    plain = shaped_note(other, "随便看看", hours_old=2, likes=10)
    coffee = shaped_note(other, "手冲入门 #咖啡", hours_old=2, likes=10)
    running = shaped_note(
        owner, "周末十公里", hours_old=2, likes=10, visibility="circle", circle_id=circle.pk
    )
    services.topic_follow(user_id=me.pk, name="咖啡")
    ids = page_ids(me.pk)
    assert ids[-1] == plain.pk
    assert set(ids) == {plain.pk, coffee.pk, running.pk}
    reasons = {note.note_id: note.reason for note in ranked_notes(viewer_id=me.pk, page_size=10)[0]}
    assert (reasons[coffee.pk], reasons[running.pk]) == ("interest", "circle")
    # The circle's note is the members' only: an outsider never gets it.
    assert running.pk not in page_ids(other.pk)


def test_freshness_matters_at_equal_engagement():
    me, author, other = UserFactory(), UserFactory(), UserFactory()
    stale = shaped_note(author, "四天前", hours_old=96, likes=30)
    fresh = shaped_note(other, "刚刚", hours_old=1, likes=30)
    assert page_ids(me.pk) == [fresh.pk, stale.pk]


def test_notes_tagging_products_the_model_expects_the_viewer_to_like_rank_higher():
    me, author, other = UserFactory(), UserFactory(), UserFactory()
    liked_kind = catalog_factories.product(title="露营灯", title_en="Lantern")
    other_kind = catalog_factories.product(title="口红", title_en="Lipstick")
    wanted = shaped_note(author, "好用的灯", hours_old=2, likes=10, product_ids=[liked_kind.pk])
    unwanted = shaped_note(other, "好看的口红", hours_old=2, likes=10, product_ids=[other_kind.pk])
    bundle = _bundle(user_id=me.pk, products=[liked_kind.pk, other_kind.pk], scores=[0.9, 0.0])
    with use_bundle_for_tests(bundle):
        assert page_ids(me.pk) == [wanted.pk, unwanted.pk]
        assert Impression.objects.filter(user_id=me.pk).first().model_version_id == 41
    with use_bundle_for_tests(None):
        assert page_ids(me.pk)[0] in {wanted.pk, unwanted.pk}
        assert Impression.objects.filter(model_version_id__isnull=True).count() == 2


def _bundle(*, user_id: int, products: list[int], scores: list[float]) -> Bundle:
    items = len(products)
    candidates = sp.csr_matrix(np.asarray([scores], dtype=np.float32))
    return Bundle(
        version_id=41,
        label="test",
        catalogue_id="c",
        item_ids=np.asarray(products, dtype=np.int64),
        user_ids=np.asarray([user_id], dtype=np.int64),
        user_candidates=candidates,
        candidate_anchor=sp.csr_matrix((1, items), dtype=np.int32),
        similar=sp.csr_matrix((items, items), dtype=np.float32),
        bought_together=sp.csr_matrix((items, items), dtype=np.float32),
        popularity=np.zeros(items, dtype=np.float32),
        trending=np.zeros(items, dtype=np.float32),
        repeat_days=np.zeros(items, dtype=np.float32),
        content=np.zeros((items, 2), dtype=np.float32),
    )


def test_the_viewers_own_notes_and_blocked_authors_stay_out():
    me, rude, nice = UserFactory(), UserFactory(), UserFactory()
    mine = shaped_note(me, "我自己的", likes=50)
    blocked = shaped_note(rude, "不想看", likes=50)
    kept = shaped_note(nice, "可以看", likes=1)
    services.block_create(blocker_id=me.pk, blocked_id=rude.pk)
    assert page_ids(me.pk) == [kept.pk]
    assert {mine.pk, blocked.pk} <= set(page_ids(None))


# --- Diversity and paging ----------------------------------------------------------------------


def test_a_page_never_shows_one_author_twice_in_a_row_nor_more_than_three_times():
    me, star = UserFactory(), UserFactory()
    others = [UserFactory() for _ in range(7)]
    for n in range(8):
        shaped_note(star, f"爆款 {n}", hours_old=1, likes=500 + n)
    for n, author in enumerate(others):
        shaped_note(author, f"普通 {n}", hours_old=1, likes=5)
    pages = walk(me.pk, limit=10)
    first = pages[0]
    authors = dict(Note.objects.filter(pk__in=first).values_list("id", "author_id"))
    sequence = [authors[note_id] for note_id in first]
    assert len(first) == 10
    assert all(a != b for a, b in itertools.pairwise(sequence))
    assert sequence.count(star.pk) == 3
    # The star's other notes are not lost, only spread out.
    assert sum(len(page) for page in pages) == 15


def test_three_pages_in_a_row_never_repeat_or_skip_a_note_while_scores_change():
    me = UserFactory()
    authors = [UserFactory() for _ in range(12)]
    written = {
        shaped_note(authors[n % 12], f"第{n}篇", hours_old=n, likes=n * 3).pk for n in range(36)
    }

    def shake(_number: int) -> None:  # engagement moves between pages: the order must not
        for note_id in list(written)[:10]:
            services.note_like(user_id=UserFactory().pk, note_id=note_id)

    pages = walk(me.pk, limit=12, between=shake)
    assert [len(page) for page in pages] == [12, 12, 12]
    flat = [note_id for page in pages for note_id in page]
    assert len(flat) == len(set(flat)) == 36
    assert set(flat) == written
    impressions = Impression.objects.filter(user_id=me.pk)
    assert impressions.count() == 36
    assert impressions.values("list_id").distinct().count() == 3
    assert set(impressions.values_list("surface", "object_type", "is_personalised")) == {
        ("notes", "note", True)
    }
    assert sorted(impressions.values_list("position", flat=True))[:3] == [0, 0, 0]


def test_an_expired_snapshot_restarts_cleanly_without_repeating_what_was_shown():
    me = UserFactory()
    for n in range(20):
        shaped_note(UserFactory(), f"第{n}篇", hours_old=n, likes=40 - n)
    first = discover(me.pk, limit=8)
    cache.clear()  # the snapshot expired (or another process without Redis serves page two)
    second = discover(me.pk, cursor=first.next_cursor, limit=8)
    shown_first = {card.id for card in first.items}
    assert len(second.items) == 8
    assert shown_first.isdisjoint(card.id for card in second.items)


def test_notes_gone_since_the_snapshot_are_skipped_and_the_page_still_fills():
    me = UserFactory()
    for n in range(12):
        shaped_note(UserFactory(), f"第{n}篇", hours_old=n, likes=40 - n)
    first = discover(me.pk, limit=4)
    expected = [note.note_id for note in ranked_notes(viewer_id=me.pk, page_size=4)[0]]
    upcoming = [note_id for note_id in expected if note_id not in {c.id for c in first.items}]
    Note.objects.filter(pk__in=upcoming[:2]).update(status=Note.Status.DELETED)
    second = discover(me.pk, cursor=first.next_cursor, limit=4)
    assert [card.id for card in second.items] == upcoming[2:6]


def test_an_empty_pool_is_an_empty_last_page():
    me = UserFactory()
    page = discover(me.pk, limit=4)
    assert page.items == []
    assert page.next_cursor is None
    assert page.source == "ranked"
    assert not Impression.objects.exists()


def test_a_first_page_ranks_afresh_and_puts_seen_notes_last():
    me = UserFactory()
    for n in range(6):
        shaped_note(UserFactory(), f"第{n}篇", hours_old=n, likes=40 - n)
    first = page_ids(me.pk, limit=3)
    again = page_ids(me.pk, limit=6)
    assert again[3:] == first
    assert set(again[:3]).isdisjoint(first)


# --- Who gets the plain order ------------------------------------------------------------------


def _world(count: int = 9) -> tuple[Any, Any]:
    me, friend = UserFactory(), UserFactory()
    follow(me, friend)
    for n in range(count):
        author = friend if n % 3 == 0 else UserFactory()
        shaped_note(author, f"第{n}篇 #猫" if n % 2 else f"第{n}篇", hours_old=n * 5, likes=n)
    services.topic_follow(user_id=me.pk, name="猫")
    return me, friend


def test_a_viewer_who_turned_personalisation_off_gets_exactly_the_plain_order():
    me, _friend = _world()
    assert plain_order(me.pk, limit=4) != walk(me.pk, limit=4)
    Impression.objects.all().delete()
    personalisation_set(user_id=me.pk, is_personalised=False)
    assert walk(me.pk, limit=4) == plain_order(me.pk, limit=4) == plain_order(None, limit=4)
    assert not Impression.objects.exists()


def test_anonymous_viewers_get_the_plain_order_and_leave_no_impressions():
    _world()
    assert walk(None, limit=4) == plain_order(None, limit=4)
    assert sum(len(page) for page in walk(None, limit=4)) == 9
    assert not Impression.objects.exists()


def test_switching_personalisation_between_pages_starts_the_other_order_over():
    me, _friend = _world()
    ranked_first = discover(me.pk, limit=4)
    personalisation_set(user_id=me.pk, is_personalised=False)
    plain = discover(me.pk, cursor=ranked_first.next_cursor, limit=4)
    assert [card.id for card in plain.items] == plain_order(me.pk, limit=4)[0]
    personalisation_set(user_id=me.pk, is_personalised=True)
    ranked_again = discover(me.pk, cursor=plain.next_cursor, limit=4)
    assert plain.next_cursor is not None
    assert ranked_again.source == "ranked"
    assert len(ranked_again.items) == 4


class BrokenRanker:
    def discover_page(self, **kwargs: Any) -> None:
        raise RuntimeError("model server down")

    def owns_cursor(self, cursor: str) -> bool:
        return False


class DatabaseBrokenRanker(BrokenRanker):
    def discover_page(self, **kwargs: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")


@pytest.mark.parametrize(
    "path",
    [
        "tests.recommend.notes.test_discover.BrokenRanker",
        "tests.recommend.notes.test_discover.DatabaseBrokenRanker",
        "circlemart.nowhere.Ranker",
    ],
)
def test_a_failing_or_missing_ranker_falls_back_to_the_plain_order(path, caplog):
    me, _friend = _world()
    with override_settings(SOCIAL_DISCOVER_RANKER=path):
        assert walk(me.pk, limit=4) == plain_order(me.pk, limit=4)
    assert any(record.levelname == "ERROR" for record in caplog.records)


# --- Bad cursors -------------------------------------------------------------------------------


def test_bad_cursors_are_a_400_on_cursor_through_the_api(api_client):
    me, _friend = _world()
    url = "/api/v1/social/feed/discover"
    first = api_client.get(url, {"limit": 4}, headers=bearer(me))
    assert first.status_code == 200
    cursor = first.json()["next_cursor"]
    assert (
        api_client.get(url, {"limit": 4, "cursor": cursor}, headers=bearer(me)).status_code == 200
    )
    forged = [
        "forged",
        cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB"),
        encode_cursor(["notes", "x" * 32, -1]),
        encode_cursor(["notes", 5, 0]),
        encode_cursor(["other", "x" * 32, 0]),
        encode_cursor(["notes", "x" * 32, True]),
    ]
    for bad in forged:
        answer = api_client.get(url, {"limit": 4, "cursor": bad}, headers=bearer(me))
        assert answer.status_code == 400, bad
        assert answer.json()["error"]["field"] == "cursor"
        assert answer.json()["error"]["code"] == "invalid"


def test_a_cursor_into_another_viewers_snapshot_starts_over():
    me, _friend = _world()
    theirs = discover(UserFactory().pk, limit=4)
    expected = [note.note_id for note in ranked_notes(viewer_id=me.pk, page_size=4)[0][:4]]
    assert page_ids(me.pk, cursor=theirs.next_cursor, limit=4) == expected


def test_only_this_rankers_cursors_are_its_own():
    ranker = ranker_module.PersonalisedNoteRanker()
    assert ranker.owns_cursor(cursor_for(snapshot_id="a" * 32, offset=3))
    assert not ranker.owns_cursor(encode_cursor([0.5, 7]))
    assert not ranker.owns_cursor("garbage")
    me = UserFactory()
    with pytest.raises(ValidationFailed) as caught:
        ranker.discover_page(viewer_id=me.pk, cursor="garbage", limit=4)
    assert caught.value.field == "cursor"


# --- Query budget ------------------------------------------------------------------------------


@pytest.mark.parametrize("notes", [5, 25])
def test_a_page_costs_a_fixed_number_of_queries(notes, django_assert_num_queries):
    me, _friend = _world(notes)
    with use_bundle_for_tests(None):
        with django_assert_num_queries(21):
            first = discover(me.pk, limit=4)
        with django_assert_num_queries(8):
            discover(me.pk, cursor=first.next_cursor, limit=4)
        # Back to the top within a minute: the scored pool is reused, only what was seen since
        # is read again. (Each count includes the ranker's savepoint and its release.)
        with django_assert_num_queries(9):
            discover(me.pk, limit=4)


def test_ranked_cards_carry_their_reason_and_the_page_its_list_id():
    me, friend, stranger = UserFactory(), UserFactory(), UserFactory()
    follow(me, friend)
    friends = shaped_note(friend, "晚饭吃什么呢", hours_old=2, likes=10)
    strangers = shaped_note(stranger, "晚饭吃什么", hours_old=2, likes=12)

    with translation.override("zh-hans"):
        page = selectors.discover_feed(viewer_id=me.pk, cursor=None, limit=10)

    assert [(card.id, card.reason) for card in page.items] == [
        (friends.pk, "来自你关注的人"),
        (strangers.pk, "正在流行"),
    ]
    assert len(page.list_id) == 32
    plain = selectors.discover_feed(viewer_id=None, cursor=None, limit=10)
    assert {card.reason for card in plain.items} == {""}
    assert plain.list_id == ""
