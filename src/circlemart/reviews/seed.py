"""Demo reviews: buyers of delivered demo orders review some of what they bought, through
review_create (verified purchase, moderation screening, the product's rating and review
summary kept in step), so every rating a product shows comes from reviews it has."""

from __future__ import annotations

import random
from collections.abc import Sequence

from circlemart.core.errors import DomainError
from circlemart.reviews import services
from circlemart.reviews.models import Review, ReviewSummary

# (stars, text): mostly happy, as real shops' are, in both languages.
REVIEWS = (
    (5, "质量很好，和描述一致，物流也很快，会回购。"),
    (5, "Great quality, arrived in two days, exactly as pictured."),
    (5, "包装很用心，送人也很有面子。"),
    (4, "整体满意，包装可以再用心一点。"),
    (5, "第二次买了，家里人都说好用。"),
    (4, "Good value for the price. The colour is a little darker than the photos."),
    (4, "性价比不错，就是发货慢了一天。"),
    (3, "一般般吧，做工还行，但是有点小瑕疵。"),
    (5, "客服很耐心，尺码问题帮我换了一次，点赞。"),
    (2, "Smaller than I expected; check the size chart before buying."),
    (5, ""),
    (4, ""),
)
SHARE = 0.6  # of delivered purchases that get a review


def seed_reviews(*, rng: random.Random, purchases: Sequence[tuple[int, int, int]]) -> int:
    """Review about SHARE of the (buyer, product, order line) purchases; returns how many were
    written now. Lines already reviewed are skipped (a second run writes none)."""
    reviewed = set(
        Review.objects.filter(order_line_id__in=[line for _, _, line in purchases]).values_list(
            "order_line_id", flat=True
        )
    )
    written = 0
    for buyer_id, product_id, line_id in purchases:
        stars, text = rng.choice(REVIEWS)
        if rng.random() >= SHARE or line_id in reviewed:
            continue
        try:
            services.review_create(
                author_id=buyer_id,
                product_id=product_id,
                order_line_id=line_id,
                rating=stars,
                text=text,
            )
        except DomainError:
            continue
        written += 1
    return written


def rating_summaries() -> dict[int, tuple[int, int]]:
    """Published reviews per product: (count, star sum), what a product's rating must show."""
    return {
        row.product_id: (row.count, row.rating_sum)
        for row in ReviewSummary.objects.filter(count__gt=0)
    }
