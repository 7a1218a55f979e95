"""The recommendation surfaces other apps call: each returns a RecommendationList already
filtered (on sale, in stock, not already bought unless it is bought again and again),
diversified, explained and logged as impressions.

Personalisation (PIPL art. 24): the viewer's choice is read on every call; when it is off,
nothing about them (history, session, friends, interests, purchases) shapes any list.
"""

from __future__ import annotations

import math
import os
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from circlemart.core.errors import ValidationFailed
from circlemart.recommend import errors
from circlemart.recommend.bundle import Bundle, active_bundle
from circlemart.recommend.contracts import (
    Reason,
    RecommendationList,
    RecommendedItem,
    Surface,
)
from circlemart.recommend.services.impressions import impressions_record
from circlemart.recommend.serving import explain, ranking
from circlemart.recommend.serving.catalogue import (
    ProductFacts,
    category_facts,
    fresh_products,
    popular_product_ids,
    product_facts,
    product_text,
)
from circlemart.recommend.serving.diversity import diversify
from circlemart.recommend.serving.history import friends_purchases, purchases_of
from circlemart.recommend.serving.ranking import Candidate
from circlemart.recommend.serving.session_store import (
    EMPTY_TRAIL,
    SessionTrail,
    session_digest,
    trail_of,
)
from circlemart.recommend.serving.viewer import interests_of, is_personalised

MAX_LIMIT = settings.API_PAGE_SIZE_MAX  # one page-size bound for the whole API
MAX_CART_ITEMS = 100
POOL_DEPTH = 300  # candidates kept per viewer; pages past it come back empty
POOL_SECONDS = 60
PRODUCT_LIST_SECONDS = 300
FRESH_SECONDS = 60
FRESH_SLOTS = (3, 8)  # where new arrivals go into a for-you list
SESSION_ITEMS_USED = 10
RESTOCK_EARLIEST = 0.6  # offer a repeat product from 60% of its typical re-purchase interval
SECONDS_PER_DAY = 86_400
# List ids only tie impressions to clicks (a click is checked against its viewer), so they
# need uniqueness, not secrecy: os.urandom for each uuid4 cost ~5 ms on a busy box.
_list_ids = random.Random()  # noqa: S311
os.register_at_fork(after_in_child=_list_ids.seed)  # forked workers must not share a sequence


# --- input -------------------------------------------------------------------------------


def _new_list_id() -> str:
    return uuid.UUID(int=_list_ids.getrandbits(128), version=4).hex


def _check_limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            _("limit must be between 1 and %(most)d.") % {"most": MAX_LIMIT},
            code=errors.INVALID_LIMIT,
            field="limit",
        )
    return limit


def _check_offset(offset: object) -> int:
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValidationFailed(_("offset must be 0 or more."), field="offset")
    return offset


def _is_product_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def anonymous_id_for(session_key: str) -> str:
    """The id impressions carry for a session (pass the same to click_record)."""
    return session_digest(session_key)[:32] if session_key else ""


def is_personalised_for(viewer_id: int | None) -> bool:
    """Whether lists for this viewer may use what is known about them."""
    return is_personalised(viewer_id)


# --- building the list ---------------------------------------------------------------------


def _category_name(facts: ProductFacts | None) -> str:
    if facts is None:
        return ""
    found = category_facts([facts.category_id]).get(facts.category_id)
    return found.shown_name() if found else ""


def _reason(candidate: Candidate, facts: dict[int, ProductFacts]) -> Reason | None:
    anchor = facts.get(candidate.anchor_id) if candidate.anchor_id else None
    kind = candidate.kind
    if kind in {"viewed", "session", "similar"} and candidate.anchor_id:
        if anchor is None:
            return Reason(kind=kind, product_id=candidate.anchor_id)
        title = anchor.shown_title()
        if kind == "viewed":
            return explain.because_viewed(anchor.id, title)
        if kind == "session":
            return explain.because_session(anchor.id, title)
        return explain.similar_to(anchor.id, title)
    labels: dict[str, Callable[[], Reason]] = {
        "popular": lambda: explain.popular_in(_category_name(facts.get(candidate.product_id))),
        "interest": lambda: explain.interest_in(_category_name(facts.get(candidate.product_id))),
        "trending": explain.trending,
        "new": explain.new_arrival,
        "bought": lambda: explain.bought_together(candidate.anchor_id),
        "repeat": lambda: explain.time_to_restock(candidate.product_id),
    }
    make = labels.get(kind)
    return make() if make else None


