"""`circlemart seed-demo`: builds the demo world by asking each app to seed its own data.

Same --seed, same world; running it again adds nothing that is already there.
"""

from __future__ import annotations

import random

from django.db import transaction

from circlemart.accounts.seed import demo_email, seed_staff, seed_users, staff_logins
from circlemart.analytics.seed import seed_analytics, seed_analytics_results
from circlemart.catalog import selectors as catalog_selectors
from circlemart.catalog.seed import ratings_match_reviews, seed_products
from circlemart.config.demo_world import seed_demo_world
from circlemart.growth.seed import seed_growth
from circlemart.live.seed import seed_live
from circlemart.orders.seed import demo_purchases, payments_in_process, seed_orders
from circlemart.promotions.seed import seed_promotions
from circlemart.recommend.seed import seed_recommend
from circlemart.reviews.seed import rating_summaries, seed_reviews
from circlemart.search import selectors as search_selectors
from circlemart.search import services as search_services
from circlemart.social import selectors as social_selectors
from circlemart.social.seed import seed_content, seed_follows


def seed_world(*, seed: int, users: int, products: int = 5000, progress: bool = True) -> str:
    with transaction.atomic():
        seed_staff()
    user_ids = seed_users(rng=random.Random(seed), count=users, progress=progress)
    seed_follows(rng=random.Random(seed + 1), user_ids=user_ids, progress=progress)
    created = seed_products(rng=random.Random(seed + 2), count=products, progress=progress)
    seed_content(
        rng=random.Random(seed + 3),
        user_ids=user_ids,
        product_ids=[card.id for card in catalog_selectors.hot_products(limit=60)],
        progress=progress,
    )
    if created or not search_selectors.index_size().get("documents"):
        # Seeding bulk-inserts (no per-product events), so the index is rebuilt once here.
        search_services.reindex_all(progress=progress)
    seed_orders(
        rng=random.Random(seed + 4),
        user_ids=user_ids,
        count=min(120, len(user_ids) // 3),
        progress=progress,
    )
    with payments_in_process():  # what reviews publish (points, search) is handled now
        seed_reviews(rng=random.Random(seed + 8), purchases=demo_purchases())
    # Live rooms (one on air, upcoming, replays): the creator login, products in stock and the
    # paid demo orders above. Before promotions, whose summary counts the live coupon too.
    seed_live(rng=random.Random(seed + 10), user_ids=user_ids, progress=progress)
    promotions = seed_promotions(rng=random.Random(seed + 5), user_ids=user_ids)
    # The demo logins' own world uses the shoppers, notes, deals and coupons above; growth
    # comes after it, so its level reviews and badges see the same world on every run.
    seed_demo_world(rng=random.Random(seed + 9), user_ids=user_ids, progress=progress)
    growth = seed_growth(rng=random.Random(seed + 7), user_ids=user_ids, progress=progress)
    events = seed_analytics(
        rng=random.Random(seed + 6),
        user_ids=user_ids,
        product_ids=[card.id for card in catalog_selectors.hot_products(limit=200)],
        progress=progress,
    )
    if events:
        seed_analytics_results(owner_email=demo_email("analyst"), progress=progress)
    # A product's rating is its reviews' (worlds seeded before this kept invented ones).
    ratings_match_reviews(rating_summaries())
    seed_recommend(progress=progress)  # last: it learns from the orders, events and notes above
    return (
        f"demo world (seed {seed}): {len(user_ids)} shoppers, {promotions}, {growth}, "
        f"{social_selectors.edge_count()} follows, {catalog_selectors.product_count()} products"
    )


def print_demo_logins() -> None:
    print("\nDemo logins:")
    for email, password, roles in staff_logins():
        print(f"  {email:<36} password: {password:<18} role: {roles}")
