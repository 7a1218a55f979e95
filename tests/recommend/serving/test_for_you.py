"""The home page's for-you list: the model's candidates, the session's re-ranking, fallbacks,
cold start, filters, diversity, caching and input checks."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from circlemart.catalog.models import Product
from circlemart.core.errors import ValidationFailed
from circlemart.inventory.models import StockLevel
from circlemart.recommend.bundle import use_bundle_for_tests
from circlemart.recommend.contracts import RecommendationList
from circlemart.recommend.models import Impression, UserInterest
from circlemart.recommend.selectors import surfaces
from circlemart.recommend.services.session import session_record
from circlemart.recommend.serving.diversity import share_cap
from tests.accounts.factories import UserFactory
from tests.recommend.serving.bundles import make_bundle
from tests.recommend.serving.shop import make_shop

pytestmark = pytest.mark.django_db


def ids_of(recommendations: RecommendationList) -> list[int]:
    return [item.object_id for item in recommendations.items]


def test_without_a_model_it_serves_best_sellers_unpersonalised() -> None:
    shop = make_shop(6)
    Product.objects.filter(pk=shop.products[4].pk).update(sales_count=50)
    Product.objects.filter(pk=shop.products[1].pk).update(sales_count=20)
    with use_bundle_for_tests(None):
        served = surfaces.for_you(viewer_id=None, session_key="s1", limit=3)
    assert served.model_version is None
    assert served.is_personalised is False
    assert ids_of(served)[:2] == [shop.products[4].pk, shop.products[1].pk]
    assert len(served.items) == 3
    assert served.items[0].reason is not None
    assert served.items[0].reason.kind == "popular"
    assert served.items[0].reason.label == "Popular in Category 0"


def test_a_known_user_gets_their_candidates_explained_by_their_anchor() -> None:
    shop = make_shop(8)
    user = UserFactory()
    p = shop.ids()
    bundle = make_bundle(
        items=p,
        users=[user.pk],
        candidates={user.pk: [(p[1], 0.9, p[0]), (p[2], 0.5, None), (p[3], 0.7, p[0])]},
        popularity={p[5]: 1.0},
        version_id=7,
    )
    with use_bundle_for_tests(bundle):
        served = surfaces.for_you(viewer_id=user.pk, session_key="s1", limit=4)
    assert served.model_version == 7
    assert served.is_personalised is True
    assert ids_of(served) == [p[1], p[3], p[2], p[5]]
    first = served.items[0].reason
    assert first is not None
    assert (first.kind, first.product_id, first.label) == (
        "viewed",
        p[0],
        "Because you viewed Product 0",
    )
    assert served.items[2].reason is None  # a candidate without an anchor says nothing
    with use_bundle_for_tests(bundle), translation.override("zh-hans"):
        chinese = surfaces.for_you(viewer_id=user.pk, session_key="s1", limit=1)
    assert chinese.items[0].reason is not None
    assert "商品0" in chinese.items[0].reason.label  # the title in the reader's language


def test_a_view_brings_its_neighbours_to_the_top_of_the_next_list() -> None:
    shop = make_shop(12)
    user = UserFactory()
    p = shop.ids()
    bundle = make_bundle(
        items=p,
        users=[user.pk],
        candidates={user.pk: [(p[1], 1.0, None), (p[2], 0.9, None), (p[3], 0.8, None)]},
        similar={p[9]: [(p[10], 0.8), (p[11], 0.6)]},
    )
    with use_bundle_for_tests(bundle):
        before = surfaces.for_you(viewer_id=user.pk, session_key="s1", limit=5)
        assert ids_of(before)[:3] == [p[1], p[2], p[3]]
        assert session_record(session_key="s1", viewer_id=user.pk, product_id=p[9], kind="view")
        after = surfaces.for_you(viewer_id=user.pk, session_key="s1", limit=5)
    assert ids_of(after)[:2] == [p[10], p[11]]
    assert p[9] not in ids_of(after)  # just looked at: not offered again
    reason = after.items[0].reason
    assert reason is not None
    assert (reason.kind, reason.product_id, reason.label) == (
        "session",
        p[9],
        "Because you viewed Product 9",
    )


def test_an_anonymous_session_is_re_ranked_too() -> None:
    shop = make_shop(6)
    p = shop.ids()
    bundle = make_bundle(items=p, similar={p[0]: [(p[3], 1.0)]}, popularity={p[1]: 1.0, p[2]: 0.5})
    with use_bundle_for_tests(bundle):
        plain = surfaces.for_you(viewer_id=None, session_key="anon", limit=3)
        session_record(session_key="anon", viewer_id=None, product_id=p[0], kind="click")
        reranked = surfaces.for_you(viewer_id=None, session_key="anon", limit=3)
    assert plain.model_version is None
    assert ids_of(plain)[:2] == [p[1], p[2]]
    assert reranked.model_version == 1
    assert reranked.is_personalised is True
    assert ids_of(reranked)[0] == p[3]


def test_only_sellable_products_are_shown() -> None:
    shop = make_shop(6)
    user = UserFactory()
    p = shop.ids()
    sold_out, hidden = shop.products[1], shop.products[2]
    StockLevel.objects.filter(sku__product=sold_out).update(on_hand=0)
    Product.objects.filter(pk=hidden.pk).update(status=Product.Status.OFF_SHELF)
    removed = 999_999
    bundle = make_bundle(
        items=[*p, removed],
        users=[user.pk],
        candidates={
            user.pk: [(p[1], 1.0, None), (p[2], 0.9, None), (removed, 0.8, None), (p[3], 0.7, None)]
        },
    )
    with use_bundle_for_tests(bundle):
        served = surfaces.for_you(viewer_id=user.pk, session_key="s", limit=10)
    assert ids_of(served)[0] == p[3]
    assert not {p[1], p[2], removed} & set(ids_of(served))


def test_no_more_than_two_in_a_row_nor_thirty_percent_from_one_category_or_brand() -> None:
    # 30 products, the 20 best scored all in one category and brand.
    shop = make_shop(30, categories=1, brands=1)
    others = make_shop(10, categories=5, brands=5)
    user = UserFactory()
    walled, varied = shop.ids(), others.ids()
    scores = [(product, 1.0 - n * 0.01, None) for n, product in enumerate(walled + varied)]
    bundle = make_bundle(items=walled + varied, users=[user.pk], candidates={user.pk: scores})
    with use_bundle_for_tests(bundle):
        served = surfaces.for_you(viewer_id=user.pk, session_key="s", limit=10)
    shown = ids_of(served)
    assert len(shown) == 10
    category_of = dict(Product.objects.filter(pk__in=shown).values_list("pk", "category_id"))
    brand_of = dict(Product.objects.filter(pk__in=shown).values_list("pk", "brand_id"))
    for mapping in (category_of, brand_of):
        values = [mapping[i] for i in shown]
        assert max(values.count(v) for v in values) <= share_cap(10) == 3
        assert not any(values[i] == values[i + 1] == values[i + 2] for i in range(len(values) - 2))
    assert shown[0] == walled[0]  # the best one still leads


def test_a_new_user_with_interests_gets_popular_products_of_those_categories() -> None:
    shop = make_shop(8, categories=4)
    user = UserFactory()
    p = shop.ids()
    chosen = shop.categories[2]
    UserInterest.objects.create(user=user, category_id=chosen.pk)
    bundle = make_bundle(items=p, popularity={q: 1.0 - n * 0.1 for n, q in enumerate(p)})
    with use_bundle_for_tests(bundle):
        served = surfaces.for_you(viewer_id=user.pk, session_key="s", limit=4)
    in_chosen = [q.pk for q in shop.products if q.category_id == chosen.pk]
    assert ids_of(served)[:2] == in_chosen
    assert served.model_version is None
    assert served.is_personalised is True
    reason = served.items[0].reason
    assert reason is not None
    assert (reason.kind, reason.label) == ("interest", "Popular in Category 2")


def test_new_arrivals_the_model_has_not_seen_are_mixed_in() -> None:
    shop = make_shop(10)
    user = UserFactory()
    p = shop.ids()
    known = p[:8]
    newest = p[9]  # created last: the newest on sale
    bundle = make_bundle(
        items=known,
        users=[user.pk],
        candidates={user.pk: [(q, 1.0 - n * 0.05, None) for n, q in enumerate(known)]},
    )
    with use_bundle_for_tests(bundle):
        served = surfaces.for_you(viewer_id=user.pk, session_key="s", limit=8)
    shown = ids_of(served)
    assert newest in shown
    fresh = served.items[shown.index(newest)].reason
    assert fresh is not None
    assert (fresh.kind, fresh.label) == ("new", "New arrival")
    assert shown.index(newest) <= 3


def test_paging_continues_without_repeats_and_out_of_range_input_is_refused() -> None:
    shop = make_shop(12, categories=6, brands=6)
    p = shop.ids()
    bundle = make_bundle(items=p, popularity={q: 1.0 - n * 0.01 for n, q in enumerate(p)})
    with use_bundle_for_tests(bundle):
        first = surfaces.for_you(viewer_id=None, session_key="s", limit=5)
        second = surfaces.for_you(viewer_id=None, session_key="s", limit=5, offset=5)
        far = surfaces.for_you(viewer_id=None, session_key="s", limit=5, offset=500)
        for bad in (0, 101, -1, True):
            with pytest.raises(ValidationFailed) as refused:
                surfaces.for_you(viewer_id=None, session_key="s", limit=bad)
            assert (refused.value.field, refused.value.code) == ("limit", "invalid_limit")
        with pytest.raises(ValidationFailed) as refused:
            surfaces.for_you(viewer_id=None, session_key="s", offset=-1)
        assert refused.value.field == "offset"
    assert len(first.items) == len(second.items) == 5
    assert not set(ids_of(first)) & set(ids_of(second))
    assert far.items == ()


def test_the_list_is_logged_once_with_positions_and_model_version() -> None:
    shop = make_shop(5)
    user = UserFactory()
    p = shop.ids()
    bundle = make_bundle(
        items=p, users=[user.pk], candidates={user.pk: [(p[0], 1.0, None), (p[1], 0.5, None)]}
    )
    with use_bundle_for_tests(bundle), CaptureQueriesContext(connection) as queries:
        served = surfaces.for_you(viewer_id=user.pk, session_key="s", limit=3)
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    logged = list(
        Impression.objects.order_by("position").values_list(
            "list_id", "surface", "model_version_id", "position", "object_id", "user_id"
        )
    )
    assert [(row[3], row[4]) for row in logged] == list(enumerate(ids_of(served)))
    assert {(row[0].hex, row[1], row[2], row[5]) for row in logged} == {
        (served.list_id, "for_you", 1, user.pk)
    }


def test_a_warm_list_comes_from_the_cache_until_the_session_moves() -> None:
    shop = make_shop(6)
    user = UserFactory()
    p = shop.ids()
    bundle = make_bundle(
        items=p,
        users=[user.pk],
        candidates={user.pk: [(p[0], 1.0, None)]},
        similar={p[5]: [(p[4], 1)]},
    )
    with use_bundle_for_tests(bundle):
        with CaptureQueriesContext(connection) as cold:
            surfaces.for_you(viewer_id=user.pk, session_key="s", limit=3)
        with CaptureQueriesContext(connection) as warm:
            surfaces.for_you(viewer_id=user.pk, session_key="s", limit=3)
        # the preference, the session trail (unless in Redis) and the impressions insert
        assert len(warm.captured_queries) <= 3 < len(cold.captured_queries)
        session_record(session_key="s", viewer_id=user.pk, product_id=p[5], kind="view")
        moved = surfaces.for_you(viewer_id=user.pk, session_key="s", limit=3)
    assert ids_of(moved)[0] == p[4]


def test_a_user_the_model_does_not_know_gets_popular_and_trending_products() -> None:
    shop = make_shop(6, categories=6, brands=6)
    stranger = UserFactory()
    p = shop.ids()
    bundle = make_bundle(
        items=p,
        users=[UserFactory().pk],
        popularity={p[0]: 1.0, p[1]: 0.2},
        trending={p[1]: 1.0, p[0]: 0.1},
    )
    with use_bundle_for_tests(bundle):
        served = surfaces.for_you(viewer_id=stranger.pk, session_key="new", limit=2)
    assert (served.model_version, served.is_personalised) == (None, False)
    assert ids_of(served) == [p[0], p[1]]
    labels = [(item.reason.kind, item.reason.label) for item in served.items if item.reason]
    assert labels == [("popular", "Popular in Category 0"), ("trending", "Trending now")]