def _may_show(
    candidate: Candidate,
    facts: dict[int, ProductFacts],
    *,
    bought: dict[int, float],
    bundle: Bundle | None,
    excluded: set[int],
) -> bool:
    found = facts.get(candidate.product_id)
    if found is None or not found.is_in_stock or candidate.product_id in excluded:
        return False
    if candidate.product_id in bought and candidate.kind != "repeat":
        index = bundle.item_index(candidate.product_id) if bundle else None
        return bool(index is not None and bundle is not None and bundle.repeat_days[index] > 0)
    return True


def _diversity_keys(
    facts: dict[int, ProductFacts],
) -> tuple[Callable[[Candidate], str], Callable[[Candidate], str]]:
    def category(candidate: Candidate) -> str:
        return str(facts[candidate.product_id].category_id)

    def brand(candidate: Candidate) -> str:
        return facts[candidate.product_id].brand

    return category, brand


def _finish(
    pool: Sequence[Candidate],
    *,
    surface: Surface,
    limit: int,
    offset: int = 0,
    bought: dict[int, float],
    bundle: Bundle | None,
    excluded: Iterable[int] = (),
    model_version: int | None,
    is_personalised: bool,
    viewer_id: int | None,
    session_key: str,
) -> RecommendationList:
    """Filter, diversify, page, explain and log one list."""
    blocked = set(excluded)
    wanted = offset + limit
    # Look at the front of the pool first; widen only when filters or diversity left too few.
    window = max(3 * wanted, 60)
    while True:
        front = pool[:window]
        facts = product_facts(
            [c.product_id for c in front] + [c.anchor_id for c in front if c.anchor_id]
        )
        shown = [
            c for c in front if _may_show(c, facts, bought=bought, bundle=bundle, excluded=blocked)
        ]
        ordered = diversify(
            shown,
            page_size=limit,
            pages=math.ceil(wanted / limit),
            keys=_diversity_keys(facts),
        )
        if len(ordered) >= wanted or window >= len(pool):
            break
        window *= 2
    ordered = ordered[offset:wanted]
    recommendations = RecommendationList(
        list_id=_new_list_id(),
        surface=surface,
        model_version=model_version,
        is_personalised=is_personalised,
        items=tuple(
            RecommendedItem(
                object_id=c.product_id, score=round(c.score, 6), reason=_reason(c, facts)
            )
            for c in ordered
        ),
    )
    impressions_record(
        recommendations, viewer_id=viewer_id, anonymous_id=anonymous_id_for(session_key)
    )
    return recommendations


def _cached(key: str, seconds: int, build: Callable[[], list[Candidate]]) -> list[Candidate]:
    found = cache.get(key)
    if found is None:
        found = build()
        cache.set(key, found, seconds)
    return list(found)


# --- for you -------------------------------------------------------------------------------


def _fresh(bundle: Bundle | None) -> list[tuple[int, str]]:
    """New products the model has not seen yet (id, text), newest first."""
    version = bundle.version_id if bundle else 0

    def build() -> list[tuple[int, str]]:
        return [
            (fresh.id, fresh.text)
            for fresh in fresh_products(30)
            if bundle is None or bundle.item_index(fresh.id) is None
        ]

    key = f"rec:fresh:{version}"
    found = cache.get(key)
    if found is None:
        found = build()
        cache.set(key, found, FRESH_SECONDS)
    return list(found)


def _fresh_for(bundle: Bundle | None, liked: Sequence[int]) -> list[Candidate]:
    """Up to two new arrivals: the ones nearest the viewer's taste when it is known."""
    fresh = _fresh(bundle)
    if not fresh:
        return []
    if bundle is not None and liked:
        taste = ranking.taste_vector(bundle, liked)
        vectors = ranking.encode(bundle, [text for _, text in fresh])
        if taste is not None and vectors is not None:
            closeness = vectors @ taste
            order = sorted(range(len(fresh)), key=lambda i: -float(closeness[i]))
            return [
                Candidate(fresh[i][0], float(closeness[i]), "new", None)
                for i in order[: len(FRESH_SLOTS)]
                if closeness[i] > 0
            ]
    return [Candidate(product_id, 0.0, "new", None) for product_id, _ in fresh[: len(FRESH_SLOTS)]]


