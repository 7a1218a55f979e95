"""Session trail, impressions and clicks, personalisation and interests."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from circlemart.core.errors import ValidationFailed
from circlemart.recommend.contracts import RecommendationList, RecommendedItem, Surface
from circlemart.recommend.models import (
    Impression,
    PersonalisationPreference,
    RecommendationClick,
    SessionView,
    UserInterest,
)
from circlemart.recommend.selectors.surfaces import anonymous_id_for
from circlemart.recommend.services.impressions import (
    click_record,
    impressions_flush,
    impressions_record,
)
from circlemart.recommend.services.preferences import interests_set, personalisation_set
from circlemart.recommend.services.session import session_record
from circlemart.recommend.serving.diversity import diversify
from circlemart.recommend.serving.session_store import TRAIL_LENGTH, session_digest, trail_of
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog_factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def without_redis(settings: Any) -> None:
    """The embedded setup: the trail lives in the database."""
    settings.REDIS_URL = ""


# --- session trail -----------------------------------------------------------------------


def test_the_trail_keeps_the_last_twenty_newest_first_in_the_database(without_redis: None) -> None:
    for product_id in range(1, 26):
        assert session_record(session_key="k", viewer_id=None, product_id=product_id, kind="view")
    cache.clear()  # another worker process: nothing comes from this one's memory
    trail = trail_of("k")
    assert trail.product_ids() == list(range(25, 25 - TRAIL_LENGTH, -1))
    assert not SessionView.objects.filter(session_key="k").exists()  # only its digest is kept
    assert SessionView.objects.filter(session_key=session_digest("k")).count() == 25
    assert trail_of("another").events == ()


def test_old_views_drop_out_and_bad_events_are_refused(without_redis: None) -> None:
    session_record(session_key="k", viewer_id=None, product_id=1, kind="view")
    SessionView.objects.update(at=timezone.now() - timedelta(minutes=31))
    session_record(session_key="k", viewer_id=None, product_id=2, kind="cart")
    assert trail_of("k").product_ids() == [2]
    assert SessionView.objects.count() == 1  # the expired row went with the new one
    with pytest.raises(ValidationFailed) as refused:
        session_record(session_key="k", viewer_id=None, product_id=3, kind="purchase")
    assert refused.value.field == "kind"
    with pytest.raises(ValidationFailed):
        session_record(session_key="k", viewer_id=None, product_id=0, kind="view")
    assert session_record(session_key="", viewer_id=None, product_id=3, kind="view") is False
    assert SessionView.objects.count() == 1


def test_each_event_moves_the_generation(without_redis: None) -> None:
    session_record(session_key="k", viewer_id=None, product_id=1, kind="view")
    first = trail_of("k").generation
    session_record(session_key="k", viewer_id=None, product_id=1, kind="view")
    assert trail_of("k").generation != first


@pytest.mark.redis
def test_with_redis_the_trail_lives_in_redis_and_goes_when_personalisation_is_off() -> None:
    user = UserFactory()
    session_record(session_key="redis-k", viewer_id=user.pk, product_id=7, kind="view")
    session_record(session_key="redis-k", viewer_id=user.pk, product_id=8, kind="click")
    session_record(session_key="redis-other", viewer_id=None, product_id=9, kind="view")
    assert trail_of("redis-k").product_ids() == [8, 7]
    assert not SessionView.objects.exists()
    personalisation_set(user_id=user.pk, is_personalised=False)
    assert trail_of("redis-k").events == ()
    assert trail_of("redis-other").product_ids() == [9]


# --- impressions and clicks --------------------------------------------------------------


def served_list(user_id: int | None = None, anonymous_id: str = "") -> RecommendationList:
    recommendations = RecommendationList(
        list_id=uuid.uuid4().hex,
        surface=Surface.SIMILAR,
        model_version=4,
        is_personalised=False,
        items=(RecommendedItem(object_id=11, score=0.9), RecommendedItem(object_id=12, score=0.5)),
    )
    assert impressions_record(recommendations, viewer_id=user_id, anonymous_id=anonymous_id) == 2
    return recommendations


def test_a_click_on_a_shown_item_counts_once_with_the_lists_model() -> None:
    user = UserFactory()
    shown = served_list(user.pk)
    arguments = {
        "list_id": shown.list_id,
        "position": 1,
        "object_id": 12,
        "viewer_id": user.pk,
        "anonymous_id": "",
    }
    assert click_record(**arguments) is True
    assert click_record(**arguments) is False  # a reload
    click = RecommendationClick.objects.get()
    assert (
        click.surface,
        click.model_version_id,
        click.position,
        click.object_id,
        click.user_id,
    ) == (
        "similar",
        4,
        1,
        12,
        user.pk,
    )


def test_garbage_clicks_are_ignored_quietly() -> None:
    owner, other = UserFactory(), UserFactory()
    shown = served_list(owner.pk)
    anonymous = served_list(None, anonymous_id_for("session-a"))
    refused = [
        {"list_id": "not-a-uuid", "position": 0, "object_id": 11, "viewer_id": owner.pk},
        {"list_id": uuid.uuid4().hex, "position": 0, "object_id": 11, "viewer_id": owner.pk},
        {"list_id": shown.list_id, "position": 5, "object_id": 11, "viewer_id": owner.pk},
        {"list_id": shown.list_id, "position": -1, "object_id": 11, "viewer_id": owner.pk},
        {"list_id": shown.list_id, "position": 0, "object_id": 12, "viewer_id": owner.pk},
        {"list_id": shown.list_id, "position": 0, "object_id": 11, "viewer_id": other.pk},
        {"list_id": shown.list_id, "position": "0", "object_id": 11, "viewer_id": owner.pk},
        {"list_id": anonymous.list_id, "position": 0, "object_id": 11, "viewer_id": None},
        {"list_id": shown.list_id, "position": 0, "object_id": "11", "viewer_id": owner.pk},
        {"list_id": None, "position": None, "object_id": None, "viewer_id": owner.pk},
    ]
    for arguments in refused:
        assert click_record(anonymous_id=anonymous_id_for("session-b"), **arguments) is False  # type: ignore[arg-type]
    assert not RecommendationClick.objects.exists()
    assert click_record(
        list_id=anonymous.list_id,
        position=0,
        object_id=11,
        viewer_id=None,
        anonymous_id=anonymous_id_for("session-a"),
    )


def test_an_empty_list_writes_nothing() -> None:
    empty = RecommendationList(
        list_id=uuid.uuid4().hex,
        surface=Surface.FOR_YOU,
        model_version=None,
        is_personalised=False,
        items=(),
    )
    assert impressions_record(empty, viewer_id=None, anonymous_id="") == 0
    assert not Impression.objects.exists()


# --- preferences -------------------------------------------------------------------------


def test_turning_personalisation_off_is_stored_and_forgets_the_trail(without_redis: None) -> None:
    user = UserFactory()
    session_record(session_key="k", viewer_id=user.pk, product_id=5, kind="view")
    assert personalisation_set(user_id=user.pk, is_personalised=False) is False
    assert PersonalisationPreference.objects.get(user_id=user.pk).is_personalised is False
    assert not SessionView.objects.exists()


def test_interests_replace_the_old_ones_and_unknown_categories_are_refused() -> None:
    user = UserFactory()
    a, b, c = (catalog_factories.category(f"兴趣{n}") for n in range(3))
    assert interests_set(user_id=user.pk, category_ids=[a.pk, b.pk]) == [a.pk, b.pk]
    assert interests_set(user_id=user.pk, category_ids=[b.pk, c.pk]) == [b.pk, c.pk]
    inactive = catalog_factories.category("停用")
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    for bad in ([999_999], [inactive.pk], ["x"], list(range(1, 30))):
        with pytest.raises(ValidationFailed) as refused:
            interests_set(user_id=user.pk, category_ids=bad)  # type: ignore[arg-type]
        assert refused.value.field == "category_ids"
    assert sorted(
        UserInterest.objects.filter(user=user).values_list("category_id", flat=True)
    ) == sorted([b.pk, c.pk])


# --- diversity ---------------------------------------------------------------------------


def test_diversify_keeps_the_best_first_and_pushes_a_wall_to_later_pages() -> None:
    ranked = [f"a{n}" for n in range(8)] + ["b0", "c0", "b1", "d0"]
    category = {item: item[0] for item in ranked}
    out = diversify(ranked, page_size=6, pages=2, keys=(lambda i: category[i],))
    assert out[:6] == ["a0", "a1", "b0", "c0", "b1", "d0"]
    assert out[6:] == ["a2", "a3"]  # the rest of the wall; a page may come out short


def test_buffered_impressions_wait_for_the_writer_and_go_in_one_insert(settings: Any) -> None:
    settings.RECOMMEND_IMPRESSION_FLUSH_SECONDS = 3600  # the writer thread stays asleep
    user = UserFactory()
    first, second = served_list(user.pk), served_list(user.pk)
    assert not Impression.objects.exists()
    with CaptureQueriesContext(connection) as queries:
        assert impressions_flush() == 4
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]
    assert Impression.objects.filter(list_id__in=[first.list_id, second.list_id]).count() == 4
    assert impressions_flush() == 0


def test_a_click_on_a_list_still_in_the_buffer_is_counted(settings: Any) -> None:
    settings.RECOMMEND_IMPRESSION_FLUSH_SECONDS = 3600
    user = UserFactory()
    shown = served_list(user.pk)
    assert click_record(
        list_id=shown.list_id, position=0, object_id=11, viewer_id=user.pk, anonymous_id=""
    )
    assert RecommendationClick.objects.count() == 1