def _with_fresh(ranked: list[Candidate], fresh: list[Candidate]) -> list[Candidate]:
    present = {c.product_id for c in ranked}
    out = list(ranked)
    for slot, candidate in zip(FRESH_SLOTS, fresh, strict=False):
        if candidate.product_id not in present:
            out.insert(min(slot, len(out)), candidate)
    return out


def _personal_pool(bundle: Bundle, viewer_id: int | None, trail: SessionTrail) -> list[Candidate]:
    recent = trail.product_ids()[:SESSION_ITEMS_USED]
    user_index = bundle.user_index(viewer_id) if viewer_id is not None else None
    profile = ranking.user_candidates(bundle, user_index) if user_index is not None else {}
    session = ranking.session_boost(bundle, recent)
    seen = set(recent)
    ranked = [c for c in ranking.blend(profile, session, bundle) if c.product_id not in seen]
    present = {c.product_id for c in ranked}
    ranked += [
        c
        for c in ranking.popular(bundle, limit=POOL_DEPTH)
        if c.product_id not in present and c.product_id not in seen
    ]
    liked = recent + [c.product_id for c in ranked[:10]]
    return _with_fresh(ranked[:POOL_DEPTH], _fresh_for(bundle, liked))


def _popular_pool(bundle: Bundle | None, interests: Sequence[int]) -> list[Candidate]:
    if bundle is not None:
        base = ranking.popular(bundle, limit=POOL_DEPTH)
    else:
        ids = popular_product_ids(POOL_DEPTH)
        base = [Candidate(p, 1.0 / (rank + 1), "popular", None) for rank, p in enumerate(ids)]
    if interests:
        paths = tuple(f.path for f in category_facts(interests).values() if f.path)
        facts = product_facts(c.product_id for c in base)
        liked = [
            c._replace(kind="interest")
            for c in base
            if (f := facts.get(c.product_id)) and paths and f.category_path.startswith(paths)
        ]
        chosen = {c.product_id for c in liked}
        base = liked + [c for c in base if c.product_id not in chosen]
    return _with_fresh(base, _fresh_for(None, ()))


def for_you(
    *, viewer_id: int | None, session_key: str, limit: int = 20, offset: int = 0
) -> RecommendationList:
    """The home page's products for this viewer: the model's candidates re-ranked with what
    the session just looked at; popular (in their interests) when the model knows nothing."""
    limit, offset = _check_limit(limit), _check_offset(offset)
    personal = is_personalised(viewer_id)
    bundle = active_bundle()
    trail = trail_of(session_key) if personal else EMPTY_TRAIL
    known_user = bool(bundle and viewer_id is not None and bundle.user_index(viewer_id) is not None)
    knows_session = bool(
        bundle and any(bundle.item_index(p) is not None for p in trail.product_ids())
    )
    uses_model = bundle is not None and personal and (known_user or knows_session)
    if uses_model:
        assert bundle is not None
        key = (
            f"rec:fy:{bundle.version_id}:{viewer_id}:{anonymous_id_for(session_key)}:"
            f"{trail.generation}"
        )
        pool = _cached(key, POOL_SECONDS, lambda: _personal_pool(bundle, viewer_id, trail))
        uses_interests = False
    else:
        interests = interests_of(viewer_id) if personal and viewer_id is not None else []
        uses_interests = bool(interests)
        version = bundle.version_id if bundle else 0
        key = f"rec:fy:popular:{version}:{','.join(map(str, sorted(interests)))}"
        pool = _cached(key, POOL_SECONDS, lambda: _popular_pool(bundle, interests))
    bought = purchases_of(viewer_id) if personal and viewer_id is not None else {}
    return _finish(
        pool,
        surface=Surface.FOR_YOU,
        limit=limit,
        offset=offset,
        bought=bought,
        bundle=bundle,
        excluded=trail.product_ids(),
        model_version=bundle.version_id if uses_model and bundle else None,
        is_personalised=uses_model or uses_interests,
        viewer_id=viewer_id,
        session_key=session_key,
    )


# --- product surfaces --------------------------------------------------------------------


def _empty(surface: Surface) -> RecommendationList:
    return RecommendationList(
        list_id=_new_list_id(),
        surface=surface,
        model_version=None,
        is_personalised=False,
        items=(),
    )


def _similar_pool(bundle: Bundle | None, product_id: int) -> list[Candidate]:
    if bundle is not None and bundle.item_index(product_id) is not None:
        return [
            Candidate(p, s, "similar", product_id)
            for p, s in ranking.neighbours(bundle, product_id)
        ]
    if bundle is not None:
        # A product newer than the model: its nearest items by what its text says.
        text = product_text(product_id)
        vectors = ranking.encode(bundle, [text]) if text else None
        nearest = (
            ranking.content_neighbours(bundle, vectors[0], limit=POOL_DEPTH, excluded=[product_id])
            if vectors is not None
            else []
        )
        if nearest:
            return [Candidate(p, s, "similar", product_id) for p, s in nearest]
    # Nothing to go on but its category: the best sellers there.
    own = product_facts([product_id]).get(product_id)
    ids = popular_product_ids(POOL_DEPTH)
    facts = product_facts(ids)
    return [
        Candidate(p, 1.0 / (rank + 1), "popular", None)
        for rank, p in enumerate(ids)
        if own is not None and (f := facts.get(p)) and f.category_id == own.category_id
    ]


def _product_list(
    *,
    surface: Surface,
    product_id: object,
    viewer_id: int | None,
    session_key: str,
    limit: int,
    build: Callable[[Bundle | None, int], list[Candidate]],
) -> RecommendationList:
    limit = _check_limit(limit)
    if not _is_product_id(product_id) or not product_facts([product_id]):  # type: ignore[list-item]
        return _empty(surface)
    assert isinstance(product_id, int)
    personal = is_personalised(viewer_id)
    bundle = active_bundle()
    version = bundle.version_id if bundle else 0
    pool = _cached(
        f"rec:{surface}:{version}:{product_id}",
        PRODUCT_LIST_SECONDS,
        lambda: build(bundle, product_id),
    )
    return _finish(
        pool,
        surface=surface,
        limit=limit,
        bought=purchases_of(viewer_id) if personal and viewer_id is not None else {},
        bundle=bundle,
        excluded=[product_id],
        model_version=(
            bundle.version_id if bundle and any(c.kind != "popular" for c in pool) else None
        ),
        is_personalised=False,
        viewer_id=viewer_id,
        session_key=session_key,
    )


def similar(
    *, product_id: int, viewer_id: int | None, session_key: str, limit: int = 12
) -> RecommendationList:
    """The product page's similar products (an unknown product gives an empty list)."""
    return _product_list(
        surface=Surface.SIMILAR,
        product_id=product_id,
        viewer_id=viewer_id,
        session_key=session_key,
        limit=limit,
        build=_similar_pool,
    )


def _bought_together_pool(bundle: Bundle | None, product_id: int) -> list[Candidate]:
    if bundle is None:
        return []
    return [
        Candidate(p, s, "bought", product_id)
        for p, s in ranking.neighbours(bundle, product_id, matrix_name="bought_together")
    ]


def bought_together(
    *, product_id: int, viewer_id: int | None, session_key: str, limit: int = 6
) -> RecommendationList:
    """Products often bought in the same order as this one."""
    return _product_list(
        surface=Surface.BOUGHT_TOGETHER,
        product_id=product_id,
        viewer_id=viewer_id,
        session_key=session_key,
        limit=limit,
        build=_bought_together_pool,
    )


def _addons_pool(bundle: Bundle | None, product_ids: Sequence[int]) -> list[Candidate]:
    if bundle is None:
        return []
    totals: dict[int, float] = {}
    strongest: dict[int, tuple[float, int]] = {}
    for matrix_name, weight in (("bought_together", 1.0), ("similar", 0.3)):
        for product_id in product_ids:
            found = ranking.neighbours(bundle, product_id, matrix_name=matrix_name)
            top = found[0][1] if found else 1.0
            for neighbour, score in found:
                value = weight * score / top
                totals[neighbour] = totals.get(neighbour, 0.0) + value
                if value > strongest.get(neighbour, (0.0, 0))[0]:
                    strongest[neighbour] = (value, product_id)
    ranked = sorted(totals.items(), key=lambda pair: (-pair[1], pair[0]))
    return [Candidate(p, s, "bought", strongest[p][1]) for p, s in ranked[:POOL_DEPTH]]


def cart_addons(
    *, product_ids: Sequence[int], viewer_id: int | None, session_key: str, limit: int = 8
) -> RecommendationList:
    """What goes with the cart: co-purchases of its products, then their neighbours."""
    limit = _check_limit(limit)
    if isinstance(product_ids, (str, bytes)) or len(product_ids) > MAX_CART_ITEMS:
        raise ValidationFailed(_("Too many products."), field="product_ids")
    in_cart = sorted({p for p in product_ids if _is_product_id(p)})
    personal = is_personalised(viewer_id)
    bundle = active_bundle()
    if bundle is None or not in_cart:
        return _empty(Surface.CART_ADDONS)
    pool = _cached(
        f"rec:addons:{bundle.version_id}:{','.join(map(str, in_cart))}",
        PRODUCT_LIST_SECONDS,
        lambda: _addons_pool(bundle, in_cart),
    )
    return _finish(
        pool,
        surface=Surface.CART_ADDONS,
        limit=limit,
        bought=purchases_of(viewer_id) if personal and viewer_id is not None else {},
        bundle=bundle,
        excluded=in_cart,
        model_version=bundle.version_id,
        is_personalised=False,
        viewer_id=viewer_id,
        session_key=session_key,
    )


# --- the viewer's own and their friends' -------------------------------------------------


def _restock_pool(bundle: Bundle, bought: dict[int, float], now: float) -> list[Candidate]:
    out = []
    for product_id, paid_at in bought.items():
        index = bundle.item_index(product_id)
        if index is None or bundle.repeat_days[index] <= 0:
            continue
        due = (now - paid_at) / SECONDS_PER_DAY / float(bundle.repeat_days[index])
        if due < RESTOCK_EARLIEST:
            continue
        # Closest to its usual interval first; long overdue ones slowly sink.
        score = math.exp(-(math.log(due) ** 2))
        out.append(Candidate(product_id, score, "repeat", product_id))
    return sorted(out, key=lambda c: (-c.score, c.product_id))


def buy_again(*, viewer_id: int, session_key: str, limit: int = 12) -> RecommendationList:
    """Products the viewer buys regularly that are due again (empty when personalisation is
    off, or without a model that knows re-purchase intervals)."""
    limit = _check_limit(limit)
    bundle = active_bundle()
    if viewer_id is None or bundle is None or not is_personalised(viewer_id):
        return _empty(Surface.BUY_AGAIN)
    bought = purchases_of(viewer_id)
    return _finish(
        _restock_pool(bundle, bought, time.time()),
        surface=Surface.BUY_AGAIN,
        limit=limit,
        bought=bought,
        bundle=bundle,
        model_version=bundle.version_id,
        is_personalised=True,
        viewer_id=viewer_id,
        session_key=session_key,
    )


def friends_activity(
    *, viewer_id: int, product_id: int | None = None, limit: int = 12
) -> RecommendationList:
    """Products the viewer's friends (mutual follows) bought, most friends first; with a
    product, only it and its neighbours. Empty when personalisation is off."""
    limit = _check_limit(limit)
    if viewer_id is None or not is_personalised(viewer_id):
        return _empty(Surface.FRIENDS)
    if product_id is not None and not _is_product_id(product_id):
        return _empty(Surface.FRIENDS)
    bought_by_friends = friends_purchases(viewer_id)
    if product_id is not None:
        bundle = active_bundle()
        near = {product_id}
        if bundle is not None:
            near.update(p for p, _ in ranking.neighbours(bundle, product_id))
        bought_by_friends = {p: v for p, v in bought_by_friends.items() if p in near}
    pool = sorted(
        (
            Candidate(p, count + newest / 1e10, "friends", None)
            for p, (count, newest) in bought_by_friends.items()
        ),
        key=lambda c: (-c.score, c.product_id),
    )
    counts = {p: count for p, (count, _) in bought_by_friends.items()}
    recommendations = _finish(
        pool,
        surface=Surface.FRIENDS,
        limit=limit,
        bought={},
        bundle=None,
        model_version=None,
        is_personalised=True,
        viewer_id=viewer_id,
        session_key="",
    )
    return RecommendationList(
        list_id=recommendations.list_id,
        surface=recommendations.surface,
        model_version=None,
        is_personalised=True,
        items=tuple(
            RecommendedItem(
                object_id=item.object_id,
                score=item.score,
                reason=explain.friends_bought(counts[item.object_id]),
            )
            for item in recommendations.items
        ),
    )
